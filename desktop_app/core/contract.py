"""Load-time checks of an ONNX file against docs/model-contract.md.

`read_model_file` vets the bytes and the metadata before any native code parses the graph;
`check_io` vets the inputs and outputs that ONNX Runtime reports (what a model answers when
run is probe.py's). Every failure is a `ContractError` whose text is one sentence naming
the file and the broken rule. Metadata is data only: JSON is parsed, nothing is evaluated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .onnx_wire import WireBudgetError, WireError, read_skeleton
from digit_contract.reading import read_capped
from .weights import class_noun

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


class ModelRunError(RuntimeError):
    """A loaded model failed on one call (ran past its deadline, answered NaN); `str()` is
    one sentence naming the file, e.g. "generator.encoder.onnx gave NaN for this picture."."""

    def __init__(self, path: str | Path, what: str):
        self.path = Path(path)
        super().__init__(f"{self.path.name} {what}.")


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
        """What one class is called: "cluster" or "digit" (`weights.class_noun`)."""
        return class_noun(self.clusters)


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


def read_model_file(path: str | Path, expected_kind: str) -> tuple[bytes, ModelInfo]:
    """Read `path` and check everything that can be checked without ONNX Runtime.

    Returns the raw bytes (for `InferenceSession`) and the parsed metadata.
    """
    return read_checked_file(path, lambda p, metadata: parse_metadata(p, metadata, expected_kind))


def read_checked_file(path: str | Path, parse: Callable[[Path, dict], Any]) -> tuple[bytes, Any]:
    """The reading rule every model file goes through: capped read, ONNX skeleton, metadata
    parsed by `parse(path, metadata)`, no external data. Returns (bytes, what `parse` gave)."""
    path = Path(path)
    data = read_capped(path, MAX_MODEL_BYTES, ContractError,
                       "it is larger than the {mib} MiB a model file may be")
    if not data:
        raise ContractError(path, "the file is empty")
    try:
        skel = read_skeleton(data, MAX_METADATA_BYTES)
    except WireBudgetError as exc:
        raise ContractError(path, f"{exc}, so it is not parsed") from None
    except WireError as exc:
        raise ContractError(path, f"it is not an ONNX file or it is truncated ({exc})") from None
    except OverflowError as exc:
        raise ContractError(path, f"its metadata is {exc.args[0]} bytes, "
                                  f"more than the 1 MiB the contract allows") from None
    if skel.ir_version is None or not skel.has_graph:
        raise ContractError(path, "it is not an ONNX model (no IR version or no graph); "
                                  "the file may be truncated")
    parsed = parse(path, skel.metadata)
    if skel.external_data:
        # ONNX Runtime would resolve the weights' relative path against a folder the user
        # never chose; the contract says a model is one self-contained file.
        raise ContractError(path, "its weights point at external data files, and a model "
                                  "must be one self-contained file; re-export it without "
                                  "external data")
    return data, parsed


def _is_dynamic(dim: Any) -> bool:
    return not isinstance(dim, int) or dim <= 0


def _check_tensor(path: Path, arg: Any, what: str, dtype: str, shape: tuple) -> None:
    """`shape` entries: None = the dynamic batch, an int = that size, '?' = any."""
    if arg.type != dtype:
        raise ContractError(path, f"{what} '{arg.name}' is {arg.type}, the contract needs {dtype}")
    dims = list(arg.shape) if arg.shape is not None else []
    if len(dims) != len(shape):
        raise ContractError(path, f"{what} '{arg.name}' has shape {dims}, the contract needs "
                                  f"rank {len(shape)}")
    for i, (dim, want) in enumerate(zip(dims, shape)):
        if want is None and not _is_dynamic(dim):
            raise ContractError(path, f"{what} '{arg.name}' has a fixed batch size {dim}; "
                                      f"the contract needs a dynamic batch")
        # A symbolic non-batch dim is tolerated here: the probe run checks the real size.
        if isinstance(want, int) and isinstance(dim, int) and dim > 0 and dim != want:
            raise ContractError(path, f"{what} '{arg.name}' has size {dim} in dimension {i}, "
                                      f"the contract needs {want}")


def check_generator_io(path: Path, info: ModelInfo, inputs: list, outputs: list) -> None:
    """Check a generator's graph inputs/outputs (ONNX Runtime `NodeArg`s) against `info`."""
    names = sorted(a.name for a in inputs)
    want = ["class_weights", "z"] if info.conditional else ["z"]
    if names != want:
        kind = "a conditional" if info.conditional else "an unconditional"
        raise ContractError(path, f"its inputs are {names}, {kind} generator must have "
                                  f"exactly {want}")
    for arg in inputs:
        if arg.name == "z":
            _check_tensor(path, arg, "input", "tensor(float)", (None, info.latent_dim))
            dim = arg.shape[1]
            if isinstance(dim, int) and dim != info.latent_dim:
                raise ContractError(path, f"input 'z' has {dim} dimensions but metadata "
                                          f"'latent_dim' says {info.latent_dim}")
            if not isinstance(dim, int):
                raise ContractError(path, "input 'z' must have a fixed latent dimension")
        else:
            _check_tensor(path, arg, "input", "tensor(float)", (None, info.num_classes))
            if not isinstance(arg.shape[1], int) or arg.shape[1] != info.num_classes:
                raise ContractError(path, f"input 'class_weights' must have a fixed width "
                                          f"of {info.num_classes} (metadata 'num_classes')")
    _check_outputs(path, outputs, {"image": (None, IMAGE_SIZE, IMAGE_SIZE)})


def check_classifier_io(path: Path, inputs: list, outputs: list) -> None:
    """Check a classifier's graph inputs/outputs (ONNX Runtime `NodeArg`s)."""
    if [a.name for a in inputs] != ["image"]:
        raise ContractError(path, f"its inputs are {[a.name for a in inputs]}, a classifier "
                                  f"must have exactly ['image']")
    _check_tensor(path, inputs[0], "input", "tensor(float)", (None, IMAGE_SIZE, IMAGE_SIZE))
    _check_outputs(path, outputs, {"probs": (None, NUM_DIGITS), "features": (None, "?")})


def check_encoder_io(path: Path, info: ModelInfo, inputs: list, outputs: list) -> None:
    """Check an encoder's graph inputs/outputs: image in; z (and class_weights) out."""
    if [a.name for a in inputs] != ["image"]:
        raise ContractError(path, f"its inputs are {[a.name for a in inputs]}, an "
                                  f"encoder must have exactly ['image']")
    _check_tensor(path, inputs[0], "input", "tensor(float)", (None, IMAGE_SIZE, IMAGE_SIZE))
    wanted = {"z": (None, info.latent_dim)}
    if info.num_classes > 0:
        wanted["class_weights"] = (None, info.num_classes)
    _check_outputs(path, outputs, wanted)


def check_io(info: ModelInfo, inputs: list, outputs: list) -> None:
    """The inputs/outputs check of `info.kind`: generator, encoder or classifier."""
    if info.kind == "generator":
        check_generator_io(info.path, info, inputs, outputs)
    elif info.kind == "encoder":
        check_encoder_io(info.path, info, inputs, outputs)
    else:
        check_classifier_io(info.path, inputs, outputs)


def _check_outputs(path: Path, outputs: list, wanted: dict[str, tuple]) -> None:
    by_name = {a.name: a for a in outputs}
    for name, shape in wanted.items():
        if name not in by_name:
            raise ContractError(path, f"it has no output '{name}' (outputs: {sorted(by_name)})")
        _check_tensor(path, by_name[name], "output", "tensor(float)", shape)
