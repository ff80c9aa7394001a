"""The child process of probe_process.py: it tries models, one request at a time.

    python -c "from desktop_app.core.models.probe_child import serve; serve()"

Protocol: the child writes one line {"ready": true} when it can work; then, per request,
the app writes one JSON line (kind, name, latent_dim, num_classes, clusters, bytes) and
the model's bytes, and the child answers one JSON line: {"rule": null, "report": {...}}
when the model passed (the report: each case's best seconds and peak MB), else {"rule":
the clause of the sentence that refuses it}. Its address space is capped (RLIMIT_AS,
HEADROOM_BYTES above what it holds once started), so a model that asks for tens of
gigabytes fails to allocate here instead of pushing the machine into swap.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from . import deadline, probe
from .contract import ContractError, ModelInfo, check_io
from .messages import first_line
from .session import session_options

HEADROOM_BYTES = 3 << 30  # address space the child may add once started


def _status_kb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    raise OSError(field)


class _Meter:
    """`meter(work)` runs `work()` and returns the MB by which this process's resident
    memory peaked above what it was before the trial's first call (so memory a case keeps,
    an arena grown and never shrunk, counts against every later case too); None where
    the peak cannot be reset (no /proc)."""

    def __init__(self):
        self.before: float | None = None

    def __call__(self, work) -> float | None:
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
                refs.write("5")  # the peak (VmHWM) starts again from what is resident now
            if self.before is None:
                self.before = _status_kb("VmRSS")
        except OSError:
            work()
            return None
        work()
        return max(0.0, _status_kb("VmHWM") - self.before) / 1024


def _check_io(session, req: dict, path: Path) -> None:
    """The contract's checks of inputs and outputs, before any call: their sentences say
    more than a failed call would. The metadata was checked by the app already."""
    info = ModelInfo(path=path, kind=req["kind"], num_classes=req["num_classes"],
                     architecture="", epochs=0, dataset="", created="",
                     latent_dim=req["latent_dim"],
                     classes="clusters" if req["clusters"] else "digits")
    check_io(info, session.get_inputs(), session.get_outputs())


def serve() -> None:
    """Answer requests on stdin until it closes."""
    import resource

    import onnxruntime as ort

    ort.set_default_logger_severity(4)
    try:
        size = _status_kb("VmSize") * 1024
        resource.setrlimit(resource.RLIMIT_AS, (int(size + HEADROOM_BYTES),) * 2)
    except (OSError, ValueError):
        pass  # no /proc or no such limit here: the deadline and the measure still hold
    # Answers go to a private copy of stdout; anything else printed goes nowhere.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    requests = sys.stdin.buffer

    def answer(doc: dict) -> None:
        answers.write(json.dumps(doc).encode() + b"\n")
        answers.flush()

    answer({"ready": True})
    while True:
        line = requests.readline()
        if not line:
            return
        req = json.loads(line)
        data = requests.read(req["bytes"])
        path = Path(req["name"])
        try:
            session = ort.InferenceSession(data, sess_options=session_options(1),
                                           providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - the app says the same when it loads it
            answer({"rule": f"ONNX Runtime cannot load the graph ({first_line(exc)})"})
            continue
        cases = probe.cases_for(req["kind"], req["latent_dim"], req["num_classes"],
                                req["clusters"])
        try:
            _check_io(session, req, path)
            report = probe.trial(
                path, lambda feeds, names, s: deadline.run(session, names, feeds, s),
                cases, _Meter())
            answer({"rule": None, "report": report})
        except ContractError as exc:
            answer({"rule": exc.rule})
        except Exception as exc:  # noqa: BLE001 - MemoryError under RLIMIT_AS, mostly
            answer({"rule": f"its probe run failed ({first_line(exc)})"})
        del session

