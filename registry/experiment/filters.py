"""First-layer filters as motifs, matched to JASPAR: what a model card shows of what a network learned.

Learned motifs follow DeepBind and Basset: each first-layer filter is run over the
bound test sequences, every window that activates it above half its maximum is
aligned, and the base counts of those windows are its position frequency matrix.
The matrices, trimmed of uninformative flanks, are compared with JASPAR 2026 CORE
vertebrate motifs (pyjaspar, offline) by TOMTOM (memelite); a match is reported
when its Benjamini-Hochberg q-value over all filter x motif pairs is below
``MATCH_Q``, its p-value beats all ``SHUFFLES`` column-permuted copies of the
filter (see ``match_jaspar``), the filter carries enough information to be a motif
at all (``MIN_BITS`` in all, ``MIN_BITS_PER_COLUMN`` on average over its core) and the
alignment covers ``MIN_COVERAGE`` of its informative columns (see ``rejection``); the
card says so plainly when none is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data.synthetic import JASPAR_RELEASE

#: A match is reported when its Benjamini-Hochberg q-value is below this.
MATCH_Q = 0.05
#: A filter needs this many activating windows for its matrix to mean anything.
MIN_SITES = 10
#: Flank columns with less information than this (bits) are trimmed before matching.
TRIM_BITS = 0.3
#: The logo picture shows at most this many filters.
MAX_LOGOS = 24
#: Column-permuted copies of each filter that its best match must beat (empirical p <= 1/(1+SHUFFLES)).
SHUFFLES = 49
#: Filters are read from at most this many sequences.
MAX_SEQUENCES = 3000
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

_JASPAR: tuple[list[dict], list[np.ndarray]] | None = None


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
    import logomaker
    import pandas as pd

    from ..core.figures import new_figure, save_png

    usable = [m for m in motifs if m.sites >= MIN_SITES]
    shown = sorted(usable, key=lambda m: (significant(m) is None, -m.information))[:MAX_LOGOS]
    if not shown:
        return []
    columns = 4 if len(shown) > 4 else len(shown)
    rows = -(-len(shown) // columns)
    figure = new_figure(figsize=(3.6 * columns, 1.9 * rows))
    axes = figure.subplots(rows, columns, squeeze=False)
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
    save_png(figure, path, dpi=100)
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
