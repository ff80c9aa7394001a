"""Side effects of training, as Keras callbacks: checkpoints, sample grids, a metrics log.

The quality estimate and the TensorBoard log live in `training/monitoring.py`. Callbacks
share one `logs` dict per epoch, in list order: `EpochSeconds` first (so the time is the
training's, not the callbacks'), then what adds to `logs`, then what writes them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import keras
import numpy as np

from digit_contract import run_folder
from digit_contract.run_folder import grid_path
from digit_contract.status import EpochDone
from training import checkpoint
from training.config import lr_factor

GRID = 4  # a 4x4 grid of samples per epoch


def grid_image(images: np.ndarray, cols: int, pad: int = 2, scale: int = 2):
    """(n, 28, 28) floats in [0, 1] -> one PIL image, `cols` columns, white gutters."""
    from PIL import Image

    n = len(images)
    rows = -(-n // cols)
    cell = 28 + pad
    canvas = np.full((rows * cell + pad, cols * cell + pad), 255, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        # Ink dark on white: how people expect handwriting to look in a report.
        canvas[pad + r * cell: pad + r * cell + 28, pad + c * cell: pad + c * cell + 28] = \
            255 - np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    im = Image.fromarray(canvas, mode="L")
    return im.resize((im.width * scale, im.height * scale), Image.NEAREST)


class EpochSeconds(keras.callbacks.Callback):
    """Puts the epoch's training seconds into `logs["seconds"]`; list it first."""

    def __init__(self):
        super().__init__()
        self._t0 = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = round(time.perf_counter() - self._t0, 3)


class RunEta(keras.callbacks.Callback):
    """Before each epoch after the first, one line: how many epochs are done and about how
    long the rest of the run will take (the mean wall time of this session's epochs, the
    estimates and sample grids included), beside the progress bar's per-epoch estimate."""

    def __init__(self, epochs: int, first_epoch: int, print_fn=print):
        super().__init__()
        self.epochs, self.first_epoch, self.print_fn = epochs, first_epoch, print_fn
        self._t0 = time.monotonic()

    def on_train_begin(self, logs=None):
        self._t0 = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        done = epoch - self.first_epoch
        if done < 1:
            return
        left = (time.monotonic() - self._t0) / done * (self.epochs - epoch)
        self.print_fn(f"run: {epoch} of {self.epochs} epochs done; about {_duration(left)} left for the run",
                      flush=True)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


class LearningRateDecay(keras.callbacks.Callback):
    """Sets the optimizer's learning rate at each epoch's start (`config.lr_factor`).

    The rate is a function of the epoch alone, so a resumed run picks up the same schedule.
    The epoch's rate goes into `logs["lr"]` for the metrics log, progress bar and TensorBoard.
    """

    def __init__(self, base_lr: float, epochs: int, decay_epochs: int):
        super().__init__()
        self.base_lr, self.epochs, self.decay_epochs = base_lr, epochs, decay_epochs
        self._lr = base_lr

    def on_epoch_begin(self, epoch, logs=None):
        self._lr = self.base_lr * lr_factor(epoch + 1, self.epochs, self.decay_epochs)
        self.model.optimizer.learning_rate = self._lr  # the one Adam of G and D

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:  # every run logs its rate, constant or decayed
            logs["lr"] = self._lr


