"""Re-tracing a hybridized network for export: one fixed input length, or ``(x, lengths)``.

``export_length_aware`` writes the length-aware graph that ``bindreg.score.whole`` loads.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..core.errors import BindregError
from ..score.whole import VARLEN_SYMBOL

def export_length_aware(net, directory: Path, input_length: int) -> bool:
    """Write ``VARLEN_SYMBOL`` for ``net`` into ``directory``; False when the network needs a fixed
    length (local pooling at the top) or does not take ``lengths``."""
    from mxnet import base, nd

    net.hybridize(static_alloc=True)  # drops the cached fixed-length graph; the next call traces two inputs
    try:
        net(nd.zeros((1, 4, 1, input_length)), nd.array([input_length]))
    except (BindregError, TypeError, ValueError, base.MXNetError):  # no `lengths` input (a plugin's own net)
        return False
    scratch = Path(tempfile.mkdtemp(prefix=".varlen-", dir=directory))
    try:
        net.export(str(scratch / "model"))
        shutil.copyfile(scratch / "model-symbol.json", Path(directory) / VARLEN_SYMBOL)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return True


def length_aware(net, name: str, input_length: int):
    """``net`` re-traced to take ``(x, lengths)``; one-line error naming the model when it cannot."""
    from mxnet import base, nd

    net.hybridize(static_alloc=True)  # bucket shapes vary: no static_shape; drops the fixed-length trace
    try:
        net(nd.zeros((1, 4, 1, input_length), ctx=net_context(net)), nd.array([input_length], ctx=net_context(net)))
    except BindregError:  # the networks' own refusal: local max pooling at the top
        reason = "its top layer needs the one length it was built for"
    except (TypeError, ValueError, base.MXNetError) as exc:
        reason = "it takes no lengths: " + (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
    else:
        return net
    raise BindregError(f"model {name!r} cannot train on sequences of different lengths ({reason}); use a "
                       "network with a global max at the top (1layer, 2layer, 3layer, 1layer_128motif, deepbind, "
                       "1layer_rc, cnn_transformer) or give sequences of one length (leave out --any-length)")


def net_context(net):
    return next(iter(net.collect_params().values())).list_ctx()[0]


def retrace_fixed_length(net, input_length: int):
    """``net`` traced again with one input of ``input_length`` bp (before ``export`` writes
    ``model-symbol.json``, the fixed-length graph), whatever it was last called with."""
    from mxnet import nd

    net.hybridize(static_alloc=True, static_shape=True)
    net(nd.zeros((1, 4, 1, input_length), ctx=net_context(net)))
    return net
