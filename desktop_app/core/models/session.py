"""Making ONNX Runtime sessions tuned for interactive latency, with a provider fallback.

Why CPU first: a 28×28 generator runs in tens of microseconds on a CPU, far less than one
host-to-device copy, so a GPU provider only adds latency here. A caller (or the
`DIGIT_STUDIO_PROVIDERS` environment variable, comma separated) may still ask for others;
whatever is asked for, the list always ends on `CPUExecutionProvider`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import onnxruntime as ort

from .contract import ContractError
from .messages import first_line

CPU = "CPUExecutionProvider"


def choose_providers(requested: Sequence[str] | None = None) -> list[str]:
    """The requested providers that this ONNX Runtime has, in order, then CPU."""
    if requested is None:
        env = os.environ.get("DIGIT_STUDIO_PROVIDERS", "")
        requested = [p.strip() for p in env.split(",") if p.strip()]
    available = set(ort.get_available_providers())
    chosen = [p for p in requested if p in available and p != CPU]
    return [*chosen, CPU]


def session_options(threads: int) -> ort.SessionOptions:
    """Options for a session that runs small batches as fast as possible.

    threads : intra-op threads. One is fastest for a single 28×28 frame (a thread pool's
    hand-off costs more than the work); big batches split in two across threads instead
    (`Generator.generate`).
    """
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, threads)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle pool threads would otherwise spin between frames and eat a core that the UI
    # (and, on this machine, a training run) needs.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # ONNX Runtime's arena, on (its default): the arena keeps one batch's buffers and reuses
    # them. Off, every run mallocs and frees megabytes from two threads (the grid's halves,
    # background work), and glibc's per-thread heaps keep what was freed: with the width-64
    # generator the bench's peak RSS was 255 MB with the arena off and 179 MB with it on.
    opts.enable_cpu_mem_arena = True
    opts.log_severity_level = 3
    return opts


def make_session(data: bytes, path: Path, threads: int = 1,
                 providers: Sequence[str] | None = None) -> ort.InferenceSession:
    """An `InferenceSession` for the model bytes; ONNX Runtime's errors become `ContractError`."""
    try:
        return ort.InferenceSession(data, sess_options=session_options(threads),
                                    providers=choose_providers(providers))
    except Exception as exc:  # noqa: BLE001 - ORT raises its own untyped pybind errors
        raise ContractError(path, f"ONNX Runtime cannot load the graph ({first_line(exc)})"
                            ) from None