class CheckpointEveryEpoch(keras.callbacks.Callback):
    """The checkpoint (with the wall time so far inside it), then `wall_time.json` from it."""

    def __init__(self, run_dir: Path, wall_seconds: float, wall_time_file: str):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.wall_before = wall_seconds
        self.wall_time_file = wall_time_file
        self._t0 = time.perf_counter()

    def on_train_begin(self, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = self.wall_before + time.perf_counter() - self._t0
        checkpoint.save(self.run_dir, self.model.state_variables(), epoch + 1, seconds)
        record = json.dumps({"seconds": round(seconds, 1), "epochs": epoch + 1}).encode()
        checkpoint.atomic_write_bytes(self.run_dir / self.wall_time_file, lambda f: f.write(record))


class KeepBest(keras.callbacks.Callback):
    """After the checkpoint: keep a copy of it when its FID estimate is the run's lowest.

    GAN quality does not rise monotonically (a late epoch can be worse than an earlier
    one), so `export --best` ships the epoch the run measured best, not merely the last.
    List it after `CheckpointEveryEpoch`.
    """

    def __init__(self, run_dir: Path):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.best = checkpoint.best_estimate(self.run_dir)  # a resumed run continues its record

    def on_epoch_end(self, epoch, logs=None):
        fid = (logs or {}).get("fid_estimate")
        if fid is not None and np.isfinite(fid) and fid < self.best:
            self.best = float(fid)
            checkpoint.keep_as_best(self.run_dir, epoch + 1, self.best)


class SampleGrid(keras.callbacks.Callback):
    """A PNG grid from the same fixed noise after every epoch; a GIF of them at the end."""

    def __init__(self, run_dir: Path, latent_dim: int, conditional: bool, seed: int, num_classes: int = 10):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.dir = self.run_dir / run_folder.SAMPLES
        rng = np.random.default_rng(seed + 12345)
        self.z = rng.standard_normal((GRID * GRID, latent_dim)).astype(np.float32)
        self.labels = (np.arange(GRID * GRID) % num_classes).astype(np.int32) if conditional else None

    def on_epoch_end(self, epoch, logs=None):
        self.dir.mkdir(parents=True, exist_ok=True)
        # float32: under mixed precision the generator answers in bfloat16.
        imgs = (np.asarray(self.model.sample(self.z, self.labels), dtype=np.float32)[..., 0] + 1) / 2
        im = grid_image(imgs, GRID)
        checkpoint.atomic_write_bytes(grid_path(self.run_dir, epoch + 1), lambda f: im.save(f, "PNG"))

    def on_train_end(self, logs=None):
        write_progress_gif(self.dir)


def write_progress_gif(samples_dir: Path) -> Path | None:
    from PIL import Image

    frames = sorted(Path(samples_dir).glob(run_folder.GRID_GLOB))
    if not frames:
        return None
    images = []
    for f in frames:
        with Image.open(f) as im:
            images.append(im.convert("L"))
    # Hold the last frame so the final result can be seen.
    durations = [120] * (len(images) - 1) + [1500]
    out = Path(samples_dir).parent / run_folder.PROGRESS_GIF
    checkpoint.atomic_write_bytes(out, lambda f: images[0].save(
        f, "GIF", save_all=True, append_images=images[1:], duration=durations, loop=0))
    return out


class MetricsLog(keras.callbacks.Callback):
    """One JSON line per epoch: every log (losses, D's beliefs, seconds, estimates). Resumes cut stale lines."""

    def __init__(self, run_dir: Path, first_epoch: int):
        super().__init__()
        self.path = Path(run_dir) / run_folder.METRICS
        self._keep_first(first_epoch)

    def _keep_first(self, n_epochs: int) -> None:
        if not self.path.exists():
            return
        lines = [ln for ln in self.path.read_text().splitlines() if ln.strip()]
        kept = [ln for ln in lines if json.loads(ln).get("epoch", 0) <= n_epochs]
        if len(kept) < len(lines):
            text = "".join(ln + "\n" for ln in kept).encode()
            checkpoint.atomic_write_bytes(self.path, lambda f: f.write(text))

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1}
        row.update({k: float(v) for k, v in (logs or {}).items()})
        # O_NOFOLLOW: a link planted in the run folder is never written through.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "a") as f:
            f.write(json.dumps(row) + "\n")


class StatusLine(keras.callbacks.Callback):
    """After the checkpoint: `send(EpochDone(...))`, the status line (digit_contract/status.py)
    saying the epoch is checkpointed and how to resume it. List it after `KeepBest`."""

    def __init__(self, send, epochs: int, resume: tuple[str, ...]):
        super().__init__()
        self.send, self.epochs, self.resume = send, epochs, tuple(resume)

    def on_epoch_end(self, epoch, logs=None):
        self.send(EpochDone(epoch=epoch + 1, of=self.epochs, resume=self.resume))
