"""The run record: typed fields, the schema version, and run directories written before it."""

from __future__ import annotations

import json

import pytest

from bindreg.core.errors import BindregError
from bindreg.core.record import SCHEMA_VERSION, read_run, write_run

RUN = {"model": "1layer", "task": "discovery", "dataset": "toy", "kind": "network", "seed": 3,
       "sequence_length": 101, "store_content_sha256": "ab" * 32}
METRICS = {"test": {"auroc": 0.9, "auprc": 0.8}, "protocol": {"both_strands": True}}


def test_a_written_run_reads_back_typed_with_the_schema_version(tmp_path):
    write_run(tmp_path, RUN, METRICS)
    record = read_run(tmp_path)
    assert (record.model, record.seed, record.sequence_length, record.both_strands) == ("1layer", 3, 101, True)
    assert record.auroc == 0.9 and record.schema_version == SCHEMA_VERSION
    assert "schema_version" not in json.loads((tmp_path / "metrics.json").read_text())  # dvc metrics stay metrics


def test_a_run_directory_from_before_the_record_still_reads(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps(RUN))  # 0.1 wrote no schema_version
    (tmp_path / "metrics.json").write_text(json.dumps({"test": {"auroc": 0.7, "auprc": 0.6}, "protocol": {}}))
    record = read_run(tmp_path)
    assert record.schema_version == 1 and record.both_strands is False and record.auroc == 0.7


def test_an_unfinished_run_is_refused_unless_asked_for(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps(RUN))
    with pytest.raises(BindregError, match="did not finish"):
        read_run(tmp_path)
    assert read_run(tmp_path, finished=False).test == {}


@pytest.mark.parametrize("text, message", [("{", "not JSON"), ("[1]", "not an object"),
                                           ('{"model": "x"}', "lacks or garbles 'sequence_length'")])
def test_a_damaged_run_json_is_one_line(tmp_path, text, message):
    (tmp_path / "run.json").write_text(text)
    with pytest.raises(BindregError, match=message):
        read_run(tmp_path, finished=False)


def test_a_folder_that_is_no_run_is_one_line(tmp_path):
    with pytest.raises(BindregError, match="not a run directory"):
        read_run(tmp_path)
