"""Train a GAN from a `TrainConfig`: device choice, data, `fit()`, checkpoints, resume."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_contract import run_folder
from digit_contract.atomic import is_temp_file_name, remove_stale_temp_files
from digit_contract.lock import FolderLock, LockedError, held_by, in_use
from digit_contract.run_folder import BEFORE_FIRST_CHECKPOINT, CONFIG, LOCK, TENSORBOARD
from digit_contract.status import Finished, Started, Status
from training import checkpoint
from training.config import ConfigError, TrainConfig, lr_factor
from training.data import load_mnist
from training.distribute import is_chief, preflight


@dataclass(frozen=True)
class StatusOut:
    """Where a run reports its status lines (digit_contract/status.py; `train --status json`)
    and the argv after `python` that resumes it, as the epochs' lines carry it."""

    send: Callable[[Status], None]
    resume: tuple[str, ...]


def resolve_precision(precision: str, device: str, backend: str = "tensorflow") -> str:
    """"float32" or "bf16" for --precision (`backends.resolve_precision`)."""
    from training.backends import resolve_precision as resolve

    return resolve(precision, device, backend)


def precision_policy(precision: str):
    """A context in which Keras builds layers under `precision` ("float32" or "bf16").

    Scoped, never global: an export or evaluation in the same process builds in float32.
    """
    import keras

    return keras.dtype_policies.DTypePolicy("mixed_bfloat16" if precision == "bf16" else "float32")


def build_gan(cfg: TrainConfig, precision: str = "float32"):
    """The compiled GAN for `cfg`."""
    import keras

    from training.gan import GAN
    from training.models import ARCHITECTURES, NUM_CLASSES

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision_policy(precision))
    try:
        gan = GAN(cfg.arch, cfg.latent_dim, ema=cfg.ema, seed=cfg.seed,
                  width=cfg.width or 0, minibatch_stddev=cfg.minibatch_stddev, d_width=cfg.d_width,
                  num_classes=cfg.clusters or NUM_CLASSES)
    finally:
        keras.config.set_dtype_policy(previous)
    # One Adam for G and D: the same maths as one each (training/gan.py says why).
    gan.compile(
        optimizer=keras.optimizers.Adam(cfg.lr, beta_1=cfg.beta_1),
        from_logits=not ARCHITECTURES[cfg.arch].sigmoid_output,
        loss=cfg.loss,
        steps_per_execution=cfg.steps_per_execution,
    )
    return gan


def checkpoint_variables(gan, arrays: dict) -> dict:
    """The GAN's variables keyed the way this checkpoint keys them (by name; by position if old)."""
    return gan.legacy_state_variables() if checkpoint.is_positional(arrays) else gan.state_variables()


def tiling_steps_per_execution(steps_per_epoch: int, at_most: int) -> int:
    """The largest steps_per_execution <= at_most that divides an epoch.

    Keras runs whole executions; if they do not tile an epoch it pulls batches from the
    next one, so epochs drift off their permutations and the last one runs out of data.
    """
    return max(d for d in range(1, at_most + 1) if steps_per_epoch % d == 0)


def progress_verbosity(verbose: int) -> int:
    """Keras' progress bar redraws itself with backspaces and colour codes, which make a log
    file or a pipe unreadable: there it prints one plain line per epoch instead."""
    import sys

    return 2 if verbose == 1 and not sys.stdout.isatty() else verbose


def check_resumable(run_dir: Path, saved: TrainConfig, cfg: TrainConfig) -> None:
    """`cfg` may resume the run in `run_dir`, whose config.json is `saved`."""
    # What may change between sessions: how long, where, on what (the Keras backend too: a
    # checkpoint is plain arrays keyed by name), how steps are batched
    # into tf.function calls (the maths per step is the same), and how often it is measured.
    # The decay window may change too, as long as the epochs already trained keep their rates
    # (`check_schedule_kept`, once the checkpoint's epoch is known).
    ignore = {"epochs", "resume", "out", "data", "device", "strategy", "backend", "steps_per_execution",
              "estimate_every", "lr_decay_epochs", "peer_timeout"}
    a = {k: v for k, v in json.loads(saved.to_json()).items() if k not in ignore}
    b = {k: v for k, v in json.loads(cfg.to_json()).items() if k not in ignore}
    diff = sorted(k for k in a if a[k] != b[k])
    if diff:
        raise ConfigError(f"--resume with a different config than {run_dir}/config.json: {', '.join(diff)}")


