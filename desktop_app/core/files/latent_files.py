"""Saving and loading latents and keyframes as JSON (format: docs/latent-file-format.md).

Loading is strict: anything that is not exactly the documented format is refused with a
`LatentFileError` whose text is one sentence naming the file and the problem. NaN and
infinity are rejected (JSON has no such numbers, but Python's `json` would accept them),
and so are integers too large for a float. Reading is generous about one thing: a
version-1 file's integer `label` k is read as one-hot weights for digit k. `class_weights`
may have any width 1..100 (ten digits, or a self-conditioned model's clusters): whether
they fit the model loaded is the caller's check (`Studio.misfit_weights`).
Saving is atomic (see digit_contract.atomic).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digit_contract.atomic import write_bytes_atomic
from ..models.contract import MAX_CLASSES, MAX_LATENT_DIM, NUM_DIGITS
from ..morph.interpolation import METHODS
from ..morph.keyframes import Keyframe
from digit_contract.reading import read_capped
from ..explore.latent import MAX_SEED
from ..explore.weights import SUM_TOLERANCE, check as check_weights, one_hot

FORMAT = "digit-studio/latents"
VERSION = 2  # 2: frames hold `class_weights`; version 1 held an integer `label`
READABLE_VERSIONS = (1, 2)
MAX_FILE_BYTES = 16 << 20
CLASS_KINDS = ("digits", "clusters")  # a frame's optional `classes`
MAX_KEYFRAMES = 256
# N(0, I) latents never come near this; larger values are a broken or hostile file.
MAX_ABS_VALUE = 1000.0


class LatentFileError(ValueError):
    """A latent file cannot be read; `str()` names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        super().__init__(f"Cannot load {self.path.name}: {problem}.")


@dataclass
class LatentFile:
    """The contents of one latent file. `current` is the latent on screen."""

    current: Keyframe
    keyframes: list[Keyframe] = field(default_factory=list)
    seed: int | None = None
    truncation: float = 1.0
    method: str = "slerp"
    t: float = 0.0
    model: str = ""

    @property
    def latent_dim(self) -> int:
        return int(self.current.z.shape[0])


def _num(v: float) -> float:
    # float32's shortest repr reads back to the same float32: exact and compact.
    return float(str(v))


def _frame_json(frame: Keyframe) -> dict[str, Any]:
    weights = frame.class_weights
    out: dict[str, Any] = {
        "z": [_num(v) for v in np.asarray(frame.z, np.float32)],
        "class_weights": None if weights is None else [_num(v) for v in
                                                       np.asarray(weights, np.float32)]}
    if weights is not None and frame.classes is not None:
        out["classes"] = frame.classes
    if frame.name:
        out["name"] = frame.name
    return out


def dumps(data: LatentFile) -> str:
    """The JSON text for `data` (what `save` writes)."""
    doc = {
        "format": FORMAT, "version": VERSION, "latent_dim": data.latent_dim,
        "model": data.model,
        "current": {**_frame_json(data.current), "seed": data.seed,
                    "truncation": data.truncation},
        "keyframes": [_frame_json(k) for k in data.keyframes],
        "interpolation": {"method": data.method, "t": data.t},
    }
    return json.dumps(doc, indent=1) + "\n"


def save(path: str | Path, data: LatentFile) -> Path:
    """Write `data` to `path` atomically; raises `OutputError` if the folder is not writable."""
    return write_bytes_atomic(path, dumps(data).encode("utf-8"))


def _short(value: Any) -> str:
    """A value for an error sentence: a 400-digit integer is shown by its start."""
    text = str(value)
    return text if len(text) <= 20 else text[:17] + "…"


def _reject_constant(name: str):
    raise ValueError(f"it contains {name}, which is not a number a latent can hold")


