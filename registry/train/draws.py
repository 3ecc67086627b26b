"""The random draws of a training run that bindreg makes itself, in NumPy only.

NumPy only, so that a yardstick in another framework (benchmarks/_torch_zeng.py, which must not
import MXNet) replays exactly the dropout masks and minibatch order a bindreg run sees.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def dropout_masks(rngs: list[np.random.Generator], rates: list[float], steps: int, batch: int,
                  hidden: int) -> np.ndarray:
    """``(steps, P, batch, hidden)`` inverted-dropout masks (0 or 1/(1-rate)), each setting from its own stream."""
    masks = np.empty((steps, len(rngs), batch, hidden), np.float32)
    for index, (rng, rate) in enumerate(zip(rngs, rates)):
        keep = rng.random((steps, batch, hidden), dtype=np.float32) >= rate
        masks[:, index] = keep * np.float32(1.0 / (1.0 - rate))
    return masks


def validation_blocks(minibatches: int, validate_every: int) -> Iterator[int]:
    """The lengths of the stretches between validations (the masks are drawn one stretch at a time)."""
    step = 0
    while step < minibatches:
        block = min(validate_every - step % validate_every, minibatches - step)
        yield block
        step += block


def epoch_orders(order_rng: np.random.Generator, count: int) -> Iterator[np.ndarray]:
    """Each epoch's permutation of ``count`` training rows (``training.Split.batches``)."""
    while True:
        yield order_rng.permutation(count)
