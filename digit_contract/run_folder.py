"""The run folder's layout, written once: what `python -m training train --out RUN` names its files.

Training writes these names (training/train.py, callbacks.py, checkpoint.py); the app's
Training panel reads them (desktop_app/core/train/run_folder.py); docs/run-folder.md says what
each file holds. Both sides import the names from here, so neither can rename a file
the other still looks for.

It also names what a run's `config.json` may say it trained: the architectures, and the
recipes (`train --recipe NAME`) with their architecture and length. training/config.py
fills in the rest of each recipe and refuses to load if its names differ from these; the
app offers them without importing training.

Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digit_contract.lock import LOCK_NAME

LOCK = LOCK_NAME  # the writer's lock (digit_contract/lock.py), held for the whole run
CONFIG = "config.json"  # the resolved TrainConfig
CLUSTERS = "clusters.json"  # label-free runs only: the clusters' shares
METRICS = "metrics.jsonl"  # one JSON line per finished epoch, appended
SAMPLES = "samples"  # a folder: one sample grid per epoch (`grid_name`)
PROGRESS_GIF = "progress.gif"  # every grid, one frame per epoch, written when training ends
TENSORBOARD = "tensorboard"  # a folder of TensorBoard event files
CHECKPOINT = "checkpoint.npz"  # every variable, the epoch and the wall time, after each epoch
WALL_TIME = "wall_time.json"  # the training wall time so far
BEST_CHECKPOINT = "best.npz"  # the checkpoint of the epoch with the lowest FID estimate so far
BEST_RECORD = "best.json"  # which epoch that is, and its estimate
CURVES = "curves.png"  # drawn by `python -m training plot RUN`, not by training

FOLDERS = (SAMPLES, TENSORBOARD)
# Every name a run writes that must be a regular file (a link there would be written through).
FILES = (CONFIG, CLUSTERS, METRICS, WALL_TIME, PROGRESS_GIF, CHECKPOINT, BEST_CHECKPOINT, BEST_RECORD)
# What a run writes before its first checkpoint: a folder holding only these (and the lock)
# is a run that never finished an epoch, which may start over.
BEFORE_FIRST_CHECKPOINT = frozenset({CONFIG, CLUSTERS, TENSORBOARD})

GRID_GLOB = "epoch_*.png"  # every grid in SAMPLES; four digits sort them in epoch order


def grid_name(epoch: int) -> str:
    """The sample grid's file name for 1-based `epoch`: 'epoch_0007.png'."""
    return f"epoch_{epoch:04d}.png"


def grid_path(run_dir: str | Path, epoch: int) -> Path:
    """`RUN/samples/epoch_NNNN.png` (epoch 1-based)."""
    return Path(run_dir) / SAMPLES / grid_name(epoch)


# What a run's config.json may name. Kept here, not in training/models.py, so the app can
# offer them without TensorFlow.
ARCH_NAMES = ("mlp", "dcgan", "cdcgan")


@dataclass(frozen=True)
class Recipe:
    """What a named recipe trains and for how long; training/config.py holds its other settings."""

    arch: str
    epochs: int


RECIPES: dict[str, Recipe] = {
    "default": Recipe("cdcgan", 30),  # exported_models/generator.onnx: digits on demand
    "label-free": Recipe("cdcgan", 30),  # exported_models/unconditional.onnx: no labels
    "reference": Recipe("mlp", 200),  # the original MNIST GAN tutorial's MLP (not shipped)
}
DEFAULT_RECIPE = "default"  # what a bare `train` runs, and what the Training panel starts from
