"""bindreg.score.scan: the convolutional scan equals scoring each window alone, tracks, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bindreg.core.errors import BindregError
from bindreg.score.scan import Scanner, base_codes, load_plan, probabilities, scan

from conftest import bindreg_cli, exported_model, write_genome

LENGTH = 101


def window_alone(folder: Path, sequences: list[str]) -> np.ndarray:
    """P(bound) of each window through the exported MXNet graph (bindreg predict's fixed-length path)."""
    from bindreg.score.predict import load_scorer, score

    return score(load_scorer(folder, "mxnet"), sequences)


def random_genome(length: int, seed: int, n_runs=()) -> str:
    rng = np.random.default_rng(seed)
    sequence = np.array(list("ACGT"))[rng.integers(0, 4, length)]
    for start, end in n_runs:
        sequence[start:end] = "N"
    return "".join(sequence)


@pytest.mark.parametrize("architecture", ["1layer", "1layer_128motif", "2layer", "3layer", "1layer_local_win3",
                                          "2layer_local_win3"])
def test_scan_equals_each_window_scored_alone(architecture, tmp_path):
    model = exported_model(tmp_path / architecture, architecture)
    sequence = random_genome(6000, seed=1, n_runs=[(3000, 3400)])
    scanner = Scanner(load_plan(model))
    codes = base_codes(sequence)
    whole = probabilities(scanner.window_logits(codes))
    # Small chunks (1,000 windows) so several borders fall inside the stretch.
    pieces = [probabilities(scanner.window_logits(codes[s:s + 1000 + LENGTH - 1])) for s in range(0, 6000 - LENGTH + 1, 1000)]
    chunked = np.concatenate(pieces)
    rng = np.random.default_rng(2)
    starts = sorted(set(rng.integers(0, 6000 - LENGTH + 1, 40).tolist())
                    | {0, 999, 1000, 1001, 1999, 2000, 5899}           # chunk borders and the last window
                    | {3000 - LENGTH, 3000 - LENGTH + 1, 3000 - 50, 3399, 3400, 3401})  # next to / over the N run
    alone = window_alone(model, [sequence[s:s + LENGTH] for s in starts])
    assert np.abs(whole[starts] - alone).max() < 1e-5
    assert np.abs(chunked[starts] - alone).max() < 1e-5
    assert whole.std() > 1e-3  # the random network does vary along the sequence


def test_deepbind_and_both_strand_networks_are_refused_in_one_line(tmp_path):
    for architecture, operator in (("deepbind", "pad"), ("1layer_rc", "two branches")):
        model = exported_model(tmp_path / architecture, architecture)
        with pytest.raises(BindregError) as error:
            load_plan(model)
        message = str(error.value)
        assert "\n" not in message and operator in message and "bindreg predict --mode windows" in message


@pytest.fixture(scope="module")
def small_genome(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scan_genome")
    records = {"chr1": random_genome(5000, 3, n_runs=[(0, 30), (2000, 2600)]), "chr2": random_genome(1200, 4)}
    return write_genome(folder / "genome.fa", records), records


def test_track_values_equal_windows_alone_and_bigwig_equals_bedgraph(small_genome, tmp_path):
    import pyBigWig

    fasta, records = small_genome
    model = exported_model(tmp_path / "1layer", "1layer")
    bedgraph, bigwig = tmp_path / "t.bedGraph", tmp_path / "t.bw"
    scan(str(model), fasta, bedgraph, chunk=700)
    scan(str(model), fasta, bigwig, chunk=700)
    other_chunks = tmp_path / "other.bw"
    scan(str(model), fasta, other_chunks, chunk=900)
    lines = [line.split("\t") for line in bedgraph.read_text().splitlines()]
    values = {(c, int(s)): float(v) for c, s, e, v in lines}
    assert all(int(e) - int(s) == 1 for _, s, e, _ in lines)
    expected_bases = sum(seq.count("A") + seq.count("C") + seq.count("G") + seq.count("T") for seq in records.values())
    assert len(values) == expected_bases  # every non-N base once, no N base
    track = pyBigWig.open(str(bigwig))
    assert track.chroms() == {"chr1": 5000, "chr2": 1200}
    for chrom, seq in records.items():
        from_bw = np.array(track.values(chrom, 0, len(seq)))
        from_bg = np.array([values.get((chrom, i), np.nan) for i in range(len(seq))])
        assert np.array_equal(np.isnan(from_bw), np.isnan(from_bg))
        assert np.array_equal(from_bw[~np.isnan(from_bw)], from_bg[~np.isnan(from_bg)].astype(np.float32))
        with pyBigWig.open(str(other_chunks)) as other:
            assert np.nanmax(np.abs(np.array(other.values(chrom, 0, len(seq))) - from_bw)) < 1e-6
    track.close()
    # The value at base x is the window of L bp centred on x (N past the chromosome ends).
    padded = {c: "N" * 50 + s + "N" * 50 for c, s in records.items()}
    picks = [("chr1", 30), ("chr1", 31), ("chr1", 699), ("chr1", 700), ("chr1", 1999), ("chr1", 2600),
             ("chr1", 4999), ("chr2", 0), ("chr2", 1199), ("chr2", 600)]
    alone = window_alone(model, [padded[c][x:x + LENGTH] for c, x in picks])
    assert np.abs(np.array([values[p] for p in picks]) - alone).max() < 1e-5


def test_stride_regions_and_chrom_selection(small_genome, tmp_path):
    fasta, records = small_genome
    model = exported_model(tmp_path / "2layer", "2layer")
    full = tmp_path / "full.bedGraph"
    scan(str(model), fasta, full, chroms=["chr2"])
    every = {int(s): float(v) for c, s, e, v in (l.split("\t") for l in full.read_text().splitlines())}
    assert set(every) == set(range(1200))
    strided = tmp_path / "strided.bedGraph"
    scan(str(model), fasta, strided, chroms=["chr2"], stride=7, chunk=100)
    rows = [l.split("\t") for l in strided.read_text().splitlines()]
    assert [int(r[1]) for r in rows] == list(range(0, 1200, 7))
    assert all(int(r[2]) == min(int(r[1]) + 7, 1200) for r in rows)
    assert max(abs(float(r[3]) - every[int(r[1])]) for r in rows) < 1e-6
    bed = tmp_path / "regions.bed"
    bed.write_text("chr1\t100\t300\nchr1\t250\t400\nchr2\t10\t20\n")
    regional = tmp_path / "regions.bedGraph"
    scan(str(model), fasta, regional, regions=bed)
    starts = [(r.split("\t")[0], int(r.split("\t")[1])) for r in regional.read_text().splitlines()]
    assert starts == [("chr1", x) for x in range(100, 400)] + [("chr2", x) for x in range(10, 20)]


def test_scan_cli_and_one_line_refusals(small_genome, tmp_path):
    fasta, _ = small_genome
    model = exported_model(tmp_path / "1layer", "1layer")
    result = bindreg_cli("scan", str(model), "--genome", str(fasta), "--chrom", "chr2", "-o", str(tmp_path / "t.bw"))
    assert "1,200 bp" in result.stdout and (tmp_path / "t.bw").exists()
    cases = [
        (["--chrom", "chrX"], "chromosome 'chrX' is not in the genome"),
        (["--genome", str(tmp_path)], "is a directory"),
        (["-o", str(tmp_path / "t.wig")], "unknown track format"),
        (["--regions", str(tmp_path / "missing.bed")], "not found"),
        (["--stride", "0"], "stride"),
    ]
    for extra, text in cases:
        args = {"--genome": str(fasta), "-o": str(tmp_path / "x.bw")}
        flags = []
        for i in range(0, len(extra), 2):
            if extra[i] in args:
                args[extra[i]] = extra[i + 1]
            else:
                flags += extra[i:i + 2]
        command = ["scan", str(model)] + [v for kv in args.items() for v in kv] + flags
        failed = bindreg_cli(*command, check=False)
        assert failed.returncode != 0, extra
        lines = [l for l in failed.stderr.strip().splitlines() if l.strip()]
        assert text in failed.stderr, (extra, failed.stderr)
        assert len(lines) == 1 or "Usage" in failed.stderr, failed.stderr
        assert not (tmp_path / "x.bw").exists()
    deepbind = exported_model(tmp_path / "deepbind", "deepbind")
    failed = bindreg_cli("scan", str(deepbind), "--genome", str(fasta), "-o", str(tmp_path / "d.bw"), check=False)
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1 and "pad" in failed.stderr


def test_prefetched_keeps_order_raises_worker_errors_and_stops_early():
    from bindreg.score.scan import prefetched

    assert list(prefetched(iter(range(50)))) == list(range(50))

    def failing():
        yield 1
        raise BindregError("worker failed")

    with pytest.raises(BindregError, match="worker failed"):
        list(prefetched(failing()))
    produced = []

    def endless():
        for i in range(10_000):
            produced.append(i)
            yield i

    for item in prefetched(endless()):
        if item == 3:
            break
    assert len(produced) < 20  # the worker stopped a few items ahead
