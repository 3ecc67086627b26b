"""Figures drawn straight to files, outside pyplot.

A ``matplotlib.figure.Figure`` made directly is never registered with pyplot: no backend is
chosen or switched (a caller's notebook or GUI backend stays as it was, a headless Dask worker
needs none) and there is nothing to close afterwards. ``savefig`` picks Agg for PNG by itself.
"""

from __future__ import annotations


def new_figure(**kwargs):
    """A ``matplotlib.figure.Figure(**kwargs)``; lay it out with ``figure.subplots(...)``."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)
