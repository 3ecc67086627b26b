"""Issue 16, one test per finding of "Why": each bad input a one-line refusal that names the file,
line or value and the fix (or acceptance where acceptance is right), warnings with counts, nothing
written outside the folder the user gave, a tampered model never used."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from bindreg.core.errors import BindregError, BindregWarning

from conftest import assert_one_line_error, invoke, random_sequences, tiny_model, write_genome, write_zeng_experiment


# ---------------------------------------------------------------- stores: damaged, or naming folders outside

@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    from bindreg.data.datasets import prepare

    base = tmp_path_factory.mktemp("store")
    data = write_zeng_experiment(base / "toy", train=150, test=50)
    path, _ = prepare(str(data), "discovery", out=base / "toy.zarr", refresh=True)
    return path


def _copy(store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "damaged.zarr"
    shutil.copytree(store, copy)
    return copy


def set_attr(store: Path, name: str, value=None, delete: bool = False) -> None:
    """Change an attribute in both ``.zattrs`` and the consolidated ``.zmetadata`` (what xarray reads)."""
    attrs = json.loads((store / ".zattrs").read_text())
    meta = json.loads((store / ".zmetadata").read_text())
    for holder in (attrs, meta["metadata"][".zattrs"]):
        if delete:
            holder.pop(name, None)
        else:
            holder[name] = value
    (store / ".zattrs").write_text(json.dumps(attrs))
    (store / ".zmetadata").write_text(json.dumps(meta))


def _onehot_chunk(store: Path) -> Path:
    return sorted(p for p in (store / "onehot").iterdir() if not p.name.startswith("."))[0]


def _truncate(chunk: Path) -> None:
    chunk.write_bytes(chunk.read_bytes()[: chunk.stat().st_size // 2])


def _flip(chunk: Path) -> None:
    data = bytearray(chunk.read_bytes())
    for offset in range(20, len(data), max(1, len(data) // 7)):
        data[offset] ^= 0xFF
    chunk.write_bytes(bytes(data))


def _folder_instead(chunk: Path) -> None:
    chunk.unlink()
    chunk.mkdir()


@pytest.mark.parametrize("damage, message", [
    (_truncate, "cannot be read"),
    (_flip, "damaged.zarr"),
    (_folder_instead, "damaged.zarr"),
])
def test_a_damaged_chunk_is_one_line(good_store, tmp_path, damage, message):
    store = _copy(good_store, tmp_path)
    damage(_onehot_chunk(store))
    assert_one_line_error(invoke("data", "show", store), str(store), message)


@pytest.mark.parametrize("name, value, message", [
    ("counts", "{not json", "attribute 'counts' is not JSON"),
    ("provenance", "[1, 2", "attribute 'provenance' is not JSON"),
    ("sequence_length", "abc", "attribute 'sequence_length' is 'abc', not an integer"),
    ("sequence_length", 50, "attribute sequence_length is 50 but onehot holds 101 positions"),
    ("dataset", None, "attribute 'dataset' is missing"),
])
def test_bad_store_attributes_are_one_line(good_store, tmp_path, name, value, message):
    store = _copy(good_store, tmp_path)
    set_attr(store, name, value, delete=value is None)
    assert_one_line_error(invoke("data", "show", store), str(store), message)
    assert_one_line_error(invoke("run", "--model", "kmer_lr", "--data", store, "--runs", tmp_path / "runs"),
                          message)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("value", ["../../../escaped", "ABSOLUTE", "..", "a/b"])
def test_a_store_cannot_name_a_run_folder_outside_runs(good_store, tmp_path, value):
    work = tmp_path / "work"
    work.mkdir()
    store = _copy(good_store, work)
    set_attr(store, "dataset", str(tmp_path / "absolute-escape") if value == "ABSOLUTE" else value)
    result = invoke("run", "--model", "kmer_lr", "--data", store, "--runs", work / "a" / "b" / "runs")
    assert_one_line_error(result, str(store), "is not a plain name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_run_directories_stay_inside_runs(tmp_path):
    from bindreg.experiment.runs import run_directory

    assert run_directory(tmp_path, "ctcf", "discovery", "1layer-seed0") == tmp_path / "ctcf" / "discovery" / "1layer-seed0"
    for dataset in ("../x", "/abs", ".hidden", "a\\b", "x\x00y", ""):
        with pytest.raises(BindregError, match="not a plain name"):
            run_directory(tmp_path, dataset, "discovery", "1layer-seed0")


# ---------------------------------------------------------------- folders given where files are expected

@pytest.fixture(scope="module")
def genome_and_peaks(tmp_path_factory):
    base = tmp_path_factory.mktemp("genome")
    rng = np.random.default_rng(3)
    genome = write_genome(base / "genome.fa", {"chr1": "".join(rng.choice(list("ACGT"), 20000)),
                                              "chr2": "".join(rng.choice(list("ACGT"), 12000))})
    peaks = base / "peaks.narrowPeak"
    peaks.write_text("".join(f"chr1\t{s}\t{s + 200}\tp{i}\t0\t.\t{10 + i}\t-1\t-1\t100\n"
                             for i, s in enumerate(range(500, 19000, 600))))
    return genome, peaks


def test_a_folder_for_genome_peaks_or_vcf_is_one_line(genome_and_peaks, tmp_path):
    genome, peaks = genome_and_peaks
    folder = tmp_path / "a_folder"
    folder.mkdir()
    out = tmp_path / "out.zarr"
    assert_one_line_error(invoke("data", "prepare", "--genome", folder, "--peaks", peaks, "-o", out),
                          str(folder), "is a folder")
    assert_one_line_error(invoke("data", "prepare", "--genome", genome, "--peaks", folder, "-o", out),
                          str(folder), "is a folder")
    model = tiny_model(tmp_path / "model")
    assert_one_line_error(invoke("score-variants", model, "--vcf", folder, "--fasta", genome),
                          str(folder), "is a folder")
    assert not out.exists()


# ---------------------------------------------------------------- wrong answers that used to exit 0

def test_a_stale_fasta_index_is_refused(genome_and_peaks, tmp_path):
    genome, peaks = genome_and_peaks
    here = tmp_path / "genome.fa"
    shutil.copy(genome, here)
    # Another genome's index beside this one: same names and lengths, other line width.
    other = tmp_path / "other"
    other.mkdir()
    records = {}
    text = genome.read_text().split(">")[1:]
    for block in text:
        name, *rows = block.splitlines()
        records[name] = "".join(rows)
    (other / "genome.fa").write_text("".join(f">{n}\n" + "\n".join(s[i:i + 70] for i in range(0, len(s), 70)) + "\n"
                                             for n, s in records.items()))
    from bindreg.data.genome import Genome

    Genome(other / "genome.fa").close()
    shutil.copy(other / "genome.fa.fai", tmp_path / "genome.fa.fai")
    vcf = tmp_path / "calls.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n"
                   + "".join(f"chr1\t{p}\tv{p}\t{records['chr1'][p - 1]}\tA\n" for p in (300, 5000, 9000, 15000)))
    model = tiny_model(tmp_path / "model")
    for result in (invoke("score-variants", model, "--vcf", vcf, "--fasta", here),
                   invoke("data", "prepare", "--genome", here, "--peaks", peaks, "-o", tmp_path / "s.zarr")):
        assert_one_line_error(result, f"{here}.fai", "stale index", f"delete {here}.fai")
    (tmp_path / "genome.fa.fai").unlink()
    result = invoke("score-variants", model, "--vcf", vcf, "--fasta", here)
    assert result.exit_code == 0 and "not scored" not in result.stdout and "does not match" not in result.stdout


def _fasta(path: Path, sequences: list[str], names=None) -> Path:
    names = names or [f"s{i}" for i in range(len(sequences))]
    path.write_text("".join(f">{n}\n{s}\n" for n, s in zip(names, sequences)))
    return path


def test_a_name_labelled_1_and_0_is_refused(tmp_path):
    fasta = _fasta(tmp_path / "peaks.fa", random_sequences(40, seed=1))
    labels = tmp_path / "labels.tsv"
    labels.write_text("".join(f"s{i}\t{i % 2}\n" for i in range(40)) + "s3\t0\n")
    assert_one_line_error(invoke("data", "encode", fasta, "--labels", labels, "-o", tmp_path / "s.zarr"),
                          f"{labels}:41", "'s3' is labelled 0 here but 1 at line 4")


def test_a_repeated_label_line_is_a_warning_with_its_count(tmp_path):
    fasta = _fasta(tmp_path / "peaks.fa", random_sequences(40, seed=1))
    labels = tmp_path / "labels.tsv"
    labels.write_text("".join(f"s{i}\t{i % 2}\n" for i in range(40)) + "s3\t1\ns5\t1\n")
    result = invoke("data", "encode", fasta, "--labels", labels, "-o", tmp_path / "s.zarr")
    assert result.exit_code == 0, result.output
    assert f"Warning: {labels}: 2 name(s) are listed more than once" in result.stderr


def test_labels_do_not_silently_replace_those_of_a_data_file(tmp_path):
    data = write_zeng_experiment(tmp_path / "exp", train=60, test=20) / "train.data"
    labels = tmp_path / "labels.tsv"
    labels.write_text("".join(f"x{i}\t1\n" for i in range(120)))
    assert_one_line_error(invoke("data", "encode", data, "--labels", labels, "-o", tmp_path / "s.zarr"),
                          str(labels), "holds its own labels", "drop --labels")


def test_a_test_set_equal_to_training_warns_of_leakage_with_counts(tmp_path):
    data = write_zeng_experiment(tmp_path / "exp", train=100, test=20) / "train.data"
    result = invoke("data", "encode", data, "--test", data, "-o", tmp_path / "s.zarr")
    assert result.exit_code == 0, result.output
    assert "Warning: " in result.stderr and "200 of 200 test sequences also occur in the training" in result.stderr
    # The warning is kept with the store and repeated when a cached store is reused.
    from bindreg.data.datasets import prepare

    with pytest.warns(BindregWarning, match="leakage"):
        prepare(str(data), "discovery", test=data)
    with pytest.warns(BindregWarning, match="leakage"):
        prepare(str(data), "discovery", test=data)


def test_the_same_sequence_with_both_labels_is_a_warning(tmp_path):
    seqs = random_sequences(60, seed=4)
    lines = [f">p{i} {s} 1" for i, s in enumerate(seqs)] + [f">n{i} {s} 0" for i, s in enumerate(seqs[:5])]
    lines += [f">m{i} {s} 0" for i, s in enumerate(random_sequences(55, seed=5))]
    data = tmp_path / "conflict.data"
    data.write_text("\n".join(lines) + "\n")
    result = invoke("data", "encode", data, "-o", tmp_path / "s.zarr")
    assert result.exit_code == 0, result.output
    assert "5 sequence(s) occur with label 1 and with label 0" in result.stderr


def test_a_fasta_of_only_n_is_refused(tmp_path):
    fasta = _fasta(tmp_path / "masked.fa", ["N" * 101] * 30)
    assert_one_line_error(invoke("data", "encode", fasta, "-o", tmp_path / "s.zarr"), str(fasta), "only N")
    assert not (tmp_path / "s.zarr").exists()


# ---------------------------------------------------------------- refused but should be accepted

BOM = "\ufeff"


def test_a_byte_order_mark_is_accepted_in_every_format(tmp_path, genome_and_peaks):
    from bindreg.experiment.compare import read_params
    from bindreg.data.compendium import read_spec
    from bindreg.data.datasets import load_inputs
    from bindreg.data.genome import Genome
    from bindreg.data.peaks import read_peaks
    from bindreg.score.variants import read_vcf

    exp = write_zeng_experiment(tmp_path / "exp", train=40, test=10)
    data = exp / "train.data"
    data.write_text(BOM + data.read_text())
    assert len(load_inputs(str(data)).train) == 80
    seq = tmp_path / "X_AC.seq"
    seq.write_text(BOM + "FoldID\tEventID\tseq\tBound\n" + "".join(f"A\te{i}\t{s}\t1\n" for i, s in
                                                                    enumerate(random_sequences(10))))
    assert len(load_inputs(str(seq)).train) == 10
    fasta = tmp_path / "x.fa"
    fasta.write_text(BOM + ">a\n" + "ACGT" * 25 + "\n>b\n" + "TTGA" * 25 + "\n")
    labels = tmp_path / "labels.tsv"
    labels.write_text(BOM + "a 1\nb 0\n")
    assert list(load_inputs(str(fasta), labels=labels).train.labels) == [1, 0]
    genome, peaks = genome_and_peaks
    bom_peaks = tmp_path / "peaks.narrowPeak"
    bom_peaks.write_text(BOM + peaks.read_text())
    reference = Genome(genome)
    assert len(read_peaks(bom_peaks, reference).chroms) == len(read_peaks(peaks, reference).chroms)
    vcf = tmp_path / "calls.vcf"
    vcf.write_text(BOM + "#CHROM\tPOS\tID\tREF\tALT\nchr1\t10\tv\tA\tC\n")
    assert read_vcf(vcf)[0].pos == 10
    spec = tmp_path / "spec.json"
    spec.write_text(BOM + '{"tfs": "CTCF", "seed": 3}')
    assert read_spec(spec)["seed"] == 3
    params = tmp_path / "params.yaml"
    params.write_text(BOM + "models: [1layer]\n")
    assert read_params(params)["models"] == ["1layer"]


def test_gzipped_data_and_seq_files_are_read(tmp_path):
    from bindreg.data.datasets import load_inputs

    exp = write_zeng_experiment(tmp_path / "exp", train=40, test=10)
    for name in ("train.data", "test.data"):
        with gzip.open(exp / f"{name}.gz", "wt") as out:
            out.write((exp / name).read_text())
        (exp / name).unlink()
    inputs = load_inputs(str(exp / "train.data.gz"))
    assert len(inputs.train) == 80 and len(inputs.test) == 20 and inputs.name == "exp"
    assert load_inputs(str(exp)).test is not None
    seq = "FoldID\tEventID\tseq\tBound\n" + "".join(f"A\te{i}\t{s}\t1\n" for i, s in enumerate(random_sequences(10)))
    for name in ("TF_AC.seq.gz", "TF_B.seq.gz"):
        with gzip.open(tmp_path / name, "wt") as out:
            out.write(seq)
    inputs = load_inputs(str(tmp_path / "TF_AC.seq.gz"))
    assert inputs.name == "TF" and len(inputs.test) == 10


# ---------------------------------------------------------------- a tampered model cache is never used

def _pull_in_process(published, home: Path, monkeypatch):
    monkeypatch.setenv("BINDREG_HOME", str(home))
    result = invoke("pull", published["name"], "--from", published["registry"])
    assert result.exit_code == 0, result.output
    return home / "models" / published["name"] / "v0.0.1"


@pytest.mark.slow
def test_a_flipped_byte_in_a_pulled_model_stops_predict_and_pull_repairs_it(published, tmp_path, monkeypatch):
    cached = _pull_in_process(published, tmp_path / "home", monkeypatch)
    fasta = _fasta(tmp_path / "x.fa", random_sequences(3))
    params = cached / "model-0000.params"
    data = bytearray(params.read_bytes())
    data[len(data) // 2] ^= 0x01
    params.write_bytes(bytes(data))
    for args in (["predict", published["name"], fasta], ["test", published["name"]]):
        assert_one_line_error(invoke(*args), "model-0000.params does not match its sha256",
                              f"bindreg pull {published['name']}")
    result = invoke("pull", published["name"], "--from", published["registry"])
    assert result.exit_code == 0, result.output
    assert "was damaged (model-0000.params does not match" in result.stdout and "replaced" in result.stdout
    assert invoke("predict", published["name"], fasta).exit_code == 0


@pytest.mark.slow
def test_a_corrupt_manifest_is_named_as_such(published, tmp_path, monkeypatch):
    cached = _pull_in_process(published, tmp_path / "home", monkeypatch)
    manifest = cached / "manifest.json"
    text = manifest.read_text()
    listed = json.loads(text)["files"]["model-0000.params"]["sha256"]
    changed = listed[:20] + ("0" if listed[20] != "0" else "1") + listed[21:]
    manifest.write_text(text.replace(listed, changed))
    line = assert_one_line_error(invoke("test", published["name"]), "manifest.json")
    assert "model-0000.params" not in line
    result = invoke("pull", published["name"], "--from", published["registry"])
    assert result.exit_code == 0 and "manifest.json" in result.stdout and "replaced" in result.stdout


def test_differing_hashes_are_never_shown_as_identical(tmp_path):
    from bindreg.hub.bundle import write_manifest
    from bindreg.score.bundles import verify_manifest

    (tmp_path / "a.bin").write_bytes(b"x")
    manifest = write_manifest(tmp_path)
    real = manifest["files"]["a.bin"]["sha256"]
    manifest["files"]["a.bin"]["sha256"] = real[:30] + ("0" if real[30] != "0" else "1") + real[31:]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BindregError) as caught:
        verify_manifest(tmp_path, "m")
    expected, got = str(caught.value).split("expected ")[1].split("...")[0], str(caught.value).split("got ")[1].split("...")[0]
    assert expected != got and len(expected) >= 34


# ---------------------------------------------------------------- messages that mislead

def test_an_occupancy_store_run_as_discovery_says_run_it_as_occupancy(good_store, tmp_path):
    store = _copy(good_store, tmp_path)
    set_attr(store, "task", "occupancy")
    assert_one_line_error(invoke("run", "--model", "kmer_lr", "--data", store, "--runs", tmp_path / "runs"),
                          str(store), "run it with --task occupancy")


def test_an_unknown_model_lists_architectures_and_baselines():
    line = assert_one_line_error(invoke("run", "--model", "nosuchmodel"), "unknown model 'nosuchmodel'")
    assert "1layer" in line and "kmer_lr" in line and "gkmsvm" in line and "pwm" in line


def test_a_bad_character_is_reported_at_its_own_line(tmp_path):
    fasta = tmp_path / "multi.fa"
    fasta.write_text(">a\n" + "ACGT" * 10 + "\n" + "ACGTACGTXA" + "\n>b\n" + "A" * 50 + "\n")
    assert_one_line_error(invoke("data", "encode", fasta, "-o", tmp_path / "s.zarr"),
                          f"{fasta}:3: character 'X' at column 9")
    single = tmp_path / "single.fa"
    single.write_text(">a\nACGTRACGT\n")
    assert_one_line_error(invoke("data", "encode", single, "-o", tmp_path / "s.zarr"), f"{single}:2:")


# ---------------------------------------------------------------- surprises

@pytest.mark.slow
def test_compare_prints_its_plan_before_it_starts(tmp_path):
    data = write_zeng_experiment(tmp_path / "exp", train=200, test=50)
    result = invoke("compare", "-d", data, "-m", "kmer_lr", "--size-models", "kmer_lr", "--sizes", "100,100000",
                    "--runs", tmp_path / "runs", "-o", tmp_path / "report", "--quiet", "--no-motifs")
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()[:2]
    assert first == "plan: 2 run(s) over 1 experiment(s): 0 finished (reused), 2 to run"
    assert "1 data-size run(s)" in second and "100 sequences: kmer_lr on exp" in second
    again = invoke("compare", "-d", data, "-m", "kmer_lr", "--size-models", "kmer_lr", "--sizes", "100",
                   "--runs", tmp_path / "runs", "-o", tmp_path / "report", "--quiet", "--no-motifs")
    assert again.stdout.splitlines()[0] == "plan: 2 run(s) over 1 experiment(s): 2 finished (reused), 0 to run"


def test_temporary_folders_of_killed_writers_are_cleaned(tmp_path):
    import subprocess

    from bindreg.core.fsutil import atomic_directory, owner_tag

    dead = subprocess.run(["true"]).args and subprocess.Popen(["true"])
    dead.wait()
    host = owner_tag().rpartition("-")[0]
    stale = tmp_path / f".run.{host}-{dead.pid}.abc123.tmp"
    stale.mkdir()
    (stale / "metrics.json").write_text("{}")
    retired = tmp_path / f".run.{host}-{dead.pid}.old"
    retired.mkdir()
    foreign = tmp_path / ".run.otherhost-1.abc.tmp"  # another machine's writer: not ours to judge
    foreign.mkdir()
    with atomic_directory(tmp_path / "run") as scratch:
        (scratch / "metrics.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [foreign.name, "run"]


def test_generate_compendium_progress_counts_whole_bases(tmp_path, capsys):
    from bindreg.data.compendium import generate_compendium

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # TqdmWarning: clamping frac
        generate_compendium(tmp_path / "c", "CTCF", genome_mb=0.7, sites_per_tf=20, seed=1, progress=True)
    final = capsys.readouterr().err.replace("\r", "\n").splitlines()
    shown = [line for line in final if line.startswith("genome")][-1]
    done, total = re.search(r"(\S+)/(\S+) \[", shown).groups()
    assert done == total and "bp" in shown and "." not in total, shown  # whole bases, never 0.6999/0.7


def test_mutagenesis_plots_1_based_positions_like_it_prints(tmp_path):
    from bindreg.score.variants import MutationMap, mutation_figure

    result = MutationMap("ACGTA" * 4, 0.5, np.zeros((4, 20)), "windows")
    figure = mutation_figure(result)
    heat = figure.axes[1]
    assert heat.get_xlim() == (0.5, 20.5) and "1-based" in heat.get_xlabel()


# ---------------------------------------------------------------- outputs never replace what is not theirs

def test_an_output_path_never_replaces_an_input_or_someone_elses_folder(tmp_path, monkeypatch):
    fasta = _fasta(tmp_path / "peaks.fa", random_sequences(40, seed=2))
    before = fasta.read_bytes()
    assert_one_line_error(invoke("data", "encode", fasta, "-o", fasta), str(fasta), "is not a folder")
    assert fasta.read_bytes() == before
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    monkeypatch.chdir(mine)
    for args in (["compare", "-d", fasta, "-m", "kmer_lr", "--sizes", "", "--runs", tmp_path / "runs", "-o", "."],
                 ["data", "generate-compendium", ".", "--genome-mb", "0.2", "--sites", "10"],
                 ["run", "--model", "kmer_lr", "--data", fasta, "--out", "."]):
        assert_one_line_error(invoke(*args), "is not an earlier output of this command", "nothing was replaced")
    assert (mine / "thesis.tex").read_text() == "years of work"
    model = tiny_model(tmp_path / "model")
    assert_one_line_error(invoke("predict", model, fasta, "-o", fasta), "is also an input")
    assert fasta.read_bytes() == before
