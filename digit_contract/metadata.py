"""The model contract's metadata (docs/model-contract.md): its constants, and the one parser
that both sides use.

The app refuses a model whose metadata breaks it (`desktop_app.core.models.contract` adds the
reading rule and the graph checks); `python -m training evaluate` reads metadata through the
same `parse_metadata`, and the export writes `CONTRACT_VERSION`. Every failure is a
`ContractError` whose text is one sentence naming the file and the broken rule. Metadata is
data only: JSON is parsed, nothing is evaluated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

CONTRACT_VERSION = "2"
REEXPORT = "python -m training export RUN_DIR --out FILE.onnx"
MAX_LATENT_DIM = 4096
MAX_METADATA_BYTES = 1 << 20
# The shipped models are 2-4 MB; 64 MiB leaves room for a user's own much bigger generator
# (16 M float32 weights) and bounds what is read, walked and parsed on the GUI thread: a
# file over the cap is refused after reading 64 MiB + 1 byte, whatever `stat` says.
MAX_MODEL_BYTES = 64 << 20
IMAGE_SIZE = 28
NUM_DIGITS = 10
# Classes that are clusters (self-conditioned generators): k in 2..MAX_CLASSES, and their
# priors must sum to 1 within PRIORS_TOLERANCE.
MIN_CLUSTERS = 2
MAX_CLASSES = 100
PRIORS_TOLERANCE = 1e-3
CLASS_KINDS = ("digits", "clusters")
_REQUIRED = ("contract_version", "kind", "num_classes", "architecture", "epochs",
             "dataset", "created", "config")


class ContractError(ValueError):
    """A model file breaks the contract; `str()` is one sentence with the file and the rule."""

    def __init__(self, path: str | Path, rule: str):
        self.path = Path(path)
        self.rule = rule
        super().__init__(f"Cannot load {self.path.name}: {rule}.")


@dataclass(frozen=True)
class ModelInfo:
    """The contract metadata of one model file, parsed and checked."""

    path: Path
    kind: str
    num_classes: int
    architecture: str
    epochs: int
    dataset: str
    created: str
    latent_dim: int = 0
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] | None = None
    classes: str = "digits"  # what the classes are: "digits" or "clusters"
    class_priors: tuple[float, ...] | None = None  # clusters only: each one's share, sum 1

    @property
    def conditional(self) -> bool:
        """True for a generator fed `class_weights` (num_classes > 0)."""
        return self.kind == "generator" and self.num_classes > 0

    @property
    def clusters(self) -> bool:
        """True when the classes are k-means clusters, not digits (the model names no digit)."""
        return self.classes == "clusters" and self.num_classes > 0

    @property
    def class_noun(self) -> str:
        """What one class is called: "cluster" for a model whose classes are clusters
        (which digit a cluster shows is the classifier's verdict, never its name), else "digit"."""
        return "cluster" if self.clusters else "digit"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed")


def _json_object(path: Path, key: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ContractError(path, f"metadata '{key}' is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ContractError(path, f"metadata '{key}' must be a JSON object")
    return value


def _int(path: Path, meta: dict[str, str], key: str, lo: int, hi: int) -> int:
    text = meta[key].strip()
    # int() alone would accept "1_000" and 4000-digit strings, and str.isdigit() alone
    # accepts "²" (which int() then rejects): plain ASCII digits only, short.
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise ContractError(path, f"metadata '{key}' must be a whole number, not {text[:20]!r}")
    value = int(text)
    if not lo <= value <= hi:
        raise ContractError(path, f"metadata '{key}' is {value}, outside {lo}..{hi}")
    return value


def parse_metadata(path: Path, meta: dict[str, str], expected_kind: str) -> ModelInfo:
    """Check the contract's metadata table; returns the typed `ModelInfo`."""
    # Version and kind first: a version-1 file or a classifier picked as a generator
    # deserves that sentence, not a list of keys it lacks under this version's rules.
    version = meta.get("contract_version")
    if version == "1":
        raise ContractError(path, f"it is a version-1 model file and this app reads version "
                                  f"{CONTRACT_VERSION}; re-export it with `{REEXPORT}`")
    kind = meta.get("kind")
    if kind in ("generator", "classifier") and kind != expected_kind:
        raise ContractError(path, f"its metadata says kind {kind!r}: this is a {kind}, "
                                  f"not a {expected_kind}")
    missing = [k for k in _REQUIRED if k not in meta]
    if expected_kind == "generator" and "latent_dim" not in meta:
        missing.append("latent_dim")
    if missing:
        raise ContractError(path, f"its metadata lacks the required key(s) {', '.join(missing)}")
    if meta["contract_version"] != CONTRACT_VERSION:
        raise ContractError(path, f"it uses contract_version {meta['contract_version'][:20]!r}, "
                                  f"this app reads version {CONTRACT_VERSION}")
    if meta["kind"] != expected_kind:
        raise ContractError(path, f"its metadata says kind {meta['kind'][:20]!r}, "
                                  f"expected {expected_kind!r}")
    latent_dim = 0
    if expected_kind == "generator":
        latent_dim = _int(path, meta, "latent_dim", 1, MAX_LATENT_DIM)
    num_classes = _int(path, meta, "num_classes", 0,
                       MAX_CLASSES if expected_kind == "generator" else NUM_DIGITS)
    classes, priors = "digits", None
    if expected_kind == "generator":
        classes, priors = _classes(path, meta, num_classes)
    if classes == "digits":
        allowed = (0, NUM_DIGITS) if expected_kind == "generator" else (NUM_DIGITS,)
        if num_classes not in allowed:
            raise ContractError(path, f"metadata 'num_classes' must be one of {allowed} "
                                      f"when the classes are digits, not {num_classes}")
    for key in ("architecture", "dataset"):
        if not meta[key].strip():
            raise ContractError(path, f"metadata '{key}' is empty")
    try:
        datetime.fromisoformat(meta["created"])
    except ValueError:
        raise ContractError(path, "metadata 'created' is not an ISO 8601 timestamp") from None
    metrics = _json_object(path, "metrics", meta["metrics"]) if "metrics" in meta else None
    return ModelInfo(
        path=path, kind=expected_kind, num_classes=num_classes,
        architecture=meta["architecture"], epochs=_int(path, meta, "epochs", 0, 10**9),
        dataset=meta["dataset"], created=meta["created"], latent_dim=latent_dim,
        config=_json_object(path, "config", meta["config"]), metrics=metrics,
        classes=classes, class_priors=priors,
    )


def _classes(path: Path, meta: dict[str, str], num_classes: int
             ) -> tuple[str, tuple[float, ...] | None]:
    """A generator's `classes` word and, for clusters, its checked `class_priors`."""
    classes = meta.get("classes", "digits")
    if classes not in CLASS_KINDS:
        raise ContractError(path, f"metadata 'classes' is {classes[:20]!r}, not 'digits' or "
                                  f"'clusters'")
    if classes == "digits":
        return classes, None
    if not MIN_CLUSTERS <= num_classes <= MAX_CLASSES:
        raise ContractError(path, f"metadata 'num_classes' is {num_classes}, but a generator "
                                  f"whose classes are clusters has {MIN_CLUSTERS}..{MAX_CLASSES}")
    return classes, _priors(path, meta, num_classes)


def _priors(path: Path, meta: dict[str, str], k: int) -> tuple[float, ...]:
    """`class_priors`: a JSON list of k positive finite numbers summing to 1 (±0.001),
    returned renormalised to sum exactly to 1."""
    if "class_priors" not in meta:
        raise ContractError(path, "its metadata lacks 'class_priors', which a generator "
                                  "whose classes are clusters requires")
    try:
        value = json.loads(meta["class_priors"], parse_constant=_reject_constant)
    except ValueError as exc:
        if "is not allowed" in str(exc):  # NaN or Infinity
            raise ContractError(path, "metadata 'class_priors' must hold positive finite "
                                      "numbers, not NaN or Infinity") from None
        value = None
    except RecursionError:
        value = None
    if not isinstance(value, list):
        raise ContractError(path, "metadata 'class_priors' must be a JSON list of numbers")
    if len(value) != k:
        raise ContractError(path, f"metadata 'class_priors' has {len(value)} values, but "
                                  f"'num_classes' is {k}")
    numbers = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ContractError(path, "metadata 'class_priors' must hold only numbers")
        try:
            numbers.append(float(v))
        except OverflowError:  # a 400-digit JSON integer
            numbers.append(float("inf"))
    priors = np.array(numbers, np.float64)
    if not np.isfinite(priors).all() or (priors <= 0).any():
        raise ContractError(path, "metadata 'class_priors' must hold positive finite numbers "
                                  "(every cluster has a share of the training images)")
    total = float(priors.sum())
    if abs(total - 1.0) > PRIORS_TOLERANCE:
        raise ContractError(path, f"metadata 'class_priors' sums to {total:.6g}, not 1 "
                                  f"(±{PRIORS_TOLERANCE:g})")
    return tuple(float(p) for p in priors / total)
