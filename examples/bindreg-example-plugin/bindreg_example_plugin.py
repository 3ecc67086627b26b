"""An example bindreg plugin: ``1layer_maxavg``, the paper's 1layer with max *and* average pooling.

DeepBind used max+average pooling for in-vitro (PBM) data; this plugin lets the
paper's comparison ask whether it helps on ChIP-seq too. It also shows the other
extension points: an executor for ``bindreg compare --executor threads`` and a
command, ``bindreg gc FASTA``.
"""

from pathlib import Path

from mxnet.gluon import HybridBlock, nn

import bindreg
from bindreg.catalog import Architecture, Command, Executor


class MaxAvgNet(HybridBlock):
    """``x: (N, 4, 1, L)`` -> conv(16, width 24) -> [max, mean] over positions -> dense 32 -> dropout -> 2."""

    def __init__(self, dropout: float, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv = nn.Conv2D(16, (1, 24), activation="relu")
            self.hidden = nn.Dense(32, activation="relu")
            self.dropout = nn.Dropout(dropout)
            self.output = nn.Dense(2)

    def hybrid_forward(self, F, x):
        scan = self.conv(x)
        pooled = F.concat(F.max(scan, axis=(2, 3)), F.mean(scan, axis=(2, 3)), dim=1)
        return self.output(self.dropout(self.hidden(pooled)))


@bindreg.hookimpl
def register_architectures(register):
    register(Architecture("1layer_maxavg", "1layer with global max and average pooling (example plugin)",
                          lambda hparams: MaxAvgNet(hparams["dropout"])))


def _threads(function, jobs, keys, options):
    """Run compare's jobs on a pool of threads in this process (``--workers`` of them)."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(max_workers=int(options.get("workers") or 2)) as pool:
        index_of = {pool.submit(function, job): index for index, job in enumerate(jobs)}
        for future in as_completed(index_of):
            yield index_of[future], future.result()


@bindreg.hookimpl
def register_executors(register):
    register(Executor("threads", "compare's runs on threads of this process (example plugin)", _threads))


def gc_content(fasta: str):
    """Print each sequence's GC fraction (example plugin command).

    Example: bindreg gc peaks.fa
    """
    import typer
    from bindreg.formats import read_fasta

    records = read_fasta(Path(fasta))
    for name, sequence in zip(records.names, records.sequences):
        called = [b for b in sequence.upper() if b in "ACGT"]
        typer.echo(f"{name}\t{sum(b in 'GC' for b in called) / max(len(called), 1):.3f}")


@bindreg.hookimpl
def register_commands(register):
    register(Command("gc", "GC fraction of each sequence of a FASTA file (example plugin)", gc_content))
