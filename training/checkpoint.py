"""Atomic, pickle-free checkpoints: one .npz of named arrays, written to a temp file and renamed.

A process killed at any moment leaves either the previous checkpoint or the new one,
never half of one. The epoch travels inside the same file, so weights and epoch can
never disagree.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

CHECKPOINT_NAME = "checkpoint.npz"


class CheckpointError(Exception):
    """A checkpoint is unreadable or does not fit the model; the message says which."""


def atomic_write_bytes(path: Path, write) -> None:
    """Call write(fileobj) on a temp file beside `path`, fsync it, then rename over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make exported models private to one user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(run_dir: Path, variables: dict, epoch: int) -> Path:
    arrays = {name.replace("/", "."): np.asarray(v.numpy()) for name, v in variables.items()}
    arrays["epoch"] = np.asarray(epoch, dtype=np.int64)
    path = Path(run_dir) / CHECKPOINT_NAME
    atomic_write_bytes(path, lambda f: np.savez(f, **arrays))
    return path


def remove_stale_temp_files(run_dir: Path) -> None:
    """Temp files left by a process killed mid-write are garbage: the rename never happened."""
    for tmp in Path(run_dir).glob(f".{CHECKPOINT_NAME}.*.tmp"):
        tmp.unlink(missing_ok=True)


def read(run_dir: Path) -> tuple[dict[str, np.ndarray], int]:
    """The arrays (keyed like `GAN.state_variables`) and the epoch of the last checkpoint."""
    path = Path(run_dir) / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint to resume from")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k.replace(".", "/"): f[k] for k in f.files}
    except (OSError, ValueError, EOFError) as e:
        raise CheckpointError(f"{path}: unreadable checkpoint ({e})") from None
    epoch = int(arrays.pop("epoch"))
    return arrays, epoch


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
    for name, var in variables.items():
        if tuple(var.shape) != arrays[name].shape:
            raise CheckpointError(f"{path_for_errors}: {name} has shape {arrays[name].shape}, model wants {tuple(var.shape)}")
        var.assign(arrays[name])