def check_schedule_kept(saved: TrainConfig, cfg: TrainConfig, trained_epochs: int) -> None:
    """A resume may add or move a learning-rate decay only over epochs not yet trained."""
    for e in range(1, trained_epochs + 1):
        if lr_factor(e, saved.epochs, saved.lr_decay_epochs) != lr_factor(e, cfg.epochs, cfg.lr_decay_epochs):
            raise ConfigError(f"--epochs {cfg.epochs} --lr-decay-epochs {cfg.lr_decay_epochs} would change the "
                              f"learning rate of epoch {e}, which this run has already trained "
                              f"(it recorded --epochs {saved.epochs} --lr-decay-epochs {saved.lr_decay_epochs})")


def train(cfg: TrainConfig, verbose: int = 1, status: StatusOut | None = None) -> Path:
    """Train (or resume) into cfg.out; returns the run folder.

    status : where the chief reports the run's start, each checkpointed epoch and its end
    """
    from training import backends

    # First: Keras reads KERAS_BACKEND when it is first imported.
    cfg = dataclasses.replace(cfg.resolved(), backend=backends.choose(cfg.backend))
    backends.check(cfg)
    run_dir = Path(cfg.out)
    mnist = load_mnist(cfg.data)  # fail on bad data before any slow set-up
    images, labels = mnist.train_images, mnist.train_labels
    if labels is None:
        if cfg.arch == "cdcgan" and not cfg.clusters:
            raise ConfigError(f"{mnist.name} has no labels: train it label-free (--recipe label-free, or "
                              "--clusters K), or give the images in class folders 0 to 9")
        labels = np.zeros(len(images), np.uint8)  # unconditional and self-conditioned runs never read them
    if cfg.train_samples:
        images, labels = images[: cfg.train_samples], labels[: cfg.train_samples]
    if cfg.max_steps and len(images) > cfg.max_steps * cfg.batch_size:  # a smoke run: whole short epochs
        images, labels = images[: cfg.max_steps * cfg.batch_size], labels[: cfg.max_steps * cfg.batch_size]
    if len(images) < cfg.batch_size:
        raise ConfigError(f"--batch-size {cfg.batch_size} is larger than the {len(images)} training images "
                          f"of {mnist.name}")
    if mnist.note and verbose:
        print(mnist.note)

    steps = len(images) // cfg.batch_size
    cfg = dataclasses.replace(cfg, steps_per_execution=tiling_steps_per_execution(steps, cfg.steps_per_execution))

    # In a multi-worker run only the chief writes; the others read the same run folder.
    chief = is_chief(cfg.strategy)
    if chief:
        check_run_dir(run_dir, cfg)  # a bad --out is refused before minutes of waiting for peers
    preflight(cfg)  # device, TF_CONFIG and the other workers, before the run folder is made
    lock = None
    if chief:
        resuming, lock = prepare_run_dir(run_dir, cfg)
    else:
        resuming = bool(cfg.resume and (run_dir / checkpoint.CHECKPOINT_NAME).exists())
    try:
        return _train_in(run_dir, cfg, resuming, chief, mnist, images, labels, steps, verbose,
                         status if chief else None)
    finally:
        if lock is not None:  # held for the whole run: one writer per run folder
            lock.release()


