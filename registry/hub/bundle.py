"""A published model as one self-checking bundle, and the archive it travels in.

A bundle directory holds::

    model-symbol.json, model-0000.params   the network (MXNet, best iteration)
    model.onnx                             the same network for onnxruntime alone (when MXNet's
                                           exporter covers it; bundle.json's onnx_note says why not)
    model-varlen-symbol.json               the length-aware graph (global-max networks; bindreg.varlen)
    gkm-member.npz, gkm-member.json        a gkm-SVM member every engine adds to the network's logits
                                           (bindreg.score.gkm_member; gkmsvm-lite's fields)
    card.md (+ motif_logos.png, motifs.tsv, curves.png when the run has them)
    bundle.json                            name, model, task, dataset, input length, versions
    test.expect                            fixed sequences, their expected P(bound), a tolerance
    manifest.json                          sha256 of every other file

``test.expect`` follows Kipoi's idea (stored expected predictions re-run within a
tolerance catch a broken download or a drifted framework); ours is JSON so that a
person can read it. The archive is an uncompressed, deterministic tar (sorted
entries, zero times and owners): the same bundle always gives the same bytes, so
publishing twice is recognised, and one flipped byte falls inside one file whose
sha256 then names it.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path, PurePosixPath

import numpy as np

from ..core.errors import BindregError
from ..core.record import read_run
from ..core.fsutil import atomic_directory, sha256_file, write_bytes_atomic, write_json_atomic
from ..score.bundles import LOCAL_FILES, MANIFEST, verify_manifest  # noqa: F401 (re-exported)
from ..score.whole import VARLEN_SYMBOL
from ..score.gkm_member import COMBINATION_FILE, MODEL_FILE

#: A gkm-SVM member's files (models whose recipe has ``gkm_member``).
MEMBER_FILES = (MODEL_FILE, COMBINATION_FILE)

EXPECT = "test.expect"
#: Files copied from the run directory when present (the card's pictures and tables).
CARD_ASSETS = ("card.md", "motif_logos.png", "motifs.tsv", "curves.png")
#: Absolute tolerance on P(bound) for test.expect: float32 networks agree to ~1e-7 across
#: engines and machines; 1e-5 leaves room for other CPUs without hiding a wrong weight.
EXPECT_ATOL = 1e-5
ONNX_BATCH = 64


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_bundle(run_dir: Path, out: Path, name: str) -> Path:
    """Write the bundle of the run in ``run_dir`` to ``out`` (replaced whole, atomically)."""
    from ..score.predict import load_scorer, score

    run_dir = Path(run_dir)
    record = read_run(run_dir)
    for required in ("model-symbol.json", "model-0000.params", "card.md"):
        if not (run_dir / required).exists():
            raise BindregError(f"{run_dir}: no {required}; give a finished run directory (bindreg run writes one)")
    run, metrics, length = record.run, record.metrics, record.sequence_length
    with atomic_directory(out, replaces=("bundle.json", MANIFEST)) as scratch:
        for file in ("model-symbol.json", "model-0000.params", VARLEN_SYMBOL, *MEMBER_FILES, *CARD_ASSETS):
            if (run_dir / file).exists():
                shutil.copyfile(run_dir / file, scratch / file)
        onnx_note = try_export_onnx(scratch, length, run["model"])
        info = {
            "name": name, "model": run["model"], "plugin": run["plugin"], "task": run["task"],
            "dataset": run["dataset"], "input_length": length, "onnx_batch": ONNX_BATCH,
            "input": "one-hot DNA (N, 4, 1, L) float32, bases A C G T, N = all-zero column",
            "output": "two logits (N, 2); P(bound) = softmax(logits)[:, 1]",
            "test": {k: metrics["test"][k] for k in ("auroc", "auprc", "accuracy")},
            "budget": metrics["protocol"]["budget"], "versions": run["versions"],
            "both_strands": record.both_strands,
            "store_content_sha256": run["store_content_sha256"], "created_at": run["created_at"],
            "onnx": onnx_note is None, **({"onnx_note": onnx_note} if onnx_note else {}),
            "any_length": (scratch / VARLEN_SYMBOL).exists(),
            "trained_any_length": bool(run.get("any_length", False)),  # predict's auto: whole, else windows
        }
        write_json_atomic(scratch / "bundle.json", info)
        sequences = fixed_sequences(run, length)
        expected = score(load_scorer(scratch, "mxnet"), [s for _, s in sequences])  # windows: what both engines do
        write_json_atomic(scratch / EXPECT, {
            "about": "bindreg test re-scores these sequences and compares with 'expected' (P(bound))",
            "atol": EXPECT_ATOL,
            "sequences": [{"name": n, "sequence": s, "expected": float(e)}
                          for (n, s), e in zip(sequences, expected)]})
        write_manifest(scratch)
    return Path(out)


def try_export_onnx(directory: Path, length: int, model: str) -> str | None:
    """Export ``model.onnx`` into ``directory``; on failure return a one-line note instead of raising.

    MXNet 1.9's ONNX exporter covers the paper's CNNs but not every operator (gluonnlp's
    Transformer encoder, for one); such a bundle is scored with MXNet only.
    """
    from ..train.export import export_onnx

    try:
        export_onnx(directory / "model-symbol.json", directory / "model-0000.params", length,
                    directory / "model.onnx", batch=ONNX_BATCH)
    except Exception as exc:  # noqa: BLE001 - the exporter raises many types for one cause
        first = " ".join(str(exc).split())[:160] or type(exc).__name__
        return f"no ONNX export for {model} (MXNet's exporter: {first}); score it with --engine mxnet"
    return None


def fixed_sequences(run: dict, length: int, count: int = 16) -> list[tuple[str, str]]:
    """Test sequences of the run's store (half bound, half unbound) when it is at hand, else
    seeded random ones; plus one longer and one shorter sequence so that windowing and
    padding are checked too."""
    from ..core.sequences import decode

    chosen: list[tuple[str, str]] = []
    try:
        from ..data.store import open_store

        dataset = open_store(Path(run["store"]), verify=False)
        rows = np.flatnonzero(dataset["split"].values == "test")
        labels = dataset["label"].values[rows]
        picked = np.concatenate([rows[labels == 1][: count // 2], rows[labels == 0][: count // 2]])
        decoded = decode(dataset["onehot"].values[picked])
        chosen = [(str(dataset["name"].values[i]), s) for i, s in zip(picked, decoded)]
    except (BindregError, OSError, KeyError, ValueError):
        pass  # the store was made on another machine: random sequences still pin the weights
    rng = np.random.default_rng(0)
    while len(chosen) < count:
        chosen.append((f"random{len(chosen)}", "".join(rng.choice(list("ACGT"), length))))
    chosen.append(("longer", chosen[0][1] + chosen[-1][1][: length // 2]))
    chosen.append(("shorter", chosen[1][1][: max(1, length - 20)]))
    return chosen


def write_manifest(directory: Path) -> dict:
    """``manifest.json``: sha256 and size of every other file in ``directory``."""
    files = {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
             for p in sorted(Path(directory).iterdir()) if p.is_file() and p.name != MANIFEST}
    manifest = {"algorithm": "sha256", "files": files}
    write_json_atomic(Path(directory) / MANIFEST, manifest)
    return manifest


def check_expectations(directory: Path, label: str, engines=("mxnet", "onnxruntime")) -> dict[str, float]:
    """Re-score ``test.expect`` with each engine; returns the largest difference per engine."""
    from ..score.predict import load_scorer, score

    try:
        expect = json.loads((Path(directory) / EXPECT).read_text())
        sequences = [str(r["sequence"]) for r in expect["sequences"]]
        wanted = np.array([float(r["expected"]) for r in expect["sequences"]])
        float(expect["atol"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BindregError(f"{label}: {EXPECT} is missing or unreadable ({type(exc).__name__}); the bundle is "
                           "damaged, pull or publish it again") from None
    if not (Path(directory) / "model.onnx").exists():
        engines = tuple(e for e in engines if e != "onnxruntime")  # no ONNX export (bundle.json says why)
    worst = {}
    for engine in engines:
        got = score(load_scorer(directory, engine), sequences)
        difference = np.abs(got - wanted)
        worst[engine] = float(difference.max())
        if worst[engine] > expect["atol"]:
            index = int(difference.argmax())
            raise BindregError(f"{label}: {EXPECT} fails with {engine}: sequence "
                               f"{expect['sequences'][index]['name']!r} scores {got[index]:.6g}, expected "
                               f"{wanted[index]:.6g} (tolerance {expect['atol']}); the model or the framework "
                               "differs from the published one")
    return worst


def write_archive(directory: Path, archive: Path) -> str:
    """Pack the bundle into a deterministic tar at ``archive``; returns its sha256."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(Path(directory).iterdir()):
            data = path.read_bytes()
            entry = tarfile.TarInfo(path.name)
            entry.size, entry.mode, entry.mtime = len(data), 0o644, 0
            tar.addfile(entry, io.BytesIO(data))
    data = buffer.getvalue()
    write_bytes_atomic(Path(archive), data)
    return sha256_bytes(data)


def extract_archive(archive: Path, destination: Path, label: str) -> None:
    """Unpack a bundle archive into ``destination``, refusing any entry that is not a plain file
    directly inside it (absolute paths, ``..``, links, devices): one line names the entry."""
    destination = Path(destination)
    try:
        with tarfile.open(archive, mode="r:") as tar:
            members = tar.getmembers()
            for member in members:
                parts = PurePosixPath(member.name).parts
                if (member.name.startswith(("/", "\\")) or ".." in parts or len(parts) != 1
                        or not member.isfile()):
                    raise BindregError(f"{label}: archive entry {member.name!r} would write outside the model "
                                       "cache or is not a plain file; refused, nothing was extracted")
            for member in members:
                (destination / member.name).write_bytes(tar.extractfile(member).read())
    except tarfile.TarError as exc:
        raise BindregError(f"{label}: not a readable bundle archive ({exc}); the download is corrupt") from None
