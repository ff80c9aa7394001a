"""Generator, discriminator and classifier builders, one function per architecture.

Each builder returns plain functional `keras.Model`s. Generators map `z` (and, when
conditional, `class_weights`, a (batch, 10) row on the simplex) to a (28, 28, 1) image in
[-1, 1] (tanh); discriminators map an image (and the int label) to one logit or
probability per sample. The MLP ignores `width` (the recipe fixes its sizes). `ARCHITECTURES` is the
registry the CLI and the config check read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
from keras import layers

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


@dataclass(frozen=True)
class Architecture:
    """How to build one GAN family and how its discriminator reports."""

    build_generator: Callable[[int, int], keras.Model]  # (latent_dim, width)
    build_discriminator: Callable[[int, bool], keras.Model]  # (width, minibatch_stddev)
    conditional: bool
    # True when the discriminator ends in a sigmoid (reference recipe); False for logits.
    sigmoid_output: bool
    description: str


# --- reference recipe: the MLP GAN of the original MNIST GAN tutorial -------------------


def _dense_bn_lrelu(x, units: int, name: str):
    """The recipe's hidden block: bias-free Dense (BatchNorm supplies the shift) → BN → LReLU."""
    x = layers.Dense(units, use_bias=False, name=f"{name}_dense")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU()(x)


def mlp_generator(latent_dim: int, width: int = 0) -> keras.Model:
    """Dense 256 → BN → LReLU → Dense 512 → BN → LReLU → Dense 784 (tanh), no biases."""
    z = keras.Input((latent_dim,), name="z")
    x = _dense_bn_lrelu(_dense_bn_lrelu(z, 256, "hidden1"), 512, "hidden2")
    x = layers.Dense(784, use_bias=False, activation="tanh", dtype="float32", name="out")(x)
    img = layers.Reshape(IMAGE_SHAPE)(x)
    return keras.Model(z, img, name="mlp_generator")


def mlp_discriminator(width: int = 0, minibatch_stddev: bool = False) -> keras.Model:
    """Flatten → Dense 512 → BN → LReLU → Dense 256 → BN → LReLU → Dense 1 (sigmoid)."""
    img = keras.Input(IMAGE_SHAPE, name="image")
    x = _dense_bn_lrelu(_dense_bn_lrelu(layers.Flatten()(img), 512, "hidden1"), 256, "hidden2")
    out = layers.Dense(1, activation="sigmoid", dtype="float32", name="out")(x)
    return keras.Model(img, out, name="mlp_discriminator")


# --- DCGANs: the best image quality per CPU-minute we measured -------------------------
# 4x4 kernels keep a training step cheap on 2 cores while the convolutions give the
# spatial prior that an MLP has to learn from scratch. `width` is the channel count of the
# 14x14 layers (the 7x7 ones have twice as many); it is a config field (`--width`).


def _dcgan_trunk(x, width: int):
    x = layers.Dense(7 * 7 * width * 2, use_bias=False, name="project")(x)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((7, 7, width * 2))(x)
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False, name="up14")(x)
    x = layers.BatchNormalization(name="up14_bn")(x)
    x = layers.ReLU()(x)
    # The output layer stays float32 under mixed precision: tanh's last bits matter at 0 and 1.
    return layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", dtype="float32",
                                  name="up28")(x)


def dcgan_generator(latent_dim: int, width: int) -> keras.Model:
    """z → Dense 7·7·2w → ConvT w (14×14) → ConvT 1 (28×28, tanh)."""
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, _dcgan_trunk(z, width), name="dcgan_generator")


class MinibatchStddev(layers.Layer):
    """Appends the batch's mean feature standard deviation as one more channel (ProGAN).

    A discriminator that sees how varied a batch is can punish a generator that draws
    the same few digits, the commonest failure of a GAN trained without labels.
    """

    def call(self, x):
        std = keras.ops.sqrt(keras.ops.var(keras.ops.cast(x, "float32"), axis=0) + 1e-8)
        s = keras.ops.cast(keras.ops.mean(std), x.dtype)
        shape = keras.ops.shape(x)
        return keras.ops.concatenate([x, keras.ops.ones((shape[0], shape[1], shape[2], 1), x.dtype) * s], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)