def _train_in(run_dir: Path, cfg: TrainConfig, resuming: bool, chief: bool, mnist, images, labels,
              steps: int, verbose: int, status: StatusOut | None) -> Path:
    """`train` once the run folder is checked (and, on the chief, locked)."""
    saved = TrainConfig.load(run_dir / CONFIG) if resuming else None
    if saved is not None:
        if cfg.precision == "auto":  # a resumed run keeps the precision it was trained in
            cfg = dataclasses.replace(cfg, precision=saved.precision)
        check_resumable(run_dir, saved, cfg)

    clustering = None
    if cfg.clusters:
        # Self-conditioning: the GAN never sees a digit label, only the cluster of each image.
        from training.clusters import kmeans

        labels, clustering = kmeans(images, cfg.clusters, cfg.seed, space=cfg.cluster_space)
        if chief:
            clustering.save(run_dir)

    import keras  # after the checks above: a wrong folder or option fails fast, without TensorFlow

    from training.backends import placement, startup_line, tensorboard_available

    where = placement(cfg)  # a tf.distribute strategy, or a keras.distribution on JAX
    precision = resolve_precision(cfg.precision, cfg.device, cfg.backend)
    cfg = dataclasses.replace(cfg, precision=precision)  # config.json records what ran
    if cfg.backend == "tensorflow" and (where.replicas > 1 or cfg.strategy in ("mirrored", "multiworker")):
        # Keras 3's multi-step loop feeds an unset placeholder under a distribution strategy.
        cfg = dataclasses.replace(cfg, steps_per_execution=1)
    keras.utils.set_random_seed(cfg.seed)
    with where.scope():
        gan = build_gan(cfg, precision)
    if verbose:
        print(startup_line(gan, where, precision))
        width = f" width {cfg.width}" if cfg.arch != "mlp" else ""
        classes = f", {cfg.clusters} clusters" if cfg.clusters else ""
        print(f"{cfg.arch}{width}{classes}: batch {cfg.batch_size} over {where.replicas} replica"
              f"{'s' if where.replicas != 1 else ''}, {steps} steps per epoch, {cfg.epochs} epochs, "
              f"into {run_dir}", flush=True)
    first_epoch, wall_seconds = 0, 0.0
    if resuming:
        arrays, first_epoch, wall_seconds = checkpoint.read_with_wall_time(run_dir)
        check_schedule_kept(saved, cfg, first_epoch)
        checkpoint.restore(checkpoint_variables(gan, arrays), arrays, run_dir / checkpoint.CHECKPOINT_NAME)
        if verbose:
            print(f"resuming {run_dir} after epoch {first_epoch}")
    if chief:
        checkpoint.atomic_write_bytes(run_dir / CONFIG, lambda f: f.write(cfg.to_json().encode()))
    if status is not None:
        status.send(Started(run_dir=str(run_dir), epochs=cfg.epochs, first_epoch=first_epoch, resuming=resuming))
    if first_epoch >= cfg.epochs:
        if verbose:
            print(f"{run_dir} has already trained {first_epoch} epochs; nothing to do")
        if status is not None:
            status.send(Finished(run_dir=str(run_dir), epochs=first_epoch))
        return run_dir

    from exported_models import CLASSIFIER
    from training.callbacks import (CheckpointEveryEpoch, EpochSeconds, KeepBest, LearningRateDecay, MetricsLog, RunEta,
                                    SampleGrid, StatusLine)
    from training.batches import training_batches
    from training.monitoring import QualityEstimate, TensorBoardLog

    ds = training_batches(images, labels, cfg.batch_size, cfg.seed, first_epoch, cfg.epochs)
    # One `logs` dict per epoch, in this order: the clock, what adds to it, what writes it.
    decay = LearningRateDecay(cfg.lr, cfg.epochs, cfg.lr_decay_epochs)  # every worker sets its own rates
    callbacks = [
        EpochSeconds(),
        decay,
        *([RunEta(cfg.epochs, first_epoch)] if verbose else []),
        QualityEstimate(CLASSIFIER, mnist.test_images, cfg.latent_dim, gan.conditional, gan.num_classes,
                        every=cfg.estimate_every, seed=cfg.seed,
                        class_priors=clustering.priors if clustering is not None else None),
        MetricsLog(run_dir, first_epoch),
        SampleGrid(run_dir, cfg.latent_dim, gan.conditional, cfg.seed, gan.num_classes),
        # After SampleGrid: it logs the grid PNG. Written with tf.summary, so only where
        # TensorFlow is importable (a JAX machine may have none).
        *([TensorBoardLog(run_dir, first_epoch)] if tensorboard_available(cfg.backend) else []),
        # Last: a checkpoint only once the epoch's outputs exist. It carries the wall time,
        # so a run killed at any moment and resumed still reports its true training time.
        CheckpointEveryEpoch(run_dir, wall_seconds, run_folder.WALL_TIME),
        KeepBest(run_dir),
        # After everything the epoch writes: the line says the epoch is safe to resume from.
        *([StatusLine(status.send, cfg.epochs, status.resume)] if status is not None else []),
    ] if chief else [decay]
    with where.training():
        gan.fit(ds, epochs=cfg.epochs, initial_epoch=first_epoch, steps_per_epoch=steps,
                callbacks=callbacks, verbose=progress_verbosity(verbose), shuffle=False)
    if status is not None:
        status.send(Finished(run_dir=str(run_dir), epochs=cfg.epochs))
    return run_dir


