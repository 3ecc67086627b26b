"""Choosing where MXNet computes, and saying plainly why a GPU is not available."""

from __future__ import annotations

import mxnet as mx

from ..core.errors import BindregError


def context(device: str):
    """``cpu`` or ``gpu`` (``gpu:N`` for the N-th GPU) -> an MXNet context."""
    kind, _, index = device.partition(":")
    if kind == "cpu":
        return mx.cpu()
    if kind != "gpu":
        raise BindregError(f"--device {device!r}: use cpu, gpu or gpu:N")
    if not mx.runtime.Features().is_enabled("CUDA"):
        raise BindregError(f"--device gpu: this MXNet ({mx.__version__}) is a CPU-only build; install "
                           "a CUDA build such as `pip install mxnet-cu117==1.9.1` (CUDA 11.7) or use --device cpu")
    count = mx.context.num_gpus()
    number = int(index or 0)
    if count == 0:
        raise BindregError("--device gpu: MXNet has CUDA support but sees no GPU (check the driver, "
                           "nvidia-smi and CUDA_VISIBLE_DEVICES) or use --device cpu")
    if number >= count:
        raise BindregError(f"--device {device}: only {count} GPU(s) visible; use gpu:0 to gpu:{count - 1}")
    return mx.gpu(number)
