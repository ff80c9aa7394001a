"""Keep NumPy's BLAS on one thread while background work (the directions) runs.

Why: on a busy two-core machine OpenBLAS's worker threads spin-wait for each other; the
PCA in directions.py took 2.4 s instead of 0.1 s when a training run shared the CPU
(measured: same code, OPENBLAS_NUM_THREADS=1 → 0.07 s). One BLAS thread also leaves the
other core to the UI thread, which is what an interactive app wants anyway.

threadpoolctl finds the BLAS that NumPy loaded, on every platform, and limits it for the
duration of a `with` block. Where it is missing this is a no-op: it only changes speed,
never results.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Iterator

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # an optional speed-up, never a reason not to start
    threadpool_limits = None


@contextmanager
def blas_threads(count: int) -> Iterator[None]:
    """Run the body with BLAS limited to `count` threads, then restore the old count."""
    limit = threadpool_limits(limits=count, user_api="blas") if threadpool_limits \
        else nullcontext()
    with limit:
        yield
