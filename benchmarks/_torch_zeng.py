"""The paper's CNNs and protocol in PyTorch: the yardstick for bindreg's speed.

Imports torch and never MXNet (their OpenMP runtimes conflict in one process); the
architectures come from bindreg_plugins.zeng_architectures.TABLE_1, which reads without MXNet.
Same layers as bindreg.nets.ConvNet: conv(width) -> ReLU -> [max pool 3 -> conv -> ReLU]... ->
global max (or local max pool + flatten) -> dense 32 -> ReLU -> dropout -> dense 2; AdaDelta with
lr 1 (Zeiler 2012), mean cross-entropy over the minibatch.

Given bindreg's initial weights (``inits``), ``protocol`` replays a bindreg run's draws exactly:
the same initialisation, the same minibatch order and the same dropout masks
(``bindreg.draws``, NumPy only), so the two differ only in their arithmetic and their speed.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from bindreg.train.draws import dropout_masks, epoch_orders, validation_blocks
from bindreg_plugins.zeng_architectures import TABLE_1


class ZengNet(nn.Module):
    def __init__(self, filters, widths, top_pool, length: int, dropout: float, inner_pool: int = 3, hidden: int = 32):
        super().__init__()
        layers, channels = [], 4
        for depth, (count, width) in enumerate(zip(filters, widths)):
            if depth:
                layers.append(nn.MaxPool1d(inner_pool, inner_pool))
            layers += [nn.Conv1d(channels, count, width), nn.ReLU()]
            channels = count
        self.features = nn.Sequential(*layers)
        self.top_pool = top_pool
        with torch.no_grad():
            size = self._pooled(self.features(torch.zeros(1, 4, length))).shape[1]
        self.hidden, self.output = nn.Linear(size, hidden), nn.Linear(hidden, 2)
        self.dropout = nn.Dropout(dropout)

    def _pooled(self, x):
        if self.top_pool is None:
            return x.amax(dim=2)
        return nn.functional.max_pool1d(x, self.top_pool, self.top_pool).flatten(1)

    def forward(self, x, mask=None):
        """``mask``: bindreg's inverted-dropout mask for this minibatch; None draws torch's own."""
        h = torch.relu(self.hidden(self._pooled(self.features(x))))
        return self.output(self.dropout(h) if mask is None or not self.training else h * mask)

    def load_bindreg(self, weights: dict) -> None:
        """Take bindreg's initial weights (``bindreg.packed`` names; conv kernels ``(F, 4, 1, k)``)."""
        convs = [layer for layer in self.features if isinstance(layer, nn.Conv1d)]
        with torch.no_grad():
            for depth, conv in enumerate(convs):
                conv.weight.copy_(torch.from_numpy(weights[f"conv{depth}_weight"][:, :, 0, :]))
                conv.bias.copy_(torch.from_numpy(weights[f"conv{depth}_bias"]))
            for name in ("hidden", "output"):
                getattr(self, name).weight.copy_(torch.from_numpy(weights[f"{name}_weight"]))
                getattr(self, name).bias.copy_(torch.from_numpy(weights[f"{name}_bias"]))


def build(model: str, length: int, hparams: dict, seed: int, init: dict | None = None
          ) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    (filters, widths), top_pool = next((spec, top) for name, _, spec, top in TABLE_1 if name == model)
    net = ZengNet(filters, widths, top_pool, length, hparams["dropout"])
    if init is not None:
        net.load_bindreg(init)
    optimizer = torch.optim.Adadelta(net.parameters(), lr=1.0, rho=hparams["rho"], eps=hparams["epsilon"])
    return net, optimizer


def step_seconds(model: str, x: np.ndarray, y: np.ndarray, steps: int, hparams: dict, batch: int = 100) -> float:
    """Seconds per training step (forward, backward, AdaDelta) over contiguous slices of preloaded tensors."""
    x, y = torch.from_numpy(x), torch.from_numpy(y).long()
    net, optimizer = build(model, x.shape[2], hparams, seed=0)
    loss_fn = nn.CrossEntropyLoss()
    batches = len(x) // batch
    net.train()

    def one(step):
        start = (step % batches) * batch
        optimizer.zero_grad(set_to_none=True)
        loss_fn(net(x[start:start + batch]), y[start:start + batch]).backward()
        optimizer.step()

    for step in range(20):  # warm up allocator and kernels
        one(step)
    started = time.perf_counter()
    for step in range(steps):
        one(step)
    return (time.perf_counter() - started) / steps


