"""A model on this machine: found by path or NAME[@VERSION], its facts read from either kind of directory."""

from __future__ import annotations

import json

import pytest

from bindreg.core.errors import BindregError
from bindreg.score.bundles import bundle_info, parse_spec, resolve_local


def test_a_directory_is_itself_and_a_name_must_be_pulled(tmp_path):
    assert resolve_local(str(tmp_path)) == tmp_path
    with pytest.raises(BindregError, match=r"no model 'absent' is downloaded.*bindreg pull absent"):
        resolve_local("absent")
    with pytest.raises(BindregError, match="is not NAME or NAME@vX.Y.Z"):
        parse_spec("bad@1.0")
    assert parse_spec("m@v1.2.3") == ("m", "v1.2.3")


def test_bundle_info_reads_an_old_run_directory_and_refuses_others(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"model": "1layer", "sequence_length": 101}))
    assert bundle_info(tmp_path) == {"input_length": 101, "model": "1layer", "both_strands": False,
                                     "trained_any_length": False}
    with pytest.raises(BindregError, match="neither a model bundle"):
        bundle_info(tmp_path / "nothing")
