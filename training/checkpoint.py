"""Atomic, pickle-free checkpoints: one .npz of named arrays, written to a temp file and renamed.

A process killed at any moment leaves either the previous checkpoint or the new one,
never half of one. The epoch travels inside the same file, so weights and epoch can
never disagree.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np

from digit_contract import run_folder
from digit_contract.atomic import write_atomic

# The run folder's names (digit_contract/run_folder.py), under the names export and resume use.
CHECKPOINT_NAME = run_folder.CHECKPOINT
BEST_NAME = run_folder.BEST_CHECKPOINT  # the checkpoint of the epoch with the lowest FID estimate so far
BEST_RECORD = run_folder.BEST_RECORD  # which epoch that was, and its estimate
WALL_KEY = "wall_seconds"  # training wall time up to this checkpoint, across resumes


class CheckpointError(Exception):
    """A checkpoint is unreadable or does not fit the model; the message says which."""


def atomic_write_bytes(path: Path, write) -> None:
    """`digit_contract.atomic.write_atomic` for the run folder, which this process has locked
    and therefore owns: its files are replaced, anything that is not a regular file is not.
    The folder is made if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, write)


def save(run_dir: Path, variables: dict, epoch: int, wall_seconds: float = 0.0) -> Path:
    """Write every variable, the epoch and the training wall time so far, in one atomic file.

    The file is the same whatever backend trained: plain arrays keyed by name, integers
    (step counters, seed states) as int64 although JAX keeps seeds as uint32.
    """
    arrays = {name.replace("/", "."): _plain(v) for name, v in variables.items()}
    arrays["epoch"] = np.asarray(epoch, dtype=np.int64)
    arrays[WALL_KEY] = np.asarray(wall_seconds, dtype=np.float64)
    path = Path(run_dir) / CHECKPOINT_NAME
    try:
        atomic_write_bytes(path, lambda f: np.savez(f, **arrays))
    except OSError as e:
        raise CheckpointError(f"{path}: cannot write the checkpoint ({e.strerror or e}); "
                              "the previous one is intact") from None
    return path


def _plain(variable) -> np.ndarray:
    value = np.asarray(variable.numpy())
    return value.astype(np.int64) if value.dtype.kind in "iu" else value


def keep_as_best(run_dir: Path, epoch: int, fid_estimate: float) -> None:
    """Copy the checkpoint just written to `BEST_NAME`, then record which epoch it is.

    The copy lands before the record, each atomically: a run killed in between leaves a
    record of the previous best beside a newer best checkpoint, never a broken file, and
    the export names the epoch from the checkpoint itself.
    """
    run_dir = Path(run_dir)
    data = (run_dir / CHECKPOINT_NAME).read_bytes()
    atomic_write_bytes(run_dir / BEST_NAME, lambda f: f.write(data))
    record = json.dumps({"epoch": epoch, "fid_estimate": fid_estimate}).encode()
    atomic_write_bytes(run_dir / BEST_RECORD, lambda f: f.write(record))


def best_estimate(run_dir: Path) -> float:
    """The FID estimate of the best checkpoint so far (infinity when there is none)."""
    try:
        value = float(json.loads((Path(run_dir) / BEST_RECORD).read_bytes())["fid_estimate"])
    except (OSError, ValueError, KeyError, TypeError):
        return float("inf")
    return value if np.isfinite(value) and (Path(run_dir) / BEST_NAME).is_file() else float("inf")


def read(run_dir: Path, name: str = CHECKPOINT_NAME) -> tuple[dict[str, np.ndarray], int]:
    """The arrays (keyed like `GAN.state_variables`) and the epoch of the last checkpoint
    (or of the best one, with `name=BEST_NAME`)."""
    arrays, epoch, _ = read_with_wall_time(run_dir, name)
    return arrays, epoch


def read_with_wall_time(run_dir: Path, name: str = CHECKPOINT_NAME) -> tuple[dict[str, np.ndarray], int, float]:
    """`read`, plus the training wall time recorded with the checkpoint (0 for older ones)."""
    path = Path(run_dir) / name
    if not path.is_file():
        if name == BEST_NAME:
            raise CheckpointError(f"{path}: no best checkpoint (it is kept only when the run "
                                  "estimates FID, --estimate-every 1 or more)")
        raise CheckpointError(f"{path}: no checkpoint to resume from")
    try:
        # Our own handle: np.load leaks its file when the zip is damaged.
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            arrays = {k.replace(".", "/"): f[k] for k in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"{path}: unreadable checkpoint ({e}); was it cut short?") from None
    epoch = arrays.pop("epoch", None)
    if epoch is None or epoch.shape != () or epoch.dtype.kind not in "iu" or int(epoch) < 0:
        raise CheckpointError(f"{path}: not a checkpoint of ours (no epoch number)")
    wall = arrays.pop(WALL_KEY, np.asarray(0.0))
    return arrays, int(epoch), float(wall) if wall.shape == () and np.isfinite(wall) else 0.0


def is_positional(arrays: dict) -> bool:
    """True for checkpoints from before keys named variables ("g/000", "d_opt/012")."""
    return bool(arrays) and all(re.fullmatch(r"[a-z_]+/\d{3}", k) for k in arrays)


def restore(variables: dict, arrays: dict[str, np.ndarray], path_for_errors: Path,
            groups: tuple[str, ...] | None = None) -> None:
    """Assign `arrays` to `variables` (both keyed "group/index"); only `groups` if given."""
    if groups is not None:
        def keep(d):
            return {k: v for k, v in d.items() if k.split("/")[0] in groups}
        variables, arrays = keep(variables), keep(arrays)
    missing = sorted(set(variables) - set(arrays))
    extra = sorted(set(arrays) - set(variables))
    if missing or extra:
        raise CheckpointError(
            f"{path_for_errors}: checkpoint does not fit this model "
            f"(missing {missing[:3]}, unexpected {extra[:3]}); was it made with another config?")
    first_key: dict[int, str] = {}
    for name, var in variables.items():
        if tuple(var.shape) != arrays[name].shape:
            raise CheckpointError(f"{path_for_errors}: {name} has shape {arrays[name].shape}, model wants {tuple(var.shape)}")
        # One variable may answer to two keys (the one Adam's step counter is both
        # g_opt/iteration and d_opt/iteration): the checkpoint must hold one value for it.
        other = first_key.setdefault(id(var), name)
        if other != name and not np.array_equal(arrays[other], arrays[name]):
            raise CheckpointError(f"{path_for_errors}: {other} and {name} differ, but this model keeps "
                                  "one value for both")
        var.assign(arrays[name])
