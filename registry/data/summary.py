"""A store described in lines of text, for people (``bindreg data show``, ``data encode``, ``data prepare``)."""

from __future__ import annotations

from pathlib import Path

from .store import counts, provenance


def describe_store(path: Path, dataset) -> list[str]:
    """What ``bindreg data show`` and ``data encode`` print about a store: counts per split, content
    hash, dropped records, matching statistics, inputs and provenance, one fact a line."""
    lines = []
    lines.append(f"{path}: {dataset.attrs['dataset']} / {dataset.attrs['task']}, "
                 f"{dataset.sizes['sample']} sequences of " + (
                     f"{dataset.attrs['min_length']}-{dataset.attrs['max_length']} bp (N-padded to the longest, "
                     "with their lengths)" if "length" in dataset else f"{dataset.attrs['sequence_length']} bp"))
    for split, numbers in counts(dataset).items():
        lines.append(f"  {split:>5}: {numbers['positives']} positives, {numbers['negatives']} negatives")
    lines.append(f"  content sha256 {dataset.attrs['content_sha256']}")
    record = provenance(dataset)
    if "dropped" in record:
        lines.append("  dropped records: " + ", ".join(f"{k} {v}" for k, v in record["dropped"].items()))
    matching = record.get("matching")
    if matching:
        lines.append(f"  matching ({matching['method']}): kept {matching['positives']['kept']} of "
                     f"{matching['positives']['candidates']} bound, {matching['negatives']['kept']} of "
                     f"{matching['negatives']['candidates']} unbound instances")
        for label, key in (("GC content", "gc"), ("motif score", "motif_score")):
            before, after = matching[key]["before"], matching[key]["after"]
            lines.append(f"    {label:>11} KS: before D={before['statistic']:.3f} p={before['pvalue']:.3g}; "
                         f"after D={after['statistic']:.3f} p={after['pvalue']:.3g}")
    for entry in record.get("inputs", []):
        lines.append(f"  input ({entry.get('role', '?')}): {entry.get('path')} sha256 {entry.get('sha256', '?')[:16]}...")
    details = {k: v for k, v in record.items() if k not in ("inputs", "matching", "dropped")
               and not isinstance(v, (dict, list))}
    lines.append("  " + ", ".join(f"{k}: {v}" for k, v in sorted(details.items())))
    lines.append(f"  full provenance: bindreg data show {path} --json")
    return lines
