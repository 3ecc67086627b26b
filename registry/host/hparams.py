"""Hyper-parameter spaces and the paper's random search order (Table 3, section 4.2)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

#: Table 3 of Zeng et al. (2016). "Momentum" and "delta" are Caffe's names for
#: AdaDelta's decay rate rho and its epsilon.
PAPER_SPACE: Mapping[str, Sequence] = {
    "dropout": (0.75, 0.5, 0.1),
    "rho": (0.9, 0.99, 0.999),
    "epsilon": (1e-4, 1e-6, 1e-8),
}


def grid(space: Mapping[str, Sequence]) -> list[dict]:
    """Every combination of the space, in a fixed order."""
    keys = sorted(space)
    return [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]


def sample_settings(space: Mapping[str, Sequence], count: int, seed: int) -> list[dict]:
    """``count`` settings drawn at random from the space, reproducibly.

    The paper samples 30 settings "from all possible combinations", but Table 3
    has only 27. We draw a random permutation of the whole grid and cycle it, so
    that 30 settings cover all 27 combinations once and repeat three of them
    (each repeat trains from a different initialisation).
    """
    combos = grid(space)
    order = np.random.default_rng(seed).permutation(len(combos))
    return [dict(combos[order[i % len(combos)]]) for i in range(count)]
