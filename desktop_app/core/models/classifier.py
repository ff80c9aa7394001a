"""`Classifier`: the contract's digit classifier behind a small NumPy API.

    clf = Classifier.from_path("exported_models/classifier.onnx")
    probs = clf.probs(images)               # (n, 28, 28) -> (n, 10), rows sum to 1
    verdict = clf.verdict(image)            # Verdict(digit=7, confidence=0.98, probs=(…))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import deadline
from .contract import ContractError
from .messages import first_line
from .model import ContractModel
from .probe import call_seconds


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

    def probs(self, images: np.ndarray) -> np.ndarray:
        """images : (n, 28, 28) float in [0, 1] -> (n, 10) float32 probabilities."""
        images = np.ascontiguousarray(images, dtype=np.float32)
        if images.ndim == 2:
            images = images[None]
        return deadline.run(self._session, ["probs"], {"image": images},
                            call_seconds(len(images)))[0]

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
