"""Variant effects and mutation maps with a model smoke-trained on a planted motif."""

from __future__ import annotations

import numpy as np
import pytest

from bindreg.core.errors import BindregError
from bindreg.score.variants import read_vcf, score_variants

from conftest import bindreg_cli, random_sequences, write_genome

MOTIF = "CCGCGTGACGTCACGCGG"  # planted in the positives of the toy experiment the `published` run learnt
MOTIF_AT = 1000  # 0-based start of the motif in chr1 of the test genome


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    background = random_sequences(1, 3000, seed=9)[0]
    chrom = background[:MOTIF_AT] + MOTIF + background[MOTIF_AT + len(MOTIF):]
    return write_genome(tmp_path_factory.mktemp("genome") / "genome.fa", {"chr1": chrom}), chrom


def vcf(path, records: list[tuple]) -> str:
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += ["\t".join(str(v) for v in record) + "\t.\t.\t." for record in records]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_destroying_the_motif_is_strongly_negative_and_a_distant_change_is_near_zero(published, genome, tmp_path):
    fasta, chrom = genome
    core = MOTIF_AT + 5  # GTGACG, the centre of the palindrome
    far = 2500  # > 1 kb from the motif: its 101 bp window holds background only
    other = "A" if chrom[far] != "A" else "C"
    records = [("chr1", core + 1, "substitution", chrom[core:core + 6], "TTTTTT"),
               ("chr1", core + 1, "deletion", chrom[core:core + 6], chrom[core]),
               ("chr1", far + 1, "distant_snv", chrom[far], other)]
    rows = {r["id"]: r for r in score_variants(str(published["run"]), vcf(tmp_path / "v.vcf", records), fasta,
                                               tmp_path / "effects.tsv")}
    assert rows["substitution"]["ref_score"] > 0.9
    # Observed: substitution -0.57 in P(bound) (-6.0 in log-odds), deletion -0.94 (-8.5); distant SNV -0.006.
    assert rows["substitution"]["log_odds_delta"] < -3 and rows["deletion"]["delta"] < -0.5
    assert abs(rows["distant_snv"]["delta"]) < 0.05
    assert "indel" in rows["deletion"]["note"]
    table = (tmp_path / "effects.tsv").read_text().splitlines()
    assert table[0].split("\t") == ["chrom", "pos", "id", "ref", "alt", "ref_score", "alt_score", "delta",
                                    "log_odds_delta", "note"] and len(table) == 4


def test_ref_mismatches_and_unknown_chromosomes_are_noted_per_variant(published, genome, tmp_path):
    fasta, chrom = genome
    wrong = "A" if chrom[10] != "A" else "C"
    records = [("chr1", 11, "mismatch", wrong, "G"), ("chrX", 5, "elsewhere", "A", "C"),
               ("chr1", 21, "symbolic", chrom[20], "<DEL>"), ("chr1", 31, "fine", chrom[30], "A,C")]
    rows = score_variants(str(published["run"]), vcf(tmp_path / "v.vcf", records), fasta)
    notes = {r["id"]: r["note"] for r in rows}
    assert f"REF '{wrong}' does not match the genome ('{chrom[10]}')" in notes["mismatch"]
    assert "chromosome 'chrX' is not in the genome" in notes["elsewhere"]
    assert "symbolic" in notes["symbolic"]
    scored = [r for r in rows if r["id"] == "fine"]
    assert len(scored) == 2 and all(r["ref_score"] is not None for r in scored)  # one row per ALT allele


def test_a_bad_vcf_line_is_one_error_naming_file_and_line(tmp_path):
    bad = tmp_path / "bad.vcf"
    bad.write_text("#CHROM\tPOS\tID\tREF\tALT\nchr1\t10\ta\tA\tC\nchr1\tten\tb\tA\tC\n")
    with pytest.raises(BindregError, match=r"bad.vcf:3: POS 'ten' is not a positive integer"):
        read_vcf(bad)
    result = bindreg_cli("score-variants", str(tmp_path), "--vcf", str(bad), "--fasta", str(bad), check=False)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1


def test_mutagenesis_map_finds_the_motif(published, tmp_path):
    sequence = random_sequences(1, 60, seed=3)[0][:20] + MOTIF + random_sequences(1, 60, seed=4)[0][:22]
    out = tmp_path / "map.png"
    printed = bindreg_cli("mutagenesis", str(published["run"]), sequence, "-o", str(out)).stdout
    assert out.stat().st_size > 10_000 and "strongest loss" in printed and "windows scoring" in printed
    table = (tmp_path / "map.tsv").read_text().splitlines()
    assert table[0] == "position\tref\tdelta_A\tdelta_C\tdelta_G\tdelta_T\timportance" and len(table) == 61
    delta = np.array([[float(v) for v in line.split("\t")[2:6]] for line in table[1:]]).T  # (4, L)
    importance = np.array([float(line.split("\t")[6]) for line in table[1:]])
    assert np.all(delta["ACGT".index(sequence[5]), 5] == 0)  # the reference base itself
    assert np.allclose(importance, -delta.sum(axis=0) / 3, atol=1e-5)
    inside = importance[20:20 + len(MOTIF)].mean()
    outside = np.abs(np.r_[importance[:15], importance[45:]]).mean()
    assert inside > 5 * outside
