"""Model cards: Hugging Face-compatible front matter, bindreg's own fields, and the learned motifs.

``write_card(directory, identity, metrics, test_onehot, test_labels)`` writes into a
run directory::

    card.md          YAML front matter (license, tags, datasets, model-index, bindreg) + Markdown
    motifs.tsv       per first-layer filter: sites, information content, best JASPAR matches
    motif_logos.png  the filters as sequence logos, best match in each title

How filters become motifs and are matched to JASPAR is ``bindreg.experiment.filters``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..data.synthetic import JASPAR_RELEASE
from .filters import (CORE_COLUMNS, MATCH_Q, MIN_BITS, MIN_BITS_PER_COLUMN, MIN_COVERAGE, MIN_SITES, SHUFFLES,
                      FilterMotif, draw_logos, learned_motifs, rejection, significant)

PAPER_CITATION = ("Zeng H, Edwards MD, Liu G, Gifford DK. Convolutional neural network architectures "
                  "for predicting DNA-protein binding. Bioinformatics 32(12):i121-i127 (2016). "
                  "doi:10.1093/bioinformatics/btw255")
#: The card reads the leading test rows that hold this many bound sequences (filters.MAX_SEQUENCES).
MAX_SEQUENCES = 3000
LICENSE = "mit"



def write_card(directory: Path, identity: dict, metrics: dict, test_onehot: np.ndarray | None,
               test_labels: np.ndarray | None, analyse_motifs: bool = True) -> list[FilterMotif]:
    """Write card.md, motifs.tsv and motif_logos.png into a run directory that holds the exported
    network; returns the filters as motifs.

    ``analyse_motifs=False`` writes the card without the filter-to-JASPAR section (about 25 s a run
    on 2 cores, which dominates a sweep of small runs; the test rows may then be None);
    ``bindreg card RUN`` adds it later.
    """
    from ..core.fsutil import write_text_atomic

    directory = Path(directory)
    if not analyse_motifs:
        write_text_atomic(directory / "card.md", card_text(identity, metrics, None, False))
        return []
    motifs = learned_motifs(directory, test_onehot, test_labels)
    shown = draw_logos(motifs, directory / "motif_logos.png")
    _write_motif_table(motifs, directory / "motifs.tsv")
    write_text_atomic(directory / "card.md", card_text(identity, metrics, motifs, bool(shown)))
    return motifs


def rewrite_card(run_dir: Path) -> list[FilterMotif]:
    """Write the card of an existing run directory again (for example after a change of the motif
    method), reading its test split from the Zarr store named in run.json."""
    from ..core.record import read_run
    from ..data.store import open_store

    record = read_run(run_dir)
    dataset = open_store(Path(record.run["store"]))
    return write_card(Path(run_dir), record.run, record.metrics, *motif_sequences(dataset))


def motif_sequences(dataset, codes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One-hot and labels of the leading test rows that hold ``MAX_SEQUENCES`` bound sequences
    (or all test rows): all that ``learned_motifs`` reads, without loading the whole test split
    (a store may hold millions). ``codes``: ``store.split_codes`` of the store, if at hand."""
    from ..data.store import SPLITS, split_codes

    codes = split_codes(dataset["split"]) if codes is None else codes
    test = np.flatnonzero(codes == SPLITS.index("test"))
    labels = dataset["label"].values[test]
    enough = int(np.searchsorted(np.cumsum(labels == 1), MAX_SEQUENCES)) + 1
    keep = test[:max(enough, MAX_SEQUENCES)]
    return dataset["onehot"].isel(sample=keep).values, labels[:len(keep)]


def _write_motif_table(motifs: list[FilterMotif], path: Path) -> None:
    lines = ["filter\tsites\tbits\tbits_per_column\tbest_match\tname\tp\tq\tcoverage\tsignificant\twhy_not"]
    for m in motifs:
        best = m.matches[0] if m.matches else None
        lines.append("\t".join([str(m.index), str(m.sites), f"{m.information:.2f}", f"{m.bits_per_column:.2f}",
                                best["matrix_id"] if best else "-", best["name"] if best else "-",
                                f"{best['p']:.3g}" if best else "-", f"{best['q']:.3g}" if best else "-",
                                f"{best.get('coverage', 1.0):.2f}" if best else "-",
                                "yes" if significant(m) else "no", rejection(m) or "-" if best else "-"]))
    path.write_text("\n".join(lines) + "\n")


