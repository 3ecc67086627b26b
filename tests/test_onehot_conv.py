"""The fused first layer (bindreg.onehot_conv) against MXNet's Convolution + max pooling."""

import mxnet as mx
import numpy as np
import pytest
from mxnet import autograd, nd

from bindreg.train import onehot_conv


def _inputs(seed: int, count: int = 40, length: int = 61, kernel: int = 9, filters: int = 24):
    rng = np.random.default_rng(seed)
    x = np.zeros((count, 4, 1, length), np.float32)
    x[np.arange(count)[:, None], rng.integers(0, 4, (count, length)), 0, np.arange(length)[None, :]] = 1
    x[3, :, 0, 10:20] = 0  # a run of N
    x[5, :, 0, -7:] = 0.25  # DeepBind-style padding: not one-hot
    weight = rng.normal(size=(filters, 4, 1, kernel)).astype(np.float32)
    bias = rng.normal(size=filters).astype(np.float32)
    top_grad = rng.normal(size=(count, filters, 1, 64)).astype(np.float32)
    return x, weight, bias, top_grad


def _reference(x, weight, bias, pool, top_grad):
    """MXNet's ops: ``(values (N, Q, F), dW, db)``."""
    w, b = nd.array(weight), nd.array(bias)
    w.attach_grad(), b.attach_grad()
    kernel, filters = weight.shape[3], weight.shape[0]
    with autograd.record():
        conv = nd.Convolution(nd.array(x), w, b, kernel=(1, kernel), num_filter=filters)
        pooled = nd.Pooling(conv, kernel=(1, pool), stride=(1, pool), pool_type="max")
    windows = pooled.shape[3]
    pooled.backward(nd.array(top_grad[..., :windows]))
    return pooled.asnumpy()[:, :, 0, :].transpose(0, 2, 1), w.grad.asnumpy(), b.grad.asnumpy()


def _fused(x, weight, bias, pool, top_grad):
    w, b = nd.array(weight), nd.array(bias)
    w.attach_grad(), b.attach_grad()
    with autograd.record():
        pooled = nd.Custom(nd.array(x), w, b, kernel=weight.shape[3], pool=pool, op_type=onehot_conv.OP_TYPE)
    windows = pooled.shape[1]
    pooled.backward(nd.array(top_grad[:, :, 0, :windows].transpose(0, 2, 1)))
    return pooled.asnumpy(), w.grad.asnumpy(), b.grad.asnumpy()


@pytest.mark.parametrize("pool", [53, 20, 3], ids=["global", "window20", "window3"])
def test_fused_first_layer_equals_convolution_then_max_pooling(pool):
    """Values and both gradients, through both backward kernels (sparse for wide windows, by
    position for narrow ones), on input with N runs and non-one-hot columns."""
    x, weight, bias, top_grad = _inputs(seed=pool)
    expected, fused = _reference(x, weight, bias, pool, top_grad), _fused(x, weight, bias, pool, top_grad)
    assert fused[0].shape == expected[0].shape == (40, onehot_conv.pooled_length(61, 9, pool), 24)
    for got, want in zip(fused, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_fused_first_layer_in_a_hybridized_graph_matches_imperative():
    """The packed trainer runs it inside a static-alloc CachedOp."""
    x, weight, bias, top_grad = _inputs(seed=7)

    class Graph(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, data, w, b):
            return F.Custom(data, w, b, kernel=9, pool=53, op_type=onehot_conv.OP_TYPE)

    graph = Graph()
    graph.hybridize(static_alloc=True, static_shape=True)
    w, b = nd.array(weight), nd.array(bias)
    w.attach_grad(), b.attach_grad()
    for _ in range(2):  # the second call reuses the static buffers
        with autograd.record():
            out = graph(nd.array(x), w, b)
        out.backward(nd.array(top_grad[:, :, 0, :1].transpose(0, 2, 1)))
    expected = _fused(x, weight, bias, 53, top_grad)
    np.testing.assert_allclose(out.asnumpy(), expected[0], rtol=1e-6)
    np.testing.assert_allclose(w.grad.asnumpy(), expected[1], rtol=1e-6)
