"""Fuzz harness (issue 16): hundreds of generated malformed inputs across every format and command.

Each case writes its inputs into its own ``in/`` folder, runs one command in this process (typer's
CliRunner: no interpreter or MXNet start-up per case) from an empty ``out/`` folder that receives
every output option, and asserts:

- exit status 1 and no traceback (the exception is the CLI's own ``SystemExit``);
- exactly one line on stderr, ``Error: ...``, naming the malformed file (or value);
- nothing created or changed outside ``out/``: the case's inputs, the shared assets (model, genome,
  store) and ``$BINDREG_HOME`` are compared file by file (size and mtime) before and after.

Cases are generated from a fixed seed, so a failure names a case that can be rerun alone
(``pytest tests/test_fuzz.py -k fuzz --fuzz-case NAME`` is not needed: the failure message holds the
case's name, command and stderr).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from conftest import invoke, random_sequences, tiny_model, write_genome

SEED = 16
BAD_CHARS = "BDEFHIJKLMOPQRSUVWXYZ*-.0123456789@#"
DIR = object()  # a folder where a file is expected


@dataclass
class Case:
    name: str
    files: dict  # relative path -> bytes, or DIR
    args: list  # "{in}/x" and "{out}/y" and "{assets}/z" are filled in
    needle: str  # what the one error line must name ("{in}/x" style, or a plain value)
    setup: object = None  # optional callable(in_dir, assets) for cases that copy assets
    origin: dict = field(default_factory=dict)


# ---------------------------------------------------------------- valid material that mutations start from

def _zeng_lines(rng, count=30) -> list[str]:
    pos = random_sequences(count, seed=int(rng.integers(1 << 30)))
    neg = random_sequences(count, seed=int(rng.integers(1 << 30)))
    return [f">chr1:{i}-{i + 101} {s} 1" for i, s in enumerate(pos)] + \
           [f">chr2:{i}-{i + 101} {s} 0" for i, s in enumerate(neg)]


def _seq_lines(rng, count=30) -> list[str]:
    seqs = random_sequences(2 * count, seed=int(rng.integers(1 << 30)))
    return ["FoldID\tEventID\tseq\tBound"] + [f"A\tseq_{i}\t{s}\t{int(i < count)}" for i, s in enumerate(seqs)]


def _fasta_lines(rng, count=30) -> list[str]:
    lines = []
    for i, s in enumerate(random_sequences(count, seed=int(rng.integers(1 << 30)))):
        lines += [f">s{i}", s[:60], s[60:]]
    return lines


def _text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _garbage(rng) -> bytes:
    data = bytearray(rng.integers(0, 256, int(rng.integers(20, 400)), dtype=np.uint8).tobytes())
    data[int(rng.integers(len(data)))] = 0xFF  # never valid UTF-8
    return bytes(data)


def _truncated_gzip(rng, text: bytes) -> bytes:
    packed = gzip.compress(text)
    return packed[: int(rng.integers(12, max(13, len(packed) - 9)))]


def _bad_char(rng, line: str, start: int, end: int) -> str:
    position = int(rng.integers(start, end))
    return line[:position] + str(rng.choice(list(BAD_CHARS))) + line[position + 1:]


# ---------------------------------------------------------------- mutations per format (each one always malformed)

def zeng_cases(rng, count: int) -> list[Case]:
    commands = [
        lambda f: ["data", "encode", f, "-o", "{out}/s.zarr"],
        lambda f: ["run", "--model", "kmer_lr", "--data", f, "--runs", "{out}/runs", "-q"],
        lambda f: ["compare", "-d", f, "-m", "kmer_lr", "--sizes", "", "--runs", "{out}/runs", "-o", "{out}/r", "-q"],
        lambda f: ["run", "--model", "1layer", "--data", "{in}/ok.data", "--test", f, "--runs", "{out}/runs", "-q"],
    ]
    cases = []
    for k in range(count):
        lines = _zeng_lines(rng)
        i = int(rng.integers(len(lines)))
        kind = k % 10
        name, seq, label = lines[i].split(" ")
        if kind == 0:
            lines[i] = " ".join([name, _bad_char(rng, seq, 0, len(seq)), label])
        elif kind == 1:
            lines[i] = " ".join([name, seq, str(rng.choice(["2", "-1", "yes", "0.5", "1.0", "true", "l", "O"]))])
        elif kind == 2:
            lines[i] = " ".join([name, seq] if rng.random() < 0.5 else [name, seq, label, "extra"])
        elif kind == 3:
            lines[i] = " ".join([name[1:], seq, label])
        elif kind == 4:
            cut = int(rng.integers(1, 50))
            lines[i] = " ".join([name, seq[:-cut], label])
        elif kind == 5:
            lines = [" " * int(rng.integers(0, 3))] * int(rng.integers(0, 4))
        elif kind == 6:
            data = _garbage(rng)
        elif kind == 7:
            lines[i] = lines[i][:20] + "\x00" + lines[i][20:]
        elif kind == 8:
            lines[i] = lines[i].replace(" ", "\t", 1).replace(" ", ",")
        data = _garbage(rng) if kind == 6 else _text(lines)
        file = "bad.data"
        if kind == 9:
            file, data = "bad.data.gz", _truncated_gzip(rng, _text(lines))
        elif rng.random() < 0.2 and kind not in (6,):
            file, data = "bad.data.gz", gzip.compress(data)
        files = {file: data, "ok.data": _text(_zeng_lines(rng))}
        cases.append(Case(f"zeng-{k}-kind{kind}", files, commands[k % len(commands)](f"{{in}}/{file}"), f"{{in}}/{file}"))
    return cases


def deepbind_cases(rng, count: int) -> list[Case]:
    cases = []
    for k in range(count):
        lines = _seq_lines(rng)
        i = int(rng.integers(1, len(lines)))
        fields = lines[i].split("\t")
        kind = k % 8
        if kind == 0:
            lines[0] = str(rng.choice(["FoldID\tEventID\tseq", "fold\tevent\tseq\tbound", "FoldID EventID seq Bound", ""]))
        elif kind == 1:
            fields[2] = _bad_char(rng, fields[2], 0, len(fields[2]))
        elif kind == 2:
            fields[3] = str(rng.choice(["2", "bound", "-1", "0.0"]))
        elif kind == 3:
            fields = fields[:3] if rng.random() < 0.5 else fields + ["x"]
        elif kind == 4:
            fields[2] = fields[2][: -int(rng.integers(1, 40))]
        elif kind == 5:
            fields[2] = ""
        lines[i] = "\t".join(fields)
        data = _garbage(rng) if kind == 6 else _text(lines)
        file = "TF_AC.seq"
        if kind == 7:
            file, data = "TF_AC.seq.gz", _truncated_gzip(rng, data)
        command = (["data", "encode", f"{{in}}/{file}", "-o", "{out}/s.zarr"] if k % 2 else
                   ["run", "--model", "kmer_lr", "--data", f"{{in}}/{file}", "--runs", "{out}/runs", "-q"])
        cases.append(Case(f"seq-{k}-kind{kind}", {file: data}, command, f"{{in}}/{file}"))
    return cases


def fasta_cases(rng, count: int) -> list[Case]:
    cases = []
    for k in range(count):
        lines = _fasta_lines(rng)
        kind = k % 10
        i = int(rng.integers(len(lines) // 3)) * 3
        if kind == 0:
            lines[i + 2] = _bad_char(rng, lines[i + 2], 0, len(lines[i + 2]))
        elif kind == 1:
            lines[i + 1] = lines[i + 1][: int(rng.integers(1, 59))]
        elif kind == 2:
            lines = lines[1:]  # sequence before the first header
        elif kind == 3:
            lines = [line for line in lines if line.startswith(">")]  # headers only
        elif kind == 4:
            lines = [line if line.startswith(">") else "N" * len(line) for line in lines]
        elif kind == 5:
            lines = [] if rng.random() < 0.5 else ["", ";comment"]
        elif kind == 7:
            lines[i + 1] = lines[i + 1][:10] + "\x00" + lines[i + 1][11:]
        elif kind == 8:
            lines[i + 1] = lines[i + 1][:5] + "\udcff"[:0] + "é" + lines[i + 1][6:]
        data = _garbage(rng) if kind == 6 else _text(lines)
        file = "peaks.fa"
        if kind == 9:
            file, data = "peaks.fa.gz", _truncated_gzip(rng, data)
        command = [["data", "encode", f"{{in}}/{file}", "-o", "{out}/s.zarr"],
                   ["run", "--model", "kmer_lr", "--data", f"{{in}}/{file}", "--runs", "{out}/runs", "-q"],
                   ["predict", "{assets}/model", f"{{in}}/{file}", "-o", "{out}/scores.tsv"],
                   ["mutagenesis", "{assets}/model", f"{{in}}/{file}", "-o", "{out}/map.png"]][k % 4]
        if command[0] in ("predict", "mutagenesis") and kind in (1, 4):
            # any length is fine there, and N-only is refused only when every record is N
            lines = [line if line.startswith(">") else "N" * len(line) for line in lines] if kind == 4 else lines
            if kind == 1:
                lines[i + 1] = "ACGU" + lines[i + 1][4:]
            data = _text(lines)
        if command[0] == "mutagenesis" and kind == 4:
            lines = [lines[0], "ACGTZ"]
            data = _text(lines)
        cases.append(Case(f"fasta-{k}-kind{kind}-{command[0]}", {file: data}, command, f"{{in}}/{file}"))
    return cases


def label_cases(rng, count: int) -> list[Case]:
    cases = []
    for k in range(count):
        names = [f"s{i}" for i in range(30)]
        rows = [f"{n}\t{i % 2}" for i, n in enumerate(names)]
        kind = k % 8
        i = int(rng.integers(1, len(rows)))
        if kind == 0:
            rows.append(f"{names[i]}\t{1 - i % 2}")
        elif kind == 1:
            rows[i] = f"{names[i]}\t{rng.choice(['2', 'yes', '-1', '0.5'])}"
        elif kind == 2:
            del rows[i]
        elif kind == 3:
            rows = [str(j % 2) for j in range(int(rng.integers(1, 29)))]
        elif kind == 4:
            rows[i] = rows[i] + "\textra"
        elif kind == 5:
            rows = []
        data = _garbage(rng) if kind == 6 else _text(rows)
        files = {"peaks.fa": _text(_fasta_lines(np.random.default_rng(k))), "labels.tsv": data}
        if kind == 7:
            files["labels.tsv"] = DIR
        command = (["data", "encode", "{in}/peaks.fa", "--labels", "{in}/labels.tsv", "-o", "{out}/s.zarr"] if k % 2
                   else ["run", "--model", "kmer_lr", "--data", "{in}/peaks.fa", "--labels", "{in}/labels.tsv",
                         "--runs", "{out}/runs", "-q"])
        cases.append(Case(f"labels-{k}-kind{kind}", files, command, "{in}/labels.tsv"))
    # --labels on input that holds its own labels
    cases.append(Case("labels-on-data", {"x.data": _text(_zeng_lines(rng)), "labels.tsv": b"a 1\n"},
                      ["data", "encode", "{in}/x.data", "--labels", "{in}/labels.tsv", "-o", "{out}/s.zarr"],
                      "{in}/labels.tsv"))
    return cases


def _set_attrs(store: Path, change) -> None:
    attrs = json.loads((store / ".zattrs").read_text())
    meta = json.loads((store / ".zmetadata").read_text())
    for holder in (attrs, meta["metadata"][".zattrs"]):
        change(holder)
    (store / ".zattrs").write_text(json.dumps(attrs))
    (store / ".zmetadata").write_text(json.dumps(meta))


def store_cases(rng, count: int) -> list[Case]:
    bad_values = {"counts": ["{", "[1,", 3, None], "provenance": ["not json", "{'a': 1}", 7, None],
                  "sequence_length": ["abc", 50, -1, 1.5, None, True], "dataset": ["../../../x", "/abs/x", "..", "",
                                                                                      "a/b", ".hidden", None, 3],
                  "task": ["../x", None, ""], "content_sha256": [None, 5, "0" * 64], "bindreg_format": [2, None, "1"],
                  "min_length": [5]}
    cases = []
    for k in range(count):
        kind = k % 6
        seed = int(rng.integers(1 << 30))

        def setup(in_dir: Path, assets: Path, kind=kind, seed=seed):
            local = np.random.default_rng(seed)
            store = in_dir / "bad.zarr"
            shutil.copytree(assets / "store.zarr", store)
            if kind == 0:
                name = str(local.choice(sorted(bad_values)))
                value = bad_values[name][int(local.integers(len(bad_values[name])))]
                _set_attrs(store, lambda h: h.pop(name, None) if value is None else h.__setitem__(name, value))
            elif kind in (1, 2):
                variable = "onehot" if kind == 1 else str(local.choice(["label", "split"]))
                chunks = sorted(p for p in (store / variable).iterdir() if not p.name.startswith("."))
                chunk = chunks[int(local.integers(len(chunks)))]
                data = bytearray(chunk.read_bytes())
                how = int(local.integers(3))
                if how == 0:
                    data = data[: int(local.integers(1, max(2, len(data) - 1)))]
                elif how == 1:
                    for _ in range(int(local.integers(1, 6))):
                        data[int(local.integers(16, len(data)))] ^= int(local.integers(1, 256))
                else:
                    data = bytearray(local.integers(0, 256, len(data), dtype=np.uint8).tobytes())
                chunk.write_bytes(bytes(data))
            elif kind == 3:
                meta = (store / ".zmetadata").read_bytes()
                (store / ".zmetadata").write_bytes(meta[: int(local.integers(1, len(meta) - 1))])
            elif kind == 4:
                target = store / str(local.choice(["onehot/.zarray", "label/.zarray", "split/.zarray"]))
                meta = json.loads((store / ".zmetadata").read_text())
                key = str(target.relative_to(store))
                meta["metadata"][key]["dtype"] = str(local.choice(["<f8", "|S3", "<i4"]))
                (store / ".zmetadata").write_text(json.dumps(meta))
            else:
                meta = json.loads((store / ".zmetadata").read_text())
                variable = str(local.choice(["onehot", "label", "split"]))
                for key in [k2 for k2 in meta["metadata"] if k2.startswith(variable + "/")]:
                    del meta["metadata"][key]
                (store / ".zmetadata").write_text(json.dumps(meta))

        command = [["data", "show", "{in}/bad.zarr"],
                   ["run", "--model", "kmer_lr", "--data", "{in}/bad.zarr", "--runs", "{out}/runs", "-q"],
                   ["compare", "-d", "{in}/bad.zarr", "-m", "kmer_lr", "--sizes", "", "--runs", "{out}/runs",
                    "-o", "{out}/r", "-q"]][k % 3]
        cases.append(Case(f"store-{k}-kind{kind}", {}, command, "{in}/bad.zarr", setup=setup))
    return cases


def _genome_text(rng) -> tuple[bytes, dict]:
    records = {f"chr{c}": "".join(rng.choice(list("ACGT"), 6000 + 1000 * c)) for c in (1, 2)}
    text = "".join(f">{n}\n" + "\n".join(s[i:i + 60] for i in range(0, len(s), 60)) + "\n" for n, s in records.items())
    return text.encode(), records


def _peak_rows() -> list[str]:
    return [f"chr1\t{s}\t{s + 200}\tp{i}\t0\t.\t{5 + i}\t-1\t-1\t100" for i, s in enumerate(range(300, 6000, 400))]


def genome_cases(rng, count: int) -> list[Case]:
    cases = []
    for k in range(count):
        text, records = _genome_text(rng)
        kind = k % 10
        peaks = _text(_peak_rows())
        files = {"genome.fa": text, "peaks.narrowPeak": peaks}
        needle = "{in}/genome.fa"
        setup = None
        if kind == 0:
            files["genome.fa"] = _garbage(rng)
        elif kind == 1:
            files["genome.fa"] = b"ACGT" * 30 + b"\n" + text
        elif kind == 2:
            files["genome.fa"] = DIR
        elif kind == 3:
            files["genome.fa"] = gzip.compress(text)
        elif kind == 4:
            files["genome.fa"] = b"\xef\xbb\xbf" + text
        elif kind == 5:
            files["genome.fa"] = b"" if rng.random() < 0.5 else b"\n\n"
        elif kind == 6:
            def setup(in_dir: Path, assets: Path):
                shutil.copy(assets / "other.fa.fai", in_dir / "genome.fa.fai")  # a stale index
            needle = "{in}/genome.fa.fai"
        elif kind == 7:
            files["genome.fa"] = text.replace(b">chr2", b">chr1")  # the same name twice
        elif kind == 8:
            files["genome.fa"] = text.replace(b"\n", b"\nACGTRYKM\n", 3)  # lines of unequal width
        elif kind == 9:
            lines = text.split(b"\n")
            lines.insert(3, b"")  # a blank line inside chr1's sequence
            files["genome.fa"] = b"\n".join(lines)
        command = ["data", "prepare", "--genome", "{in}/genome.fa", "--peaks", "{in}/peaks.narrowPeak", "-o",
                   "{out}/s.zarr", "-q"]
        if k % 3 == 2 and kind not in (6,):
            command = ["score-variants", "{assets}/model", "--vcf", "{assets}/calls.vcf", "--fasta",
                       "{in}/genome.fa", "-o", "{out}/v.tsv", "-q"]
        cases.append(Case(f"genome-{k}-kind{kind}-{command[0]}", files, command, needle, setup=setup))
    return cases


def peaks_cases(rng, count: int) -> list[Case]:
    cases = []
    for k in range(count):
        rows = _peak_rows()
        i = int(rng.integers(len(rows)))
        fields = rows[i].split("\t")
        kind = k % 10
        file = "peaks.narrowPeak"
        if kind == 0:
            fields = fields[: int(rng.integers(1, 9))]
        elif kind == 1:
            fields[int(rng.integers(1, 3))] = str(rng.choice(["abc", "1.5", "", "1e3", "-"]))
        elif kind == 2:
            fields[1], fields[2] = fields[2], fields[1]
        elif kind == 3:
            fields[0] = str(rng.choice(["chrX", "1", "chr1 ", "CHR1"]))
        elif kind == 4:
            fields[2] = str(10 ** 7)
        elif kind == 5:
            fields[9] = "5000"
        elif kind == 6:
            rows = []
        elif kind == 7:
            fields[1] = "-5"
        rows[i:i + 1] = ["\t".join(fields)] if rows else []
        data = _garbage(rng) if kind == 8 else _text(rows)
        if kind == 9:
            file, data = "peaks.bed.gz", _truncated_gzip(rng, _text([r.split("\t", 3)[0] + "\t1\t100" for r in rows]))
        flag = "--peaks" if k % 4 else "--regions"
        command = ["data", "prepare", "--genome", "{assets}/genome.fa", "--peaks",
                   "{in}/" + file if flag == "--peaks" else "{assets}/peaks.narrowPeak", "-o", "{out}/s.zarr", "-q"]
        if flag == "--regions":
            command += ["--task", "occupancy", "--motif-file", "{assets}/motif.jaspar", "--regions", "{in}/" + file]
        cases.append(Case(f"peaks-{k}-kind{kind}{flag}", {file: data}, command, "{in}/" + file))
    return cases


def vcf_cases(rng, count: int) -> list[Case]:
    cases = []
    for k in range(count):
        rows = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT"] + [f"chr1\t{p}\tv{p}\tA\tC" for p in (100, 900, 2000)]
        i = int(rng.integers(2, len(rows)))
        fields = rows[i].split("\t")
        kind = k % 8
        file = "calls.vcf"
        if kind == 0:
            fields = fields[: int(rng.integers(1, 5))]
        elif kind == 1:
            fields[1] = str(rng.choice(["0", "-3", "abc", "1.5", ""]))
        elif kind == 2:
            fields[3] = str(rng.choice(["", "X", "A-C", "1"]))
        elif kind == 3:
            rows = rows[:2]
        elif kind == 4:
            rows = [r.replace("\t", " ") for r in rows]
        rows[i:i + 1] = ["\t".join(fields)] if len(rows) > i else []
        data = _garbage(rng) if kind == 5 else _text(rows)
        if kind == 6:
            file, data = "calls.vcf.gz", _truncated_gzip(rng, data)
        files = {file: DIR if kind == 7 else data}
        cases.append(Case(f"vcf-{k}-kind{kind}", files, ["score-variants", "{assets}/model", "--vcf", "{in}/" + file,
                                                         "--fasta", "{assets}/genome.fa", "-o", "{out}/v.tsv", "-q"],
                          "{in}/" + file))
    return cases


def spec_and_params_cases(rng, count: int) -> list[Case]:
    specs = [b"{", b"[1, 2]", b'{"tfs": "CTCF", "colour": 1}', b'{"tfs": 5}', b'{"genome_mb": -1}',
             b'{"sites_per_tf": true}', b'{"genome_mb": NaN}', b'{"genome_mb": Infinity}', b'"CTCF"', b"",
             b'{"seed": "2016"}', b'{"sites_per_tf": 3}', b'{"bgzip": 1}', b"null"]
    params = [b"models: [1layer", b"- a\n- b\n", b"budget: huge\n", b"models: []\n", b"models: 1layer\n",
              b"sizes: [abc]\n", b"seed: zero\n", b"sizes: [-5]\n", b"models: [1, 2]\n", b"42\n", b"seed: 1.5\n",
              b"budget: [demo]\n", b"sizes: 500\n", b"\tmodels: x\n"]
    cases = []
    for k in range(count):
        if k % 2 == 0:
            choice = int(rng.integers(len(specs) + 2))
            data = specs[choice] if choice < len(specs) else (_garbage(rng) if choice == len(specs) else DIR)
            cases.append(Case(f"spec-{k}", {"spec.json": data},
                              ["data", "generate-compendium", "{out}/c", "--spec", "{in}/spec.json", "-q"],
                              "{in}/spec.json"))
        else:
            choice = int(rng.integers(len(params) + 2))
            data = params[choice] if choice < len(params) else (_garbage(rng) if choice == len(params) else DIR)
            cases.append(Case(f"params-{k}", {"params.yaml": data},
                              ["compare", "--params", "{in}/params.yaml", "-d", "{assets}/store.zarr", "--runs",
                               "{out}/runs", "-o", "{out}/r", "-q"], "{in}/params.yaml"))
    for k, sizes in enumerate(["abc", "10,x", "-5", "1.5"]):
        cases.append(Case(f"sizes-{k}", {}, ["compare", "-d", "{assets}/store.zarr", "-m", "kmer_lr", "--sizes", sizes,
                                            "--runs", "{out}/runs", "-o", "{out}/r", "-q"], sizes))
    return cases


def model_cases(rng, count: int) -> list[Case]:
    cases = []
    for k in range(count):
        kind = k % 8
        seed = int(rng.integers(1 << 30))

        def setup(in_dir: Path, assets: Path, kind=kind, seed=seed):
            local = np.random.default_rng(seed)
            model = in_dir / "model"
            shutil.copytree(assets / "model", model)
            if kind == 0:
                (model / "run.json").unlink()
            elif kind == 1:
                (model / "run.json").write_bytes(_garbage(local))
            elif kind == 2:
                (model / "run.json").write_text(json.dumps(local.choice([{}, {"sequence_length": "abc"}, [],
                                                                         {"sequence_length": -4}, {"sequence_length": 0}])))
            elif kind == 3:
                params = model / "model-0000.params"
                data = params.read_bytes()
                params.write_bytes(data[: int(local.integers(1, len(data) - 1))])
            elif kind == 4:
                (model / "model-symbol.json").write_bytes(_garbage(local) if local.random() < 0.5 else b'{"nodes": 3}')
            elif kind == 5:
                (model / "model-0000.params").unlink()
            elif kind == 6:
                from bindreg.hub.bundle import write_manifest

                write_manifest(model)
                (model / "run.json").write_text((model / "run.json").read_text() + " ")
            else:
                (model / "bundle.json").write_text(json.dumps({"input_length": str(local.choice(["x", "-1", "0"]))}))

        command = [["predict", "{in}/model", "{assets}/ok.fa", "-o", "{out}/scores.tsv"],
                   ["mutagenesis", "{in}/model", "ACGTACGTAC" * 3, "-o", "{out}/map.png"],
                   ["score-variants", "{in}/model", "--vcf", "{assets}/calls.vcf", "--fasta", "{assets}/genome.fa",
                    "-o", "{out}/v.tsv", "-q"],
                   ["predict", "{in}/model", "{assets}/ok.fa", "--engine", "onnxruntime"],
                   ["test", "{in}/model"],
                   ["card", "{in}/model"]][k % 6]
        cases.append(Case(f"model-{k}-kind{kind}-{command[0]}", {}, command, "{in}/model", setup=setup))
    return cases


def publish_cases(rng, count: int) -> list[Case]:
    """``bindreg publish`` of a folder whose run.json is missing, binary, not an object or incomplete."""
    contents = [None, b"\xff\xfe", b"[]", b"{}", b'{"model": "1layer"}', b"{", b'"run"']
    cases = []
    for k in range(count):
        content = contents[k % len(contents)] if k < len(contents) else (_garbage(rng) if k % 2 else
                                                                          contents[int(rng.integers(1, len(contents)))])
        files = {"run/model-symbol.json": b"{}"} | ({} if content is None else {"run/run.json": content})
        cases.append(Case(f"publish-{k}", files, ["publish", "{in}/run", "--repo", "{out}"], "{in}/run"))
    return cases


def output_cases(rng, count: int) -> list[Case]:
    """An output option naming an input file, a folder of someone's data, or a path under a file: refused
    before any work, nothing replaced."""
    cases = []
    fasta = _text(_fasta_lines(rng, 30))
    targets = [("{in}/peaks.fa", "{in}/peaks.fa"), ("{in}/data", "{in}/data"), ("{in}/peaks.fa/sub", "{in}/peaks.fa")]
    commands = [
        lambda o: ["data", "encode", "{in}/peaks.fa", "-o", o],
        lambda o: ["run", "--model", "kmer_lr", "--data", "{in}/peaks.fa", "--out", o, "-q"],
        lambda o: ["compare", "-d", "{in}/peaks.fa", "-m", "kmer_lr", "--sizes", "", "--runs", "{out}/runs", "-o", o, "-q"],
        lambda o: ["data", "generate-compendium", o, "--genome-mb", "0.2", "--sites", "10", "-q"],
        lambda o: ["predict", "{assets}/model", "{in}/peaks.fa", "-o", o + ("/x" if o.endswith("data") else "")],
        lambda o: ["data", "prepare", "--genome", "{assets}/genome.fa", "--peaks", "{assets}/peaks.narrowPeak", "-o", o, "-q"],
    ]
    for k in range(count):
        target, needle = targets[k % len(targets)]
        command = commands[(k // len(targets)) % len(commands)](target)
        if command[0] == "predict" and target == "{in}/data":
            command[-1], needle = "{in}/data", "{in}/data"  # a folder given as the output file
        files = {"peaks.fa": fasta, "data/notes.txt": b"someone's data\n"}
        cases.append(Case(f"output-{k}-{command[0]}", files, command, needle))
    return cases


def sequence_argument_cases(rng, count: int) -> list[Case]:
    cases = []
    for k in range(count):
        sequence = "".join(rng.choice(list("ACGT"), int(rng.integers(5, 60))))
        sequence = _bad_char(rng, sequence, 0, len(sequence)) if k % 5 else ""
        cases.append(Case(f"mutagenesis-arg-{k}", {}, ["mutagenesis", "{assets}/model", sequence or " ",
                                                      "-o", "{out}/map.png"], "sequence"))
    return cases


def all_cases() -> list[Case]:
    rng = np.random.default_rng(SEED)
    return (zeng_cases(rng, 60) + deepbind_cases(rng, 32) + fasta_cases(rng, 60) + label_cases(rng, 24)
            + store_cases(rng, 36) + genome_cases(rng, 30) + peaks_cases(rng, 30) + vcf_cases(rng, 24)
            + spec_and_params_cases(rng, 28) + model_cases(rng, 36) + sequence_argument_cases(rng, 10)
            + publish_cases(rng, 12) + output_cases(rng, 18))


# ---------------------------------------------------------------- the harness

@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> Path:
    """What valid inputs cases share: a tiny real model, a genome (indexed), peaks, a VCF, a motif, a store."""
    from bindreg.data.datasets import prepare
    from bindreg.data.genome import Genome

    base = tmp_path_factory.mktemp("fuzz_assets")
    tiny_model(base / "model")
    rng = np.random.default_rng(1)
    text, records = _genome_text(rng)
    (base / "genome.fa").write_bytes(text)
    Genome(base / "genome.fa").close()
    other = base / "other"
    other.mkdir()
    write_genome(other / "genome.fa", {n: s for n, s in records.items()})  # same records, other line layout
    wide = "".join(f">{n}\n" + "\n".join(s[i:i + 77] for i in range(0, len(s), 77)) + "\n" for n, s in records.items())
    (other / "genome.fa").write_text(wide)
    Genome(other / "genome.fa").close()
    shutil.copy(other / "genome.fa.fai", base / "other.fa.fai")
    shutil.rmtree(other)
    (base / "peaks.narrowPeak").write_bytes(_text(_peak_rows()))
    (base / "calls.vcf").write_text("#CHROM\tPOS\tID\tREF\tALT\n" + "".join(
        f"chr1\t{p}\tv{p}\t{records['chr1'][p - 1]}\tA\n" for p in (100, 900, 2000)))
    (base / "motif.jaspar").write_text(">MA0001.1 TEST\nA [ 10 0 0 0 ]\nC [ 0 10 0 0 ]\nG [ 0 0 10 0 ]\nT [ 0 0 0 10 ]\n")
    (base / "ok.fa").write_bytes(_text(_fasta_lines(rng, 4)))
    data = base / "exp"
    data.mkdir()
    (data / "train.data").write_bytes(_text(_zeng_lines(rng, 40)))
    prepare(str(data / "train.data"), "discovery", out=base / "store.zarr", refresh=True)
    shutil.rmtree(data)
    return base


def _snapshot(*folders: Path) -> dict:
    seen = {}
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            for name in dirs:  # a folder counts by its existence (its mtime moves when a file comes and goes)
                seen[Path(root) / name] = "folder"
            for name in files:
                path = Path(root) / name
                stat = path.lstat()
                seen[path] = (stat.st_size, stat.st_mtime_ns, stat.st_mode)
    return seen


def _fill(value: str, in_dir: Path, out_dir: Path, assets: Path) -> str:
    return value.replace("{in}", str(in_dir)).replace("{out}", str(out_dir)).replace("{assets}", str(assets))


def run_case(case: Case, base: Path, assets: Path, home: Path) -> list[str]:
    """Run one case; returns what went wrong (empty when the case is refused as it should be)."""
    in_dir, out_dir = base / "in", base / "out"
    in_dir.mkdir(parents=True)
    out_dir.mkdir()
    for relative, data in case.files.items():
        (in_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        if data is DIR:
            (in_dir / relative).mkdir()
        else:
            (in_dir / relative).write_bytes(data)
    if case.setup is not None:
        case.setup(in_dir, assets)
    args = [_fill(a, in_dir, out_dir, assets) for a in case.args]
    needle = _fill(case.needle, in_dir, out_dir, assets)
    before = _snapshot(base, assets, home)
    cwd = os.getcwd()
    os.chdir(out_dir)
    try:
        result = invoke(*args)
    finally:
        os.chdir(cwd)
    after = _snapshot(base, assets, home)
    problems = []
    if not isinstance(result.exception, SystemExit):
        problems.append(f"traceback: {type(result.exception).__name__}: {result.exception}")
    if result.exit_code != 1:
        problems.append(f"exit status {result.exit_code}")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if len(lines) != 1 or not lines[0].startswith("Error: "):
        problems.append(f"stderr is not one 'Error:' line: {result.stderr[-500:]!r}")
    elif needle not in lines[0]:
        problems.append(f"the error does not name {needle!r}: {lines[0]}")
    escaped = sorted(str(p) for p in set(after) | set(before)
                     if before.get(p) != after.get(p) and out_dir not in p.parents and p != out_dir)
    if escaped:
        problems.append(f"written outside out/: {escaped[:5]}")
    return [f"{case.name}: {p} (bindreg {' '.join(args)})" for p in problems]


def test_fuzz_malformed_inputs_are_refused_in_one_line(assets, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("BINDREG_HOME", str(home))
    cases = all_cases()
    assert len(cases) >= 300 and len({c.name for c in cases}) == len(cases)
    started = time.perf_counter()
    failures, tracebacks, escapes = [], 0, 0
    for index, case in enumerate(cases):
        found = run_case(case, tmp_path / f"case{index:03d}", assets, home)
        tracebacks += any("traceback" in f for f in found)
        escapes += any("written outside" in f for f in found)
        failures.extend(found)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nfuzz: {len(cases)} cases in {seconds:.1f} s, {len(failures)} problem(s), "
              f"{tracebacks} traceback(s), {escapes} escape(s)")
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures[:60])
