"""Atomic writes: results appear whole, with the permissions the user's umask gives any new file."""

from __future__ import annotations

import gzip
import os
import stat

import pytest

from bindreg.core.fsutil import atomic_directory, open_text, write_text_atomic


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_results_get_the_umask_not_tempfiles_private_modes(tmp_path, umask_022):
    with atomic_directory(tmp_path / "run") as scratch:
        write_text_atomic(scratch / "metrics.json", "{}\n")
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "run" / "metrics.json").stat().st_mode) == 0o644


def test_an_interrupted_directory_leaves_the_previous_one(tmp_path):
    with atomic_directory(tmp_path / "out") as scratch:
        (scratch / "a").write_text("first")
    with pytest.raises(RuntimeError):
        with atomic_directory(tmp_path / "out") as scratch:
            (scratch / "a").write_text("second")
            raise RuntimeError("interrupted")
    assert (tmp_path / "out" / "a").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_open_text_reads_plain_and_gzip(tmp_path):
    (tmp_path / "a.bed").write_text("chr1\t0\t10\n")
    with gzip.open(tmp_path / "a.bed.gz", "wt") as out:
        out.write("chr1\t0\t10\n")
    with open_text(tmp_path / "a.bed") as plain, open_text(tmp_path / "a.bed.gz") as packed:
        assert plain.read() == packed.read()
