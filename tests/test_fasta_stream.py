"""bindreg.score.fasta_stream: block-parsed FASTA scores equal the record-by-record path, with both engines."""

from __future__ import annotations

import numpy as np
import pytest

from bindreg.core.errors import BindregError
from bindreg.score.fasta_stream import format_scores, iter_blocks, predict_fasta_stream
from bindreg.score.predict import predict_fasta, read_predictions

from conftest import exported_model, random_sequences


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return exported_model(tmp_path_factory.mktemp("fasta_stream") / "1layer", "1layer", onnx=True)


def mixed_fasta(path, count=700):
    """Records of 101 bp (most), shorter, longer, with N, lower case, wrapped lines, CRLF, blank lines."""
    rng = np.random.default_rng(5)
    lines = []
    for i, seq in enumerate(random_sequences(count, seed=9)):
        if i % 50 == 7:
            seq = seq[:60]
        elif i % 50 == 8:
            seq = seq + random_sequences(1, 250, seed=i)[0]
        elif i % 50 == 9:
            seq = seq[:30] + "N" * 10 + seq[40:].lower()
        width = [60, 101, 1000][i % 3]
        lines.append(f">seq{i} description {rng.integers(100)}")
        lines += [seq[j:j + width] for j in range(0, len(seq), width)]
        if i % 97 == 0:
            lines.append("")
    text = "\r\n".join(lines[:len(lines) // 2]) + "\r\n" + "\n".join(lines[len(lines) // 2:]) + "\n"
    path.write_text(text)
    return path


@pytest.mark.parametrize("engine", ["mxnet", "onnxruntime"])
def test_streamed_scores_equal_the_record_by_record_path(model, tmp_path, engine):
    fasta = mixed_fasta(tmp_path / "mixed.fa")
    names, expected = predict_fasta(str(model), fasta, engine=engine, mode="windows")
    out = tmp_path / "streamed.tsv"
    # Small blocks: record boundaries fall at many block edges.
    count, _ = predict_fasta_stream(str(model), fasta, engine, out, mode="windows", block_bytes=3000)
    streamed = read_predictions(out)
    assert count == len(names) == 700 and list(streamed) == names
    assert np.abs(np.array(list(streamed.values())) - expected).max() < 1e-6


def test_blocks_and_formatting(tmp_path):
    fasta = tmp_path / "a.fa"
    fasta.write_text(">a x\nACGT\nac\n>b\nNNNN\n")
    blocks = list(iter_blocks(fasta))
    assert [n for b in blocks for n in b.lengths.tolist()] == [6, 4]
    assert [c for b in blocks for c in b.codes.tolist()] == [0, 1, 2, 3, 0, 1, 4, 4, 4, 4]
    assert b"".join(b.name_bytes.tobytes() for b in blocks) == b"ab"
    assert [t.tobytes() for t in format_scores(np.array([0, 1, 0.5, 0.1234567894]))] == \
        [b"0.000000000", b"1.000000000", b"0.500000000", b"0.123456789"]
    bad = tmp_path / "bad.fa"
    bad.write_text(">a\nACGT\n>b\nACRT\n")
    with pytest.raises(BindregError, match=r"bad.fa:4: character 'R'"):
        list(iter_blocks(bad))
    headless = tmp_path / "headless.fa"
    headless.write_text("\nACGT\n>a\nACGT\n")
    with pytest.raises(BindregError, match=r"headless.fa:2: sequence before the first"):
        list(iter_blocks(headless))
    with pytest.raises(BindregError, match="is a directory"):
        list(iter_blocks(tmp_path))
