"""One lock for every parallel numba kernel this process launches.

Why: numba's ``workqueue`` threading layer (gkmsvm-lite pins it when imported) aborts the whole
process when two threads launch parallel kernels at once. Two kinds of thread do: MXNet runs
custom operators (``onehot_conv``, ``onehot_strands``) on a pool of threads, so a forward and a
backward can overlap, and ``bindnet_gkm`` fits gkm-SVM in a background thread while its networks
train (``gkm_member.MemberFit``). Every parallel launch holds this lock; the kernels are short,
and the background thread runs gkm-SVM's long kernel serially, without it (``gkm_scoring``).
"""

import threading

PARALLEL_KERNELS = threading.Lock()
