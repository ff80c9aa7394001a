"""`Classifier`: the contract's digit classifier behind a small NumPy API.

    clf = Classifier.from_path("exported_models/classifier.onnx")
    probs = clf.probs(images)               # (n, 28, 28) -> (n, 10), rows sum to 1
    verdict = clf.verdict(image)            # Verdict(digit=7, confidence=0.98, probs=(…))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from . import contract
from .contract import ContractError, ModelInfo
from .messages import first_line
from .session import ContractModel


@dataclass(frozen=True)
class Verdict:
    """The classifier's answer for one image: its digit, the probability it gave it, and
    the probabilities of all ten digits (`probs[k]` for digit k; empty if not known)."""

    digit: int
    confidence: float
    probs: tuple[float, ...] = ()


class Classifier(ContractModel):
    """A contract-checked classifier session."""

    KIND = "classifier"

    def __init__(self, session: ort.InferenceSession, info: ModelInfo):
        super().__init__(session, info)
        contract.check_classifier_io(info.path, session.get_inputs(), session.get_outputs())
        try:
            probs, features = session.run(["probs", "features"],
                                          {"image": np.zeros((2, 28, 28), np.float32)})
        except Exception as exc:  # noqa: BLE001 - any ORT failure means "does not classify"
            raise ContractError(info.path, f"a probe run failed ({first_line(exc)})") from None
        contract.check_probe(info.path, "probs", probs, (2, 10))
        if features.ndim != 2 or features.shape[0] != 2:
            raise ContractError(info.path, f"a probe run gave features of shape "
                                           f"{features.shape}, expected (2, F)")

    def probs(self, images: np.ndarray) -> np.ndarray:
        """images : (n, 28, 28) float in [0, 1] -> (n, 10) float32 probabilities."""
        images = np.ascontiguousarray(images, dtype=np.float32)
        if images.ndim == 2:
            images = images[None]
        return self._session.run(["probs"], {"image": images})[0]

    def verdict(self, image: np.ndarray) -> Verdict:
        """The most likely digit of one (28, 28) image, its probability and all ten.

        Raises `ContractError` when the run fails or its answer is not ten finite
        probabilities: a verdict is never "0 · nan%".
        """
        try:
            probs = self.probs(image)
        except Exception as exc:  # noqa: BLE001 - ORT raises its own untyped pybind errors
            raise ContractError(self.path, f"it failed on a frame ({first_line(exc)})") from None
        if getattr(probs, "shape", None) != (1, 10):
            raise ContractError(self.path, f"on a frame it gave probabilities of shape "
                                           f"{getattr(probs, 'shape', None)}, not (1, 10)")
        p = np.asarray(probs[0], np.float64)
        if not np.isfinite(p).all():
            raise ContractError(self.path, "on a frame it gave NaN or infinite probabilities")
        k = int(np.argmax(p))
        return Verdict(k, float(p[k]), tuple(p.tolist()))