def _scores(net, x: torch.Tensor) -> np.ndarray:
    net.eval()
    with torch.no_grad():
        out = torch.cat([torch.softmax(net(x[i:i + 1000]), dim=1)[:, 1] for i in range(0, len(x), 1000)])
    net.train()
    return out.numpy().astype(np.float64)


def _validate(net, x, labels) -> dict:
    scores = _scores(net, x)
    clipped = np.clip(scores, 1e-7, 1 - 1e-7)
    return {"accuracy": float(np.mean((scores >= 0.5) == labels)),
            "loss": float(-np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped)))}


def train_setting(model, hparams, splits, minibatches, validate_every, seed, order_seed, init=None, batch=100):
    """One setting as bindreg's trainer does it, one at a time: per-epoch shuffle, validation every
    ``validate_every`` steps and at the end, the best state kept (accuracy, then lower loss).
    With ``init``, bindreg's weights, order (``order_seed``) and dropout masks (``seed``)."""
    x, y = splits["train"]
    net, optimizer = build(model, x.shape[2], hparams, seed, init)
    loss_fn = nn.CrossEntropyLoss()
    orders = epoch_orders(np.random.default_rng(order_seed), len(x))
    masks_rng = np.random.default_rng(seed)
    per_epoch = len(x) // batch
    best, best_state, step = None, None, 0
    for block in validation_blocks(minibatches, validate_every):
        masks = None
        if init is not None:
            masks = torch.from_numpy(dropout_masks([masks_rng], [hparams["dropout"]], block, batch,
                                                   net.hidden.out_features)[:, 0])
        for index in range(block):
            slot = step % per_epoch
            if slot == 0:
                permutation = torch.from_numpy(next(orders))
                epoch_x, epoch_y = x[permutation], y[permutation]
            rows = slice(slot * batch, (slot + 1) * batch)
            optimizer.zero_grad(set_to_none=True)
            loss_fn(net(epoch_x[rows], None if masks is None else masks[index]), epoch_y[rows]).backward()
            optimizer.step()
            step += 1
        metrics = _validate(net, splits["valid"][0], splits["valid"][1].numpy())
        if best is None or (metrics["accuracy"], -metrics["loss"]) > (best["accuracy"], -best["loss"]):
            best, best_state = {**metrics, "step": step}, {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    return net, best


def protocol(model: str, arrays: dict, settings: list[dict], seed: int, inits: dict | None = None,
             search_minibatches=500, search_validate_every=100, train_minibatches=5000,
             train_validate_every=500) -> dict:
    """The paper's protocol one setting at a time: search, train the chosen setting, test once.

    Seeds as bindreg's protocol version 2: setting i draws with ``1000 * seed + i`` and the
    search shares the minibatch order of ``seed``; the final training draws everything with
    ``1000 * seed + 999``. ``inits[i]`` / ``inits[999]``: bindreg's initial weights (None:
    torch's own initialisation and dropout)."""
    init = (lambda key: inits[key]) if inits is not None else (lambda key: None)
    splits = {name: (torch.from_numpy(arrays[f"{name}_x"]), torch.from_numpy(arrays[f"{name}_y"]).long())
              for name in ("train", "valid", "test")}
    started = time.perf_counter()
    bests = [train_setting(model, hparams, splits, search_minibatches, search_validate_every, seed * 1000 + i,
                           seed, init(i))[1]
             for i, hparams in enumerate(settings)]
    chosen = max(range(len(bests)), key=lambda i: (bests[i]["accuracy"], -bests[i]["loss"], -i))
    search_seconds = time.perf_counter() - started
    net, best = train_setting(model, settings[chosen], splits, train_minibatches, train_validate_every,
                              seed * 1000 + 999, seed * 1000 + 999, init(999))
    auroc = float(roc_auc_score(arrays["test_y"], _scores(net, splits["test"][0])))
    return {"wall_s": time.perf_counter() - started, "search_s": search_seconds, "chosen": chosen,
            "hyperparameters": settings[chosen], "test_auroc": auroc, "best_iteration": best["step"]}
