"""One lock for the parallel numba kernels of bindreg's custom MXNet operators.

Why: numba's ``workqueue`` threading layer (gkmsvm-lite pins it when imported) aborts the whole
process when two threads launch parallel kernels at once, and MXNet runs custom operators
(``onehot_conv``, ``onehot_strands``) on a pool of threads, so a forward and a backward can
overlap. The kernels are short: they run one at a time. (A thread that fits gkm-SVM beside the
training launches no parallel kernel at all: ``bindreg.score.gkm_scoring.serial_here``.)
"""

import threading

PARALLEL_KERNELS = threading.Lock()
