"""`ContractModel`: what `Generator`, `Encoder` and `Classifier` share.

Loading is one path for all three: the file is read and checked against the contract
(contract.py), tried in a child process at every batch size the app uses (probe.py,
probe_process.py), and only then given an `InferenceSession` here, whose inputs and
outputs are checked once more and which answers one probe call before anything else may
call it. Every later call has a deadline (deadline.py); `run_error` turns a failed one
into one sentence naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import onnxruntime as ort

from . import contract, deadline, probe, probe_process
from .contract import ModelInfo, ModelRunError, parse_metadata, read_model_file
from .messages import first_line
from .session import make_session


class ContractModel:
    """What `Generator`, `Encoder` and `Classifier` share: loading a checked file or
    wrapping a session, then the trial (probe.py) before anything else may call it.

    Subclasses set `KIND` (the contract's `kind`) and `check_io`. `tried` says the whole
    trial already ran in the child process (probe_process.py): here it is then one call,
    a check that this process's session answers as the child's did.
    """

    KIND = ""

    def __init__(self, session: ort.InferenceSession, info: ModelInfo, tried: bool = False):
        self.info = info
        self._session = session
        self.check_io(info, session.get_inputs(), session.get_outputs())
        cases = probe.cases_for(self.KIND, info.latent_dim, info.num_classes, info.clusters)
        probe.trial(info.path, self._bounded_run, cases[:1] if tried else cases)

    @classmethod
    def check_io(cls, info: ModelInfo, inputs: list, outputs: list) -> None:
        """Raise `ContractError` unless the graph's inputs and outputs (ONNX Runtime
        `NodeArg`s) are the contract's for `info`."""
        contract.check_io(info, inputs, outputs)

    def _bounded_run(self, feeds: dict, names: list[str], seconds: float) -> list:
        return deadline.run(self._session, names, feeds, seconds)

    @classmethod
    def from_path(cls, path: str | Path, providers: Sequence[str] | None = None):
        """Load, check and try `path`; raises `ContractError` with a one-sentence reason."""
        data, info = read_model_file(path, cls.KIND)
        tried = probe_process.verdict(data, info)
        return cls(make_session(data, info.path, 1, providers), info, tried)

    @classmethod
    def from_session(cls, session: ort.InferenceSession, path: str | Path = "<session>"):
        """Wrap an existing session (tests inject one); metadata comes from the session,
        and the whole trial runs here (time-bounded; memory is measured only in a child)."""
        meta = dict(session.get_modelmeta().custom_metadata_map)
        return cls(session, parse_metadata(Path(path), meta, cls.KIND))

    @property
    def path(self) -> Path:
        return self.info.path

    def run_error(self, exc: Exception, what: str) -> Exception:
        """The one-sentence error for a failed call on `what` ("drawing 64 digits")."""
        if isinstance(exc, deadline.Timeout):
            return ModelRunError(self.path, f"did not finish {what} within {exc.seconds:.3g} s")
        return ModelRunError(self.path, f"failed {what} ({first_line(exc)})")
