"""bindreg.score.regions (predict --genome --regions) and batched variant scoring over a small genome."""

from __future__ import annotations

import numpy as np
import pytest

from bindreg.score.predict import predict_fasta
from bindreg.score.variants import iter_variant_rows, score_variants

from conftest import bindreg_cli, exported_model, random_sequences, write_genome


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    folder = tmp_path_factory.mktemp("regions")
    records = {"chr1": random_sequences(1, 4000, seed=21)[0], "chr2": random_sequences(1, 900, seed=22)[0]}
    genome = write_genome(folder / "genome.fa", records)
    model = exported_model(folder / "2layer", "2layer", onnx=True)
    return folder, genome, records, model


@pytest.mark.parametrize("engine", ["mxnet", "onnxruntime"])
def test_regions_are_scored_whole_with_their_coordinates(setting, tmp_path, engine):
    folder, genome, records, model = setting
    peaks = [("chr1", 100, 201, "exact"), ("chr1", 1000, 1400, "long"), ("chr2", 850, 900, "short"),
             ("chr2", 0, 101, "first")]
    bed = tmp_path / "peaks.bed"
    bed.write_text("".join(f"{c}\t{s}\t{e}\t{n}\t0\t+\n" for c, s, e, n in peaks))
    out = tmp_path / "scores.bed"
    result = bindreg_cli("predict", str(model), "--genome", str(genome), "--regions", str(bed), "--engine", engine,
                         "-o", str(out))
    assert "4 regions scored" in result.stdout
    lines = out.read_text().splitlines()
    assert lines[0] == "#chrom\tstart\tend\tname\tscore"
    rows = [line.split("\t") for line in lines[1:]]
    assert [tuple(r[:4]) for r in rows] == [(c, str(s), str(e), n) for c, s, e, n in peaks]
    fasta = write_genome(tmp_path / "regions.fa", {n: records[c][s:e] for c, s, e, n in peaks})
    _, expected = predict_fasta(str(model), fasta, engine=engine)
    assert np.abs(np.array([float(r[4]) for r in rows]) - expected).max() < 1e-6


def test_narrowpeak_regions_without_names_and_refusals(setting, tmp_path):
    folder, genome, _, model = setting
    peak = tmp_path / "p.narrowPeak"
    peak.write_text("chr1\t10\t300\t.\t0\t.\t5.0\t-1\t-1\t50\n")
    out = tmp_path / "p.tsv"
    bindreg_cli("predict", str(model), "--genome", str(genome), "--regions", str(peak), "-o", str(out))
    assert out.read_text().splitlines()[1].startswith("chr1\t10\t300\tchr1:10-300\t")
    bad = tmp_path / "bad.bed"
    bad.write_text("chrX\t1\t50\n")
    for args, text in ((["--genome", str(genome), "--regions", str(bad)], "chromosome 'chrX' is not in the genome"),
                       (["--genome", str(genome)], "--genome with --regions"),
                       (["--genome", str(folder), "--regions", str(peak)], "is a directory")):
        failed = bindreg_cli("predict", str(model), *args, "-o", str(tmp_path / "x.tsv"), check=False)
        assert failed.returncode == 1 and text in failed.stderr and failed.stderr.count("\n") == 1, failed.stderr


def test_variants_in_batches_equal_one_batch_and_stream_to_a_file(setting, tmp_path):
    folder, genome, records, model = setting
    rng = np.random.default_rng(4)
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT"]
    for i in range(300):
        chrom = "chr1" if i % 3 else "chr2"
        pos = int(rng.integers(1, len(records[chrom]) + 1))
        ref = records[chrom][pos - 1]
        alt = "ACGT"[("ACGT".index(ref) + 1 + i % 3) % 4]
        lines.append(f"{chrom}\t{pos}\tv{i}\t{ref}\t{alt if i % 50 else alt + 'GG'}")
    lines.append("chrY\t5\tmissing\tA\tC")
    vcf = tmp_path / "calls.vcf"
    vcf.write_text("\n".join(lines) + "\n")
    whole = score_variants(str(model), vcf, genome)
    batched = list(iter_variant_rows(str(model), vcf, genome, batch=37))
    assert len(whole) == len(batched) == 301
    assert [r["id"] for r in batched] == [r["id"] for r in whole]
    assert max(abs(a["delta"] - b["delta"]) for a, b in zip(whole[:-1], batched[:-1])) < 1e-9
    assert batched[-1]["ref_score"] is None and "chromosome 'chrY'" in batched[-1]["note"]
    # Against the windows scored one at a time by the fixed-length path.
    from bindreg.score.predict import load_scorer, score

    scorer = load_scorer(model, "mxnet")
    row = whole[5]
    start = row["pos"] - 1 - 50
    window = ("N" * 101 + records[row["chrom"]] + "N" * 101)[start + 101:start + 202]
    assert abs(score(scorer, [window])[0] - row["ref_score"]) < 1e-6
    out = tmp_path / "effects.tsv"
    result = bindreg_cli("score-variants", str(model), "--vcf", str(vcf), "--fasta", str(genome), "-o", str(out))
    assert "300 variant(s) scored, 1 not scored" in result.stdout
    assert len(out.read_text().splitlines()) == 302