def input_description(identity: dict) -> str:
    """``101 bp``, or the range of a run trained on sequences of different lengths."""
    if identity.get("any_length"):
        lengths = identity["lengths"]
        return f"sequences of any length (trained on {lengths['min']}-{lengths['max']} bp, padded and masked)"
    return f"{identity['sequence_length']} bp"


def front_matter(identity: dict, metrics: dict, motifs: list[FilterMotif]) -> dict:
    """Hugging Face card metadata plus a ``bindreg`` block with everything needed to trust the model."""
    protocol = metrics["protocol"]
    test = metrics["test"]
    matched = [{"filter": m.index, **significant(m)} for m in motifs if significant(m)]
    return {
        "license": LICENSE,
        "library_name": "bindreg",
        "tags": ["dna", "transcription-factor-binding", "mxnet", "onnx", identity["task"], identity["model"]],
        "datasets": [identity["dataset"]],
        "model-index": [{"name": f"{identity['model']}-{identity['dataset']}-{identity['task']}",
                         "results": [{"task": {"type": "binary-classification", "name": identity["task"]},
                                      "dataset": {"name": identity["dataset"], "type": identity["dataset"],
                                                  "split": "test"},
                                      "metrics": [{"type": k, "name": f"test {k}", "value": round(test[k], 4)}
                                                  for k in ("auroc", "auprc", "accuracy")]}]}],
        "bindreg": {
            "architecture": identity["model"], "plugin": identity["plugin"], "task": identity["task"],
            "experiment": identity["dataset"], "hyperparameters": metrics["hyperparameters"],
            "search_budget": {k: protocol[k] for k in ("budget", "settings", "search_minibatches",
                                                       "train_minibatches", "batch_size", "reduced", "both_strands")
                              if k in protocol},
            "best_iteration": metrics["best_iteration"],
            "training_data": {"store_content_sha256": identity["store_content_sha256"],
                              "inputs": identity.get("provenance", {}).get("inputs", []),
                              "counts": identity["counts"]},
            "versions": identity["versions"], "seed": identity["seed"], "split_seed": identity["split_seed"],
            **{k: identity[k] for k in ("code", "machine") if k in identity},  # which code and CPU trained it
            "input": {"length": identity["sequence_length"], "encoding": "one-hot A C G T, N = zeros",
                      "shape": "(N, 4, 1, L)",
                      **({"any_length": True, "trained_lengths": identity["lengths"]}
                         if identity.get("any_length") else {})},
            "learned_motifs": {"jaspar": f"{JASPAR_RELEASE} CORE vertebrates", "method": "TOMTOM (memelite)",
                               "q_threshold": MATCH_Q, "shuffles_to_beat": SHUFFLES, "min_bits": MIN_BITS,
                               "min_bits_per_column": MIN_BITS_PER_COLUMN, "core_columns": CORE_COLUMNS,
                               "min_coverage": MIN_COVERAGE, "matched": matched},
            "citation": PAPER_CITATION,
        },
    }