def _entries(run_dir: Path) -> list[str]:
    """What `run_dir` holds, less the program's own lock and temporary files."""
    return sorted(e.name for e in os.scandir(run_dir)
                  if e.name != LOCK and not (is_temp_file_name(e.name) and e.is_file(follow_symlinks=False)))


def _only_empty_event_logs(folder: Path) -> bool:
    """True if `folder` (a run's TensorBoard folder) holds only event files and no folders or links."""
    return all(e.name.startswith("events.out.tfevents.") and e.is_file(follow_symlinks=False)
               for e in os.scandir(folder))


def _refuse_foreign_entries(run_dir: Path) -> None:
    """Every file a run writes must be a regular file (or, for samples/ and tensorboard/, a
    real folder): a link or a device there would be written through."""
    for name in run_folder.FILES + run_folder.FOLDERS:
        path = run_dir / name
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        wanted = stat.S_ISDIR if name in run_folder.FOLDERS else stat.S_ISREG
        if not wanted(mode):
            raise ConfigError(f"--out {run_dir}: its {name} is a link or not a "
                              f"{'folder' if wanted is stat.S_ISDIR else 'regular file'}; "
                              "nothing was changed")


def check_run_dir(run_dir: Path, cfg: TrainConfig, *, locked: bool = False) -> bool:
    """Check `--out` without writing anything; True when the run there is to be resumed.

    Unless this process holds the folder's lock (`locked`), a folder another training holds
    is refused as in use first: what it holds mid-run says nothing about the folder.

    A new run goes into a missing or empty folder, or over one of the program's own runs
    that never finished an epoch (its config.json is ours; nothing but what a run writes
    before its first checkpoint). A folder that holds a run's results (metrics, samples,
    progress.gif) but no checkpoint is not empty, and any other non-empty folder is the
    user's: both are refused, untouched.
    """
    if run_dir.is_symlink() and not run_dir.is_dir():
        raise ConfigError(f"--out {run_dir} is a link to nothing; nothing was changed")
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"--out {run_dir} is a file, not a folder")
    holder = None if locked or not run_dir.is_dir() else held_by(run_dir)
    if holder is not None:
        raise ConfigError(in_use(run_dir, "run folder", holder))
    if not run_dir.exists():
        if cfg.resume:
            raise ConfigError(f"--resume: {run_dir} does not exist, so there is no run to resume "
                              "(check the name, or leave out --resume to start a new run)")
        return False
    try:
        entries = _entries(run_dir)
    except OSError as e:
        raise ConfigError(f"--out {run_dir}: cannot read the folder ({e.strerror or e})") from None
    ckpt = run_dir / checkpoint.CHECKPOINT_NAME
    if checkpoint.CHECKPOINT_NAME in entries:
        _refuse_foreign_entries(run_dir)
        if not cfg.resume:
            raise ConfigError(f"{run_dir} already holds a run; pass --resume to continue it or choose another --out")
        if not ckpt.is_file() or ckpt.is_symlink():
            raise ConfigError(f"--out {run_dir}: its {checkpoint.CHECKPOINT_NAME} is not a regular file; "
                              "nothing was changed")
        _check_metrics_log(run_dir / run_folder.METRICS)
        return True
    if entries == [run_folder.CLUSTERS] and LOCK in os.listdir(run_dir):
        entries = []  # a run killed between its clusters and its config: ours, and empty of results
    if not entries:
        if cfg.resume:
            raise ConfigError(f"--resume: {run_dir} is empty, so there is no run to resume "
                              "(leave out --resume to start a new run there)")
        return False
    if CONFIG not in entries:
        raise ConfigError(f"--out {run_dir} is a non-empty folder that is not a training run; "
                          "nothing was changed (choose a new or empty folder)")
    _refuse_foreign_entries(run_dir)
    try:
        TrainConfig.load(run_dir / CONFIG)
    except ConfigError as e:
        raise ConfigError(f"--out {run_dir} is a non-empty folder that is not a training run "
                          f"(its config.json: {e}); nothing was changed") from None
    # A folder holding nothing but what a run writes before its first checkpoint (besides
    # the program's own lock and temporary files) is a run that never finished an epoch: it
    # may start over. Any other file means it holds results, and nothing in it is touched.
    results = [n for n in entries if n not in BEFORE_FIRST_CHECKPOINT]
    if TENSORBOARD in entries and not _only_empty_event_logs(run_dir / TENSORBOARD):
        results.append(TENSORBOARD)
    if results:
        raise ConfigError(f"--out {run_dir} holds a run's results ({', '.join(results[:4])}) but no "
                          f"{checkpoint.CHECKPOINT_NAME}, so it cannot be resumed and is not overwritten; "
                          "nothing was changed (choose another --out)")
    return False


