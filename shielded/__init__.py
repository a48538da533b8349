"""shielded: a private payments rollup for Ethereum.

Layers (imports only point down): field -> hash -> poly -> commit -> proof -> circuits ->
protocol -> state -> l1 -> operator -> wallet.  See SPEC.md.
"""

import os as _os

# numba's default OpenMP threading layer costs ~10 ms per parallel kernel call when the cores
# are shared with other processes (measured: a 2^7-row proof 0.78 s instead of 0.14 s, a
# verification 0.3 s instead of 0.023 s); the workqueue layer does not.  An explicit
# NUMBA_THREADING_LAYER in the environment still wins.  (workqueue must not be driven from two
# Python threads at once; the operator parallelises with processes.)
if "NUMBA_THREADING_LAYER" not in _os.environ:
    import numba as _numba

    _numba.config.THREADING_LAYER = "workqueue"

__version__ = "0.1.0"