def card_text(identity: dict, metrics: dict, motifs: list[FilterMotif] | None, logos: bool) -> str:
    """The card's Markdown; ``motifs=None`` when the motif analysis was skipped."""
    import yaml

    skipped = motifs is None
    motifs = motifs or []

    protocol = metrics["protocol"]
    test = metrics["test"]
    budget = (f"**Reduced budget ({protocol['budget']})**: {protocol['settings']} settings x "
              f"{protocol['search_minibatches']} minibatches of search, {protocol['train_minibatches']} minibatches "
              "of training; less than the paper's protocol, so expect lower scores than a full run."
              if protocol["reduced"] else
              f"Full protocol: {protocol['settings']} settings x {protocol['search_minibatches']} minibatches of "
              f"search, then {protocol['train_minibatches']} minibatches of training.")
    if protocol.get("both_strands"):
        budget += (" Trained on both strands (reverse complements added); every score is the mean over "
                   "both strands.")
    inputs = identity.get("provenance", {}).get("inputs", [])
    data_lines = [f"- store content sha256 `{identity['store_content_sha256']}`"] + [
        f"- {i.get('role', 'input')} `{Path(str(i.get('path', '?'))).name}` sha256 `{i.get('sha256', '?')}`"
        for i in inputs if isinstance(i, dict)]
    versions = ", ".join(f"{k} {v}" for k, v in identity["versions"].items())
    matched = [m for m in motifs if significant(m)]
    usable = [m for m in motifs if m.sites >= MIN_SITES]
    rule = (f"TOMTOM q < {MATCH_Q}, a better p-value than {SHUFFLES} column-shuffled copies of the filter, "
            f"at least {MIN_BITS:g} bits in the trimmed logo and {MIN_BITS_PER_COLUMN:g} bits per column over its "
            f"best {CORE_COLUMNS} columns, and an "
            f"alignment over at least {MIN_COVERAGE:.0%} of the filter's informative columns")
    if matched:
        verdict = f"{len(matched)} of {len(motifs)} first-layer filters match a JASPAR motif ({rule})."
    elif usable:
        verdict = (f"None of the {len(motifs)} first-layer filters matches a JASPAR motif ({rule}); the best "
                   "candidates are listed below for inspection, not as findings.")
    elif skipped:
        verdict = ("Not analysed: this run was made by a sweep with `--no-motifs`. "
                   "`bindreg card RUN_DIR` matches its filters to JASPAR and rewrites this card.")
    elif motifs:
        verdict = "No filter activated on enough test sequences to form a motif."
    else:
        verdict = "The network has no convolutional first layer, so it has no filters to read as motifs."
    table = ["| filter | sites | bits | bits/column (core) | best JASPAR match | p | q | match |",
             "|---|---|---|---|---|---|---|---|"]
    for m in sorted(usable, key=lambda m: (significant(m) is None, m.matches[0]["p"] if m.matches else 1))[:16]:
        best = m.matches[0] if m.matches else None
        table.append(f"| {m.index} | {m.sites} | {m.information:.1f} | {m.bits_per_column:.2f} | "
                     + (f"{best['name']} ({best['matrix_id']}) | {best['p']:.2g} | {best['q']:.2g} | "
                        f"{'yes' if significant(m) else 'no: ' + rejection(m)} |" if best else "- | - | - | no |"))
    body = [
        f"# {identity['model']} on {identity['dataset']} ({identity['task']})", "",
        f"Test AUROC **{test['auroc']:.4f}**, AUPRC {test['auprc']:.4f}, accuracy {test['accuracy']:.4f} "
        f"(best iteration {metrics['best_iteration']}).", "",
        "## Model", "",
        f"- architecture `{identity['model']}` from plugin {identity['plugin']}",
        f"- task `{identity['task']}`, experiment `{identity['dataset']}`, input {input_description(identity)}",
        f"- hyper-parameters {json.dumps(metrics['hyperparameters'])}",
        f"- {budget}", f"- framework: {versions}", "",
        "## Training data", "", *data_lines, "",
        "## Learned motifs", "", verdict, "",
        *(["![first-layer filters as sequence logos](motif_logos.png)", ""] if logos else []),
        *table, "",
        "## Intended use", "",
        f"Scoring DNA sequences for binding of the factor behind `{identity['dataset']}`; " + (
            "sequences of any length are scored whole, padding masked (`bindreg predict` with MXNet, "
            "docs/varlen.md)." if identity.get("any_length") else
            f"sequences of other lengths are scored by their best {identity['sequence_length']} bp window "
            "(longer) or N-padded (shorter), with either engine (`bindreg predict`, mode `windows`)."),
        "", "## Limitations", "",
        "Trained on one experiment in one cell type. Motif-discovery models separate bound sequence from "
        "dinucleotide shuffles and overstate accuracy against genomic negatives. Filter-to-JASPAR matches "
        "describe what the first layer learned, not a validated binding site.", "",
        "## Citation", "", PAPER_CITATION, ""]
    return "---\n" + yaml.safe_dump(front_matter(identity, metrics, motifs), sort_keys=False) + "---\n\n" \
        + "\n".join(body)
