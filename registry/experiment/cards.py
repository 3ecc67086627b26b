"""Model cards: Hugging Face-compatible front matter, bindreg's own fields, and the learned motifs.

``write_card(directory, identity, metrics, test_onehot, test_labels)`` writes into a
run directory::

    card.md          YAML front matter (license, tags, datasets, model-index, bindreg) + Markdown
    motifs.tsv       per first-layer filter: sites, information content, best JASPAR matches
    motif_logos.png  the filters as sequence logos, best match in each title

Learned motifs follow DeepBind and Basset: each first-layer filter is run over the
bound test sequences, every window that activates it above half its maximum is
aligned, and the base counts of those windows are its position frequency matrix.
The matrices, trimmed of uninformative flanks, are compared with JASPAR 2026 CORE
vertebrate motifs (pyjaspar, offline) by TOMTOM (memelite); a match is reported
when its Benjamini-Hochberg q-value over all filter x motif pairs is below
``MATCH_Q``, its p-value beats all ``SHUFFLES`` column-permuted copies of the
filter (see ``match_jaspar``), the filter carries enough information to be a motif
at all (``MIN_BITS`` in all, ``MIN_BITS_PER_COLUMN`` on average) and the alignment
covers ``MIN_COVERAGE`` of its informative columns (see ``significant``); the card
says so plainly when none is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data.synthetic import JASPAR_RELEASE

PAPER_CITATION = ("Zeng H, Edwards MD, Liu G, Gifford DK. Convolutional neural network architectures "
                  "for predicting DNA-protein binding. Bioinformatics 32(12):i121-i127 (2016). "
                  "doi:10.1093/bioinformatics/btw255")
MATCH_Q = 0.05
#: A filter needs this many activating windows for its matrix to mean anything.
MIN_SITES = 10
#: Flank columns with less information than this (bits) are trimmed before matching.
TRIM_BITS = 0.3
MAX_LOGOS = 24
#: Column-permuted copies of each filter that its best match must beat (empirical p <= 1/(1+SHUFFLES)).
SHUFFLES = 49
#: A filter is read as a motif only with this much information in its trimmed logo (bits, all columns)...
MIN_BITS = 6.0
#: ... and this much per column on average over its core (its most informative ``CORE_COLUMNS``
#: consecutive columns): near-uniform logos (~0.5 bits a column) get tiny TOMTOM p-values against
#: long, weak JASPAR motifs (CTCF's 31 columns) without resembling them. The core, not the whole
#: logo, because real long motifs have weak stretches too (CTCF MA1930.2: 0.63 bits a column over
#: 33 columns, 1.07 over its best 10).
MIN_BITS_PER_COLUMN = 0.75
CORE_COLUMNS = 10
#: A column with this much information is one of the filter's informative columns ...
INFORMATIVE_BITS = 0.5
#: ... and the best alignment must overlap this share of them (not a corner of the filter).
MIN_COVERAGE = 0.75
MAX_SEQUENCES = 3000
LICENSE = "mit"


@dataclass
class FilterMotif:
    """One first-layer filter as a motif: ``pfm: shape=(4, width)`` probabilities (A C G T)."""

    index: int
    sites: int
    pfm: np.ndarray
    trimmed: tuple[int, int]
    matches: list[dict] = field(default_factory=list)

    @property
    def information(self) -> float:
        """Bits of the trimmed logo, all columns together."""
        return float(information_content(self.pfm[:, self.trimmed[0]:self.trimmed[1]]).sum())

    @property
    def bits_per_column(self) -> float:
        """Mean bits per column of the trimmed logo's core: its ``CORE_COLUMNS`` most informative
        consecutive columns (all of it when shorter)."""
        bits = information_content(self.pfm[:, self.trimmed[0]:self.trimmed[1]])
        if len(bits) <= CORE_COLUMNS:
            return float(bits.mean()) if len(bits) else 0.0
        return float(np.convolve(bits, np.ones(CORE_COLUMNS) / CORE_COLUMNS, mode="valid").max())


def information_content(pfm: np.ndarray) -> np.ndarray:
    """Bits per column of a probability matrix ``(4, width)``."""
    p = np.clip(pfm, 1e-9, 1)
    return 2 + (p * np.log2(p)).sum(axis=0)


def first_layer(symbol: Path, params: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """Weights ``(filters, 4, width)`` and biases ``(filters,)`` of the first convolution of an
    exported network (the first Convolution node of the symbol graph); None when it has none."""
    import mxnet as mx

    nodes = json.loads(Path(symbol).read_text())["nodes"]
    conv = next((n for n in nodes if n["op"] == "Convolution"), None)
    if conv is None:
        return None
    inputs = [nodes[i[0]]["name"] for i in conv["inputs"]]
    weight_name = next(n for n in inputs if n.endswith("weight"))
    bias_name = next((n for n in inputs if n.endswith("bias")), None)
    loaded = {k.split(":", 1)[-1]: v for k, v in mx.nd.load(str(params)).items()}
    weights = loaded[weight_name].asnumpy()
    if weights.ndim == 4 and weights.shape[2] == 1:
        weights = weights[:, :, 0, :]  # Conv2D (1, k) kernels over (N, 4, 1, L)
    if weights.ndim != 3 or weights.shape[1] != 4:
        return None  # not a scan over one-hot DNA
    bias = loaded[bias_name].asnumpy() if bias_name else np.zeros(len(weights), np.float32)
    return weights, bias


def filter_motifs(weights: np.ndarray, bias: np.ndarray, onehot: np.ndarray, threshold: float = 0.5) -> list:
    """Position frequency matrices of each filter from the windows of ``onehot: (n, 4, L)`` that
    activate it above ``threshold`` x its maximum activation."""
    filters, _, width = weights.shape
    onehot = onehot[:MAX_SEQUENCES].astype(np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(onehot, width, axis=2)  # (n, 4, P, width)
    windows = windows.transpose(0, 2, 1, 3).reshape(-1, 4 * width)  # one row per window
    activation = np.maximum(windows @ weights.reshape(filters, -1).T + bias, 0)  # (n*P, filters)
    motifs = []
    for index in range(filters):
        peak = activation[:, index].max()
        chosen = np.flatnonzero(activation[:, index] > threshold * peak) if peak > 0 else np.zeros(0, int)
        counts = windows[chosen].reshape(-1, 4, width).sum(axis=0) + 0.25  # pseudocount per base
        pfm = counts / counts.sum(axis=0)
        motifs.append(FilterMotif(index, int(len(chosen)), pfm, _trim(pfm)))
    return motifs


def _trim(pfm: np.ndarray) -> tuple[int, int]:
    informative = np.flatnonzero(information_content(pfm) >= TRIM_BITS)
    if informative.size == 0:
        return 0, pfm.shape[1]
    return int(informative[0]), int(informative[-1]) + 1


_JASPAR: tuple[list[dict], list[np.ndarray]] | None = None


def jaspar_vertebrates() -> tuple[list[dict], list[np.ndarray]]:
    """JASPAR 2026 CORE vertebrate motifs (latest versions): identities and ``(4, width)`` matrices."""
    global _JASPAR
    if _JASPAR is None:
        from pyjaspar import jaspardb

        motifs = jaspardb(release=JASPAR_RELEASE).fetch_motifs(collection="CORE", tax_group=["vertebrates"])
        names, matrices = [], []
        for motif in motifs:
            counts = np.array([motif.counts[b] for b in "ACGT"], dtype=float) + 0.25
            names.append({"matrix_id": motif.matrix_id, "name": motif.name})
            matrices.append(counts / counts.sum(axis=0))
        _JASPAR = (names, matrices)
    return _JASPAR


def warm_up() -> None:
    """Compile TOMTOM's numba kernels once (about 90 s on 2 cores, then cached on disk).

    ``make setup`` calls this so that a newcomer's first ``bindreg run`` does not pay
    the compile inside its card.
    """
    from memelite import tomtom

    import warnings

    query = np.full((4, 8), 0.25, dtype=np.float64)
    with warnings.catch_warnings():  # "fewer than 25 targets": irrelevant, only the compile matters here
        warnings.simplefilter("ignore", UserWarning)
        tomtom([query], [np.full((4, 10), 0.25, dtype=np.float64)], n_jobs=1)


def match_jaspar(motifs: list[FilterMotif], keep: int = 3) -> None:
    """Fill each motif's ``matches`` with its best JASPAR hits by TOMTOM p-value.

    ``q`` is Benjamini-Hochberg over every filter x motif pair. ``beats_shuffles``
    says whether the best p-value is lower than that of every one of ``SHUFFLES``
    column-permuted copies of the same filter (False, unscored, for a filter that fails
    the information floor or the q-value anyway): TOMTOM's Euclidean scores give
    near-uniform matrices tiny p-values against long, weak JASPAR motifs (a random
    filter "matches" CTCF at p ~ 1e-10), and a permuted copy keeps the information
    but not the motif, so it is the null that such artefacts fail.
    """
    from memelite import tomtom

    usable = [m for m in motifs if m.sites >= MIN_SITES]
    if not usable:
        return
    names, targets = jaspar_vertebrates()
    # float64 always: numba compiles (and caches) one specialisation per dtype.
    queries = [np.ascontiguousarray(m.pfm[:, m.trimmed[0]:m.trimmed[1]], dtype=np.float64) for m in usable]
    found = tomtom(queries, targets, n_jobs=1)
    p_values = np.asarray(found[0], dtype=float)
    offsets, overlaps = np.asarray(found[2]), np.asarray(found[3])
    q_values = _benjamini_hochberg(p_values.ravel()).reshape(p_values.shape)
    # TOMTOM's p-values depend on the targets, not on the other queries, so the shuffles are scored
    # apart, and only for filters that every other test lets through (a third of them, or less).
    candidates = [i for i, m in enumerate(usable)
                  if m.information >= MIN_BITS and m.bits_per_column >= MIN_BITS_PER_COLUMN
                  and q_values[i].min() < MATCH_Q]
    null_best = np.full(len(usable), -np.inf)
    if candidates:
        rng = np.random.default_rng(0)
        shuffled = [queries[i][:, rng.permutation(queries[i].shape[1])] for i in candidates for _ in range(SHUFFLES)]
        p_null = np.asarray(tomtom(shuffled, targets, n_jobs=1)[0], dtype=float)
        null_best[candidates] = p_null.min(axis=1).reshape(len(candidates), SHUFFLES).min(axis=1)
    for i, (motif, p_row, q_row, null) in enumerate(zip(usable, p_values, q_values, null_best)):
        for rank, target in enumerate(np.argsort(p_row)[:keep]):
            covered = alignment_coverage(queries[i], int(offsets[i, target]), int(overlaps[i, target]),
                                         targets[target].shape[1])
            motif.matches.append({**names[target], "p": float(p_row[target]), "q": float(q_row[target]),
                                  "beats_shuffles": bool(rank == 0 and p_row[target] < null),
                                  "coverage": round(covered, 3)})


def alignment_coverage(query: np.ndarray, offset: int, overlap: int, target_width: int) -> float:
    """Share of the informative columns (>= ``INFORMATIVE_BITS``) of ``query: (4, w)`` that TOMTOM's
    best alignment overlaps with the target.

    memelite's ``offset`` is where the query starts relative to the target (negative: the query
    overhangs the target's start) and ``overlap`` the number of aligned columns; on the reverse
    strand the same holds against the reverse-complemented target, and the query's covered span
    is the same.
    """
    informative = np.flatnonzero(information_content(query) >= INFORMATIVE_BITS)
    if informative.size == 0:
        return 0.0
    start = max(0, -offset)  # first query column inside the target
    covered = (informative >= start) & (informative < start + overlap)
    return float(covered.mean())


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(q)
    out[order] = np.minimum(q, 1)
    return out


def significant(motif: FilterMotif) -> dict | None:
    """The best match when it passes every test (``rejection`` says none fails), else None."""
    return motif.matches[0] if motif.matches and rejection(motif) is None else None


def rejection(motif: FilterMotif) -> str | None:
    """Why the filter's best JASPAR match is not claimed, in a few words; None when it is.

    Claimed only when the filter is a motif at all (``MIN_BITS`` in its trimmed logo and
    ``MIN_BITS_PER_COLUMN`` on average over its core), the match is significant (BH q < ``MATCH_Q``) and beats
    every column-shuffled copy of the filter, and the alignment covers ``MIN_COVERAGE`` of the
    filter's informative columns.
    """
    if not motif.matches:
        return "no match"
    best = motif.matches[0]
    if motif.information < MIN_BITS or motif.bits_per_column < MIN_BITS_PER_COLUMN:
        return f"low information ({motif.information:.1f} bits, {motif.bits_per_column:.2f}/column in its core)"
    if best["q"] >= MATCH_Q:
        return f"q {best['q']:.2g}"
    if not best["beats_shuffles"]:
        return "shuffled filter matches as well"
    if best.get("coverage", 1.0) < MIN_COVERAGE:
        return f"alignment covers {best['coverage']:.0%} of the filter"
    return None


def draw_logos(motifs: list[FilterMotif], path: Path) -> list[int]:
    """Sequence logos (information content) of the most telling filters; returns their indices.

    Matched filters first, then by information; at most ``MAX_LOGOS``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import logomaker
    import matplotlib.pyplot as plt
    import pandas as pd

    usable = [m for m in motifs if m.sites >= MIN_SITES]
    shown = sorted(usable, key=lambda m: (significant(m) is None, -m.information))[:MAX_LOGOS]
    if not shown:
        return []
    columns = 4 if len(shown) > 4 else len(shown)
    rows = -(-len(shown) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 1.9 * rows), squeeze=False)
    for ax in axes.ravel()[len(shown):]:
        ax.axis("off")
    for ax, motif in zip(axes.ravel(), shown):
        frame = pd.DataFrame(motif.pfm.T, columns=list("ACGT"))
        logomaker.Logo(logomaker.transform_matrix(frame, from_type="probability", to_type="information"),
                       ax=ax, color_scheme="classic")
        best = significant(motif)
        title = f"filter {motif.index}: " + (f"{best['name']} ({best['matrix_id']}, q={best['q']:.1g})"
                                             if best else "no JASPAR match")
        ax.set_title(title, fontsize=8)
        ax.set_ylim(0, 2)
        ax.set_xticks([])
        ax.tick_params(labelsize=6)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return [m.index for m in shown]