def _dcgan_features(img, width: int, minibatch_stddev: bool = False):
    x = layers.Conv2D(width, 4, strides=2, padding="same", name="down14")(img)
    x = layers.LeakyReLU(0.2)(x)
    if minibatch_stddev:
        x = MinibatchStddev()(x)
    x = layers.Conv2D(width * 2, 4, strides=2, padding="same", name="down7")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    return layers.Flatten()(x)


def dcgan_discriminator(width: int, minibatch_stddev: bool = False) -> keras.Model:
    """Conv w (14×14) → [minibatch stddev] → Conv 2w (7×7) → Dense 1 (float32 logit)."""
    img = keras.Input(IMAGE_SHAPE, name="image")
    h = _dcgan_features(img, width, minibatch_stddev)
    return keras.Model(img, layers.Dense(1, dtype="float32", name="logit")(h), name="dcgan_discriminator")


# --- conditional DCGAN: class weights into G, projection discriminator -----------------

CLASS_EMBEDDING = "class_embedding"


def cdcgan_generator(latent_dim: int, width: int, num_classes: int = NUM_CLASSES) -> keras.Model:
    """[z, class_weights @ E] → the DCGAN generator.

    `class_weights` is a (batch, 10) row on the simplex: one-hot during training (the
    digit), any mix at inference (a blend of digits the generator itself draws). The
    embedding is a bias-free Dense layer, so it is exactly `class_weights @ E`.
    """
    z = keras.Input((latent_dim,), name="z")
    weights = keras.Input((num_classes,), name="class_weights")
    emb = layers.Dense(32, use_bias=False, name=CLASS_EMBEDDING)(weights)
    x = layers.Concatenate()([z, emb])
    return keras.Model([z, weights], _dcgan_trunk(x, width), name="cdcgan_generator")


class _Projection(layers.Layer):
    """Projection discriminator head (Miyato & Koyama 2018): logit += <w @ E, h>.

    `w` is a (batch, k) row on the simplex: one-hot for a digit or a cluster, or the soft
    cluster weights a self-conditioned generator was given.
    """

    def __init__(self, features: int, num_classes: int = NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.features = features
        self.num_classes = num_classes
        self.embed = layers.Embedding(num_classes, features, name="embedding")

    def call(self, h, weights):
        if not self.embed.built:
            self.embed.build((None,))
        emb = keras.ops.matmul(keras.ops.cast(weights, "float32"), keras.ops.cast(self.embed.embeddings, "float32"))
        return keras.ops.sum(keras.ops.cast(emb, h.dtype) * h, axis=-1, keepdims=True)

    def get_config(self):
        return {**super().get_config(), "features": self.features, "num_classes": self.num_classes}


def cdcgan_discriminator(width: int, minibatch_stddev: bool = False, num_classes: int = NUM_CLASSES) -> keras.Model:
    """DCGAN discriminator with a projection of the class weights onto its features."""
    img = keras.Input(IMAGE_SHAPE, name="image")
    weights = keras.Input((num_classes,), name="class_weights")
    h = _dcgan_features(img, width, minibatch_stddev)
    logit = layers.Add(dtype="float32")([layers.Dense(1, name="logit")(h),
                                         _Projection(width * 2 * 7 * 7, num_classes, name="projection")(h, weights)])
    return keras.Model([img, weights], logit, name="cdcgan_discriminator")


ARCHITECTURES: dict[str, Architecture] = {
    "mlp": Architecture(
        mlp_generator, mlp_discriminator, conditional=False, sigmoid_output=True,
        description="reference recipe: MLP GAN, BCE, Adam 1e-4",
    ),
    "dcgan": Architecture(
        dcgan_generator, dcgan_discriminator, conditional=False, sigmoid_output=False,
        description="DCGAN trained without labels",
    ),
    "cdcgan": Architecture(
        cdcgan_generator, cdcgan_discriminator, conditional=True, sigmoid_output=False,
        description="DCGAN conditioned on class weights (projection discriminator)",
    ),
}
