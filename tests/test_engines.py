"""Prediction engines: one float32 softmax for every engine, built-ins found without plugins."""

from __future__ import annotations

import numpy as np
import pytest
from mxnet import nd

from bindreg.core.errors import BindregError
from bindreg.score.engines import BUILTIN, engine_loader, p_bound


def test_p_bound_is_mxnets_float32_softmax():
    logits = np.random.default_rng(0).normal(0, 8, (50, 2)).astype(np.float32)
    mxnet = nd.softmax(nd.array(logits), axis=1)[:, 1].asnumpy()
    assert p_bound(logits).dtype == np.float64
    np.testing.assert_allclose(p_bound(logits), mxnet, rtol=1e-6, atol=1e-7)


def test_builtin_engines_and_a_misspelt_one():
    assert engine_loader("mxnet") is BUILTIN["mxnet"]
    with pytest.raises(BindregError, match="unknown engine 'onnx'; did you mean 'onnxruntime'"):
        engine_loader("onnx")