class _Reader:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, problem: str):
        raise LatentFileError(self.path, problem)

    def field(self, obj: dict, key: str, types: tuple, where: str, optional: bool = False):
        if key not in obj:
            if optional:
                return None
            self.fail(f"{where} has no '{key}'")
        value = obj[key]
        if value is None and optional:
            return None
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            self.fail(f"{where} '{key}' has the wrong type ({type(value).__name__})")
        return value

    def as_float(self, value: int | float, where: str, key: str) -> float:
        # JSON integers are unbounded: 10**400 reads as an int that no float can hold.
        try:
            return float(value)
        except OverflowError:
            self.fail(f"{where} '{key}' holds a number too large to be a float")

    def number(self, obj: dict, key: str, where: str, lo: float, hi: float, default: float):
        value = self.field(obj, key, (int, float), where, optional=True)
        if value is None:
            return default
        value = self.as_float(value, where, key)
        if not math.isfinite(value) or not lo <= value <= hi:
            self.fail(f"{where} '{key}' is {value}, outside {lo}..{hi}")
        return value

    def numbers(self, values: list, where: str, key: str) -> np.ndarray:
        """A list of finite JSON numbers (no booleans) as float64."""
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            self.fail(f"{where} '{key}' must hold only numbers")
        arr = np.array([self.as_float(v, where, key) for v in values], np.float64)
        if not np.isfinite(arr).all():
            self.fail(f"{where} '{key}' holds an infinite value")
        return arr

    def weights(self, obj: dict, where: str) -> np.ndarray | None:
        values = self.field(obj, "class_weights", (list,), where, optional=True)
        if values is None:
            label = self.field(obj, "label", (int,), where, optional=True)
            if label is not None and not 0 <= label < NUM_DIGITS:
                self.fail(f"{where} 'label' is {_short(label)}, not a digit 0..{NUM_DIGITS - 1}")
            return None if label is None else one_hot(label, NUM_DIGITS)
        # Any width a model may have (10 digits, or 2..100 clusters); whether it fits the
        # model loaded is checked where the weights are applied (Studio.apply_file).
        if not 1 <= len(values) <= MAX_CLASSES:
            self.fail(f"{where} 'class_weights' has {len(values)} values, not 1..{MAX_CLASSES}")
        arr = self.numbers(values, where, "class_weights")
        if (arr < 0).any():
            self.fail(f"{where} 'class_weights' holds a negative weight")
        if abs(arr.sum() - 1.0) > SUM_TOLERANCE:
            self.fail(f"{where} 'class_weights' ({len(arr)} values) sums to {arr.sum():.4g}, "
                      f"not 1")
        return check_weights(arr, len(arr))[0]  # renormalised: exactly on the simplex

    def frame(self, obj: Any, where: str, dim: int) -> Keyframe:
        if not isinstance(obj, dict):
            self.fail(f"{where} must be an object")
        z = self.field(obj, "z", (list,), where)
        if len(z) != dim:
            self.fail(f"{where} has {len(z)} values, but the file's latent_dim is {dim}")
        arr = self.numbers(z, where, "z")
        if np.abs(arr).max(initial=0.0) > MAX_ABS_VALUE:
            self.fail(f"{where} 'z' holds values beyond ±{MAX_ABS_VALUE:g}")
        weights = self.weights(obj, where)
        classes = self.field(obj, "classes", (str,), where, optional=True)
        if classes is not None and classes not in CLASS_KINDS:
            self.fail(f"{where} 'classes' is {classes[:20]!r}, not one of "
                      f"{', '.join(CLASS_KINDS)}")
        name = self.field(obj, "name", (str,), where, optional=True) or ""
        return Keyframe(arr.astype(np.float32), weights, name[:100],
                        classes if weights is not None else None)


def loads(text: str, path: str | Path = "<text>", expected_dim: int | None = None
          ) -> LatentFile:
    """Parse and check the JSON text of a latent file (see `load`)."""
    r = _Reader(Path(path))
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        r.fail("it is nested too deeply to be a latent file")
    except ValueError as exc:
        r.fail(str(exc) if "latent can hold" in str(exc) else f"it is not valid JSON ({exc})")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        r.fail(f"it is not a Digit Studio latent file (no \"format\": \"{FORMAT}\")")
    version = r.field(doc, "version", (int,), "the file")
    if version not in READABLE_VERSIONS:
        r.fail(f"it has format version {_short(version)}; this Digit Studio reads versions "
               f"{READABLE_VERSIONS[0]} to {READABLE_VERSIONS[-1]}")
    dim = r.field(doc, "latent_dim", (int,), "the file")
    if not 1 <= dim <= MAX_LATENT_DIM:
        r.fail(f"its latent_dim {_short(dim)} is outside 1..{MAX_LATENT_DIM}")
    if expected_dim is not None and dim != expected_dim:
        r.fail(f"it holds {dim}-dimensional latents but the loaded model needs {expected_dim}")
    cur = r.field(doc, "current", (dict,), "the file")
    keys = r.field(doc, "keyframes", (list,), "the file", optional=True) or []
    if len(keys) > MAX_KEYFRAMES:
        r.fail(f"it has {len(keys)} keyframes, more than {MAX_KEYFRAMES}")
    interp = r.field(doc, "interpolation", (dict,), "the file", optional=True) or {}
    method = r.field(interp, "method", (str,), "'interpolation'", optional=True) or "slerp"
    if method not in METHODS:
        r.fail(f"interpolation method {method[:20]!r} is not one of {', '.join(METHODS)}")
    seed = r.field(cur, "seed", (int,), "'current'", optional=True)
    if seed is not None and not 0 <= seed <= MAX_SEED:
        r.fail(f"'current' 'seed' is {_short(seed)}, outside 0..{MAX_SEED}")
    return LatentFile(
        current=r.frame(cur, "'current'", dim),
        keyframes=[r.frame(k, f"keyframe {i + 1}", dim) for i, k in enumerate(keys)],
        seed=seed, truncation=r.number(cur, "truncation", "'current'", 0.0, 10.0, 1.0),
        method=method, t=r.number(interp, "t", "'interpolation'", 0.0, 1.0, 0.0),
        model=str(r.field(doc, "model", (str,), "the file", optional=True) or "")[:500],
    )


def load(path: str | Path, expected_dim: int | None = None) -> LatentFile:
    """Read a latent file; `expected_dim` is the loaded model's latent_dim, if any.

    Raises `LatentFileError` for a missing, huge, malformed or mismatched file.
    """
    path = Path(path)
    raw = read_capped(path, MAX_FILE_BYTES, LatentFileError,
                      "it is larger than the {mib} MiB a latent file may be")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LatentFileError(path, "it is not UTF-8 text") from None
    return loads(text, path, expected_dim)