def learned_motifs(directory: Path, test_onehot: np.ndarray, test_labels: np.ndarray) -> list[FilterMotif]:
    """Filters of the network in ``directory`` as matched motifs, from its bound test sequences."""
    layer = first_layer(directory / "model-symbol.json", directory / "model-0000.params")
    if layer is None:
        return []
    weights, bias = layer
    bound = test_onehot[np.asarray(test_labels) == 1]
    motifs = filter_motifs(weights, bias, bound if len(bound) else test_onehot)
    match_jaspar(motifs)
    return motifs


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
    from ..core.errors import BindregError
    from ..data.store import open_store

    run_dir = Path(run_dir)
    try:
        identity = json.loads((run_dir / "run.json").read_text())
        metrics = json.loads((run_dir / "metrics.json").read_text())
    except (OSError, ValueError):
        raise BindregError(f"{run_dir}: no readable run.json/metrics.json; give a run directory") from None
    dataset = open_store(Path(identity["store"]))
    return write_card(run_dir, identity, metrics, *motif_sequences(dataset))


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
            "input": {"length": identity["sequence_length"], "encoding": "one-hot A C G T, N = zeros",
                      "shape": "(N, 4, 1, L)",
                      **({"any_length": True, "trained_lengths": identity["lengths"]}
                         if identity.get("any_length") else {})},
            "learned_motifs": {"jaspar": f"{JASPAR_RELEASE} CORE vertebrates", "method": "TOMTOM (memelite)",
                               "q_threshold": MATCH_Q, "shuffles_to_beat": SHUFFLES, "min_bits": MIN_BITS,
                               "min_bits_per_column": MIN_BITS_PER_COLUMN, "core_columns": CORE_COLUMNS,
                               "min_coverage": MIN_COVERAGE,
                               "matched": matched},
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