def prepare_run_dir(run_dir: Path, cfg: TrainConfig) -> tuple[bool, FolderLock]:
    """`check_run_dir`, then make the folder and lock it for this process; (resuming, lock).

    The checks run again once the lock is held: another training may have written there in
    between. Temporary files that a killed writer left (the program's own marker only) go.
    """
    check_run_dir(run_dir, cfg)
    try:  # `created` only if this process made it: two trainings may race to make one folder
        run_dir.mkdir(parents=True)
        created = True
    except FileExistsError:
        created = False
    except OSError as e:
        raise ConfigError(f"--out {run_dir}: cannot create the run folder ({e.strerror or e})") from None
    lock = FolderLock(run_dir, "run folder")
    try:
        lock.acquire()
    except LockedError as e:
        # Another training won the folder, even one this process made: nothing here is ours
        # to remove (its lock file least of all: unlinking it would let a third writer in).
        raise ConfigError(str(e)) from None
    try:
        resuming = check_run_dir(run_dir, cfg, locked=True)
        remove_stale_temp_files(run_dir)
        samples = run_dir / run_folder.SAMPLES
        if samples.is_dir() and not samples.is_symlink():
            remove_stale_temp_files(samples)
    except ConfigError:
        try:
            if created and os.listdir(run_dir) == [LOCK]:  # ours, and holding nothing but our lock
                (run_dir / LOCK).unlink()  # still held: a rival that opened it is refused
                run_dir.rmdir()
        except OSError:
            pass  # the refusal is what the user needs to read; a folder left behind is empty
        lock.release()
        raise
    return resuming, lock


def _check_metrics_log(path: Path) -> None:
    """A resumed run rewrites metrics.jsonl; refuse one it cannot read before touching anything
    (read by the one bounded reader: regular files only, size and nesting capped)."""
    from training.metrics_log import MetricsLogError, read_metrics_log

    try:
        read_metrics_log(path)
    except FileNotFoundError:
        return
    except MetricsLogError as e:
        raise ConfigError(f"{e}; not a metrics log of ours, and nothing was changed") from None
