"""What a user watches while a run trains: a per-epoch quality estimate and a TensorBoard log.

`QualityEstimate` adds `fid_estimate` and `is_estimate` to the epoch's logs (so the progress
bar, metrics.jsonl and TensorBoard all see the same numbers): FID and the Inception-score
analogue of `training/evaluate.py`, on 2,000 samples of the in-memory (EMA) generator
against 2,000 MNIST test images. They are estimates: fewer samples than `evaluate --n
10000` (FID is biased upwards at small N), and the generator is the Keras one, not an export.

`TensorBoardLog` writes `RUN/tensorboard/`: every numeric log as a scalar and the epoch's
4x4 sample grid as an image, at step = epoch number (1-based, as in metrics.jsonl and
samples/). Watch it with `tensorboard --logdir runs/`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import keras
import numpy as np

from digit_contract import run_folder
from digit_contract.atomic import temp_path

ESTIMATE_SAMPLES = 2000  # enough for a stable trend, cheap enough to run every epoch
SAMPLE_BATCH = 500  # generator calls of this size keep memory flat
TENSORBOARD_DIR = run_folder.TENSORBOARD


class QualityEstimate(keras.callbacks.Callback):
    """FID and IS-analogue estimates every `every` epochs (and after the last), into `logs`.

    A missing or unreadable classifier is one warning line and no estimates: a quality
    estimate is never a reason to lose a training run.
    """

    def __init__(self, classifier: Path, test_images: np.ndarray, latent_dim: int, conditional: bool,
                 num_classes: int, every: int = 1, seed: int = 0, n: int = ESTIMATE_SAMPLES,
                 class_priors=None):
        super().__init__()
        self.classifier_path = Path(classifier)
        self.real = test_images[:n].astype(np.float32) / 255  # (n_real, 28, 28) in [0, 1]
        self.every = every
        # Fixed noise: epoch-to-epoch changes are the generator's, not the draw's.
        rng = np.random.default_rng(seed + 54321)
        self.z = rng.standard_normal((n, latent_dim)).astype(np.float32)
        # Conditional runs: every class in equal shares, as `evaluate` draws them; a
        # self-conditioned run's clusters in proportion to their priors, as its export's
        # samples are drawn (stratified, so the mix is the same every epoch).
        self.labels = (np.arange(n) % num_classes).astype(np.int32) if conditional else None
        if conditional and class_priors is not None:
            cumulative = np.cumsum(np.asarray(class_priors, np.float64))
            self.labels = np.minimum(np.searchsorted(cumulative / cumulative[-1], (np.arange(n) + 0.5) / n),
                                     num_classes - 1).astype(np.int32)
        self._clf = None
        self._real_feats = None

    def on_train_begin(self, logs=None):
        if not self.every:
            return
        from training.evaluate import EvaluationError, _classifier, classify

        try:
            self._clf = _classifier(self.classifier_path)
            self._real_feats = classify(self._clf, self.real)[1]
        except EvaluationError as e:
            self._clf = None
            print(f"digit-train: warning: {e}; training goes on without quality estimates", file=sys.stderr)

    def _due(self, epoch: int) -> bool:
        last = epoch + 1 == self.params.get("epochs") if self.params else False
        return self._clf is not None and ((epoch + 1) % self.every == 0 or last)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or not self._due(epoch):
            return
        from training.evaluate import classify, frechet_distance, inception_score

        t0 = time.perf_counter()
        images = np.concatenate([
            # float32: under mixed precision the generator answers in bfloat16.
            np.asarray(self.model.sample(self.z[i:i + SAMPLE_BATCH],
                                         None if self.labels is None else self.labels[i:i + SAMPLE_BATCH]),
                       dtype=np.float32)[..., 0]
            for i in range(0, len(self.z), SAMPLE_BATCH)])
        probs, feats = classify(self._clf, (images + 1) / 2)
        if not np.isfinite(feats).all():  # a diverged generator: say so in the log, do not crash
            logs.update(fid_estimate=float("nan"), is_estimate=float("nan"))
        else:
            logs.update(fid_estimate=round(frechet_distance(feats, self._real_feats), 3),
                        is_estimate=round(inception_score(probs), 4))
        logs["estimate_seconds"] = round(time.perf_counter() - t0, 3)
        self._say_what_it_measures(epoch, logs)

    def _say_what_it_measures(self, epoch: int, logs: dict) -> None:
        """Early in a run the estimate reads far worse than the sample grid looks: it measures
        the averaged (EMA) generator, which still carries its random starting weights (they
        grey the background, and the classifier reads grey as "8"). Say so while it matters."""
        decay = float(getattr(self.model, "ema_decay", 0.0) or 0.0)
        steps = (self.params or {}).get("steps") or 0
        share = decay ** (steps * (epoch + 1)) if decay and steps else 0.0
        quiet = not (self.params or {}).get("verbose", 1)
        if share > 0.01 and np.isfinite(logs.get("fid_estimate", np.nan)) and not quiet:
            print(f"\nnote: fid_estimate {logs['fid_estimate']:.1f} measures the averaged generator, which still "
                  f"holds {share:.0%} of its random starting weights; it reads high until that share is gone "
                  "(samples/ shows the same generator)", flush=True)


class TensorBoardLog(keras.callbacks.Callback):
    """Scalars (every numeric log) and the sample grid per epoch, in `RUN/tensorboard/`.

    List it after the callbacks that add to `logs` and write the grid PNG. A resumed run
    first cuts the events of epochs after its checkpoint, so no epoch appears twice.
    """

    def __init__(self, run_dir: Path, first_epoch: int):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.dir = self.run_dir / TENSORBOARD_DIR
        keep_first_epochs(self.dir, first_epoch)
        self._writer = None

    def on_train_begin(self, logs=None):
        import tensorflow as tf

        try:
            import tensorboard  # noqa: F401 - tf.summary's ops live there since TensorFlow 2.21
        except ImportError:
            print("digit-train: warning: no TensorBoard log (the tensorboard package is missing; "
                  "pip install tensorboard)", file=sys.stderr)
            return
        self._writer = tf.summary.create_file_writer(str(self.dir))

    def on_epoch_end(self, epoch, logs=None):
        if self._writer is None:
            return
        import tensorflow as tf

        from training.callbacks import grid_path

        step = epoch + 1
        with self._writer.as_default(step=step):
            for key, value in (logs or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    tf.summary.scalar(key, value)
            grid = grid_path(self.run_dir, step)
            if grid.is_file():
                from PIL import Image

                with Image.open(grid) as im:
                    tf.summary.image("samples", np.asarray(im.convert("L"))[None, :, :, None])
        # Flushed per epoch: a run killed later still shows every finished epoch.
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()


def keep_first_epochs(log_dir: Path, n_epochs: int) -> None:
    """Cut events after epoch `n_epochs` from the event files in `log_dir` (a resume's rewind).

    An epoch can reach TensorBoard and not the checkpoint (killed in between); its events
    go, as metrics.jsonl's line does. A torn last record (killed mid-write) goes too.
    """
    if not Path(log_dir).is_dir():
        return
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    for path in sorted(Path(log_dir).glob("events.out.tfevents.*")):
        if path.is_symlink() or not path.is_file():
            continue  # not an event file this program wrote
        events, torn = [], False
        try:
            for record in tf.data.TFRecordDataset(str(path)):
                events.append(event_pb2.Event.FromString(record.numpy()))
        except (tf.errors.DataLossError, tf.errors.OutOfRangeError):
            torn = True
        kept = [e for e in events if e.step <= n_epochs or not e.HasField("summary")]
        if len(kept) == len(events) and not torn:
            continue
        tmp = temp_path(path)
        try:
            with tf.io.TFRecordWriter(str(tmp)) as w:
                for e in kept:
                    w.write(e.SerializeToString())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
