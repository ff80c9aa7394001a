"""Training batches for any backend: a `keras.utils.PyDataset` over the arrays in memory.

The TensorFlow backend trains on `training.data.make_dataset` (tf.data). Every other
backend trains on `EpochBatches`, which needs NumPy alone: the machine JAX trains on may
have no TensorFlow at all. Both follow the same rule: every epoch has its own
permutation, drawn statelessly from (seed, epoch), batches are full (the remainder is
dropped), and the batches of epochs first_epoch .. last_epoch-1 follow back to back. So
a run resumed at epoch k sees exactly the batches an uninterrupted run would have. The
two permutations differ (TensorFlow's stateless shuffle is not NumPy's), so a run that
changes backend continues on other, equally random, batches.
"""

from __future__ import annotations

import keras
import numpy as np


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the `n` training images in 0-based `epoch`: a function of (seed, epoch) alone."""
    return np.random.default_rng([seed, epoch]).permutation(n)


class EpochBatches(keras.utils.PyDataset):
    """(images in [-1, 1] (b, 28, 28, 1) float32, labels) batches, by index; see the module docstring.

    A label is an int32 digit or cluster, or a float32 row of cluster weights.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int,
                 first_epoch: int, last_epoch: int):
        super().__init__()
        self.images = images
        self.labels = labels.astype(np.float32 if labels.dtype.kind == "f" else np.int32)
        self.batch_size, self.seed, self.first_epoch = batch_size, seed, first_epoch
        self.steps = len(images) // batch_size
        self.epochs = max(0, last_epoch - first_epoch)
        self._order = (None, None)  # (epoch, permutation): one epoch's order kept at a time

    def __len__(self) -> int:
        return self.steps * self.epochs

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(index)
        epoch = self.first_epoch + index // self.steps
        if self._order[0] != epoch:
            self._order = (epoch, epoch_order(len(self.images), self.seed, epoch))
        step = index % self.steps
        idx = self._order[1][step * self.batch_size:(step + 1) * self.batch_size]
        images = self.images[idx].astype(np.float32) / 127.5 - 1.0
        return images[..., None], self.labels[idx]


def training_batches(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int,
                     first_epoch: int, last_epoch: int):
    """What `fit()` trains on under the current Keras backend (see the module docstring)."""
    if keras.backend.backend() == "tensorflow":
        from training.data import make_dataset

        return make_dataset(images, labels, batch_size, seed, first_epoch, last_epoch)
    return EpochBatches(images, labels, batch_size, seed, first_epoch, last_epoch)
