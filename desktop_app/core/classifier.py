"""`Classifier`: the contract's digit classifier behind a small NumPy API.

    clf = Classifier.from_path("exported_models/classifier.onnx")
    probs = clf.probs(images)               # (n, 28, 28) -> (n, 10), rows sum to 1
    verdict = clf.verdict(image)            # Verdict(digit=7, confidence=0.98, probs=(…))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import onnxruntime as ort

from . import contract
from .contract import ContractError, ModelInfo
from .session import make_session


@dataclass(frozen=True)
class Verdict:
    """The classifier's answer for one image: its digit, the probability it gave it, and
    the probabilities of all ten digits (`probs[k]` for digit k; empty if not known)."""

    digit: int
    confidence: float
    probs: tuple[float, ...] = ()


class Classifier:
    """A contract-checked classifier session."""

    def __init__(self, session: ort.InferenceSession, info: ModelInfo):
        self.info = info
        self._session = session
        contract.check_classifier_io(info.path, session.get_inputs(), session.get_outputs())
        try:
            probs, features = session.run(["probs", "features"],
                                          {"image": np.zeros((2, 28, 28), np.float32)})
        except Exception as exc:  # noqa: BLE001 - any ORT failure means "does not classify"
            raise ContractError(info.path, f"a probe run failed ({str(exc)[:200]})") from None
        contract.check_probe(info.path, "probs", probs, (2, 10))
        if features.ndim != 2 or features.shape[0] != 2:
            raise ContractError(info.path, f"a probe run gave features of shape "
                                           f"{features.shape}, expected (2, F)")

    @classmethod
    def from_path(cls, path: str | Path, providers: Sequence[str] | None = None) -> Classifier:
        """Load and check `path`; raises `ContractError` with a one-sentence reason."""
        data, info = contract.read_model_file(path, "classifier")
        return cls(make_session(data, info.path, 1, providers), info)

    @classmethod
    def from_session(cls, session: ort.InferenceSession,
                     path: str | Path = "<session>") -> Classifier:
        meta = dict(session.get_modelmeta().custom_metadata_map)
        return cls(session, contract.parse_metadata(Path(path), meta, "classifier"))

    @property
    def path(self) -> Path:
        return self.info.path

    def probs(self, images: np.ndarray) -> np.ndarray:
        """images : (n, 28, 28) float in [0, 1] -> (n, 10) float32 probabilities."""
        images = np.ascontiguousarray(images, dtype=np.float32)
        if images.ndim == 2:
            images = images[None]
        return self._session.run(["probs"], {"image": images})[0]

    def verdict(self, image: np.ndarray) -> Verdict:
        """The most likely digit of one (28, 28) image, its probability and all ten."""
        p = self.probs(image)[0]
        k = int(np.argmax(p))
        return Verdict(k, float(p[k]), tuple(p.tolist()))
