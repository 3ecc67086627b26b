"""Readers of Zeng .data, DeepBind .seq and FASTA, on real files and on broken ones."""

from __future__ import annotations

import pytest

from bindreg.core.errors import BindregError
from bindreg.data.formats import apply_label_file, read_deepbind_seq, read_fasta, read_zeng_data
from bindreg.core.sequences import SequenceSet

from conftest import shared


def test_zeng_release_reads_as_published():
    data = read_zeng_data(shared("zeng_md_stat3_gm12878", "train.data"))
    assert len(data) == 10185 and int(data.labels.sum()) == 5118
    assert data.check() == 101


def test_deepbind_release_reads_both_folds():
    folder = shared("deepbind_encode_jisraeli")
    train = read_deepbind_seq(folder / "MYC_H1-hESC_c-Myc_Stanford_AC.seq")
    test = read_deepbind_seq(folder / "MYC_H1-hESC_c-Myc_Stanford_B.seq")
    assert len(train) == 4051 and train.labels.min() == 1  # positives only
    assert len(test) == 1000 and int(test.labels.sum()) == 500


@pytest.mark.parametrize("content, message", [
    (">a ACGT 1\n>b ACGX 0\n", r"x.data:2: character 'X' at position 4 of 'b'"),
    (">a ACGT 1\n>b ACG 0\n", r"x.data:2: sequence 'b' has length 3, expected 4"),
    (">a ACGT 1\n>b ACGA 2\n", r"x.data:2: label '2' is not binary"),
    (">a ACGT\n", r"x.data:1: expected '>name SEQUENCE label' \(3 fields\)"),
    ("", r"x.data: no sequences found"),
])
def test_bad_zeng_input_names_file_line_and_fix(tmp_path, content, message):
    path = tmp_path / "x.data"
    path.write_text(content)
    with pytest.raises(BindregError, match=message):
        read_zeng_data(path).check()


def test_bad_deepbind_header(tmp_path):
    path = tmp_path / "x_AC.seq"
    path.write_text("id\tsequence\nA\tACGT\n")
    with pytest.raises(BindregError, match=r"x_AC.seq:1: expected the header"):
        read_deepbind_seq(path)


def test_fasta_multiline_gz_and_labels(tmp_path):
    import gzip

    path = tmp_path / "peaks.fa.gz"
    with gzip.open(path, "wt") as out:
        out.write(">one desc\nACGT\nACGT\n>two\nTTTTNNNN\n")
    fasta = read_fasta(path)
    assert fasta.names == ["one", "two"] and fasta.sequences == ["ACGTACGT", "TTTTNNNN"]
    labels = tmp_path / "labels.tsv"
    labels.write_text("name\tlabel\ntwo\t0\none\t1\n")
    assert apply_label_file(fasta, labels).labels.tolist() == [1, 0]
    labels.write_text("one 1\n")
    with pytest.raises(BindregError, match=r"peaks.fa.gz:4: sequence 'two' has no label"):
        apply_label_file(read_fasta(path), labels)


def test_binary_file_is_refused_in_one_line(tmp_path):
    path = tmp_path / "x.data"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(BindregError, match="not a text file"):
        read_zeng_data(path)


def test_label_count_mismatch():
    with pytest.raises(BindregError, match="2 labels for 1 sequences"):
        import numpy as np

        SequenceSet(["a"], ["ACGT"], np.array([1, 0], np.int8), "mem").check()
