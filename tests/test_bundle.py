"""Bundles: deterministic archives, safe extraction, sha256 manifest, expected predictions."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from bindreg.hub.bundle import (check_expectations, extract_archive, verify_manifest, write_archive,
                            write_manifest)
from bindreg.core.errors import BindregError

pytestmark = pytest.mark.slow  # every test here trains, publishes or pulls


def _folder(tmp_path, name="bundle"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "a.txt").write_text("alpha")
    (folder / "b.bin").write_bytes(bytes(range(256)))
    write_manifest(folder)
    return folder


def test_archive_is_deterministic_and_round_trips(tmp_path):
    folder = _folder(tmp_path)
    first = write_archive(folder, tmp_path / "one.tar")
    second = write_archive(folder, tmp_path / "two.tar")
    assert first == second and (tmp_path / "one.tar").read_bytes() == (tmp_path / "two.tar").read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    extract_archive(tmp_path / "one.tar", out, "test")
    verify_manifest(out, "test")
    assert (out / "a.txt").read_text() == "alpha"


def test_manifest_names_the_changed_and_the_extra_file(tmp_path):
    folder = _folder(tmp_path)
    (folder / "b.bin").write_bytes(b"changed")
    with pytest.raises(BindregError, match="b.bin does not match its sha256"):
        verify_manifest(folder, "m@v1")
    folder = _folder(tmp_path, "other")
    (folder / "extra.py").write_text("x")
    with pytest.raises(BindregError, match="extra.py is not in manifest.json"):
        verify_manifest(folder, "m@v1")


@pytest.mark.parametrize("entry, kind", [("../up.txt", tarfile.REGTYPE), ("/abs.txt", tarfile.REGTYPE),
                                         ("sub/dir.txt", tarfile.REGTYPE), ("link", tarfile.SYMTYPE)])
def test_entries_that_leave_the_cache_are_refused(tmp_path, entry, kind):
    archive = tmp_path / "bad.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo(entry)
        info.type = kind
        info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
        info.size = 0 if kind == tarfile.SYMTYPE else 2
        tar.addfile(info, None if kind == tarfile.SYMTYPE else io.BytesIO(b"hi"))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(BindregError, match="would write outside the model cache"):
        extract_archive(archive, out, "bad")
    assert not list(out.iterdir()) and not (tmp_path / "up.txt").exists()


def test_bundle_of_a_run_passes_its_own_expectations(published, tmp_path):
    from bindreg.hub.bundle import build_bundle

    bundle = build_bundle(published["run"], tmp_path / "b", "toy")
    names = {p.name for p in bundle.iterdir()}
    assert {"model-symbol.json", "model-0000.params", "model.onnx", "card.md", "bundle.json", "test.expect",
            "manifest.json", "motif_logos.png", "motifs.tsv"} <= names
    expect = json.loads((bundle / "test.expect").read_text())
    assert len(expect["sequences"]) == 18 and expect["atol"] == 1e-5
    worst = check_expectations(bundle, "toy")
    assert set(worst) == {"mxnet", "onnxruntime"} and max(worst.values()) < 1e-6
    verify_manifest(bundle, "toy")
