"""The evaluation classifier: a small CNN, trained on MNIST, exported under the contract.

It does two jobs: the app shows its verdict on every frame, and the evaluator uses its
penultimate layer as the feature space for FID (an MNIST stand-in for Inception).
`python -m training classifier --data DIR --out exported_models/classifier.onnx`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from training.data import load_mnist

FEATURES = 128


def build_digit_net(filters: tuple[int, ...], pooling: str, name: str):
    """(b, 28, 28) in [0, 1] -> (probs (b, 10), features (b, FEATURES)), the classifier
    contract's two outputs: one block per entry of `filters` (3x3 conv, BatchNorm, ReLU,
    2x2 max-pool), then `pooling` ("flatten" or "global" average), the `features` layer,
    dropout and the ten-way softmax. The evaluation classifier and the reader differ only
    in `filters` and `pooling`."""
    import keras
    from keras import layers

    img = keras.Input((28, 28), name="image")
    x = layers.Reshape((28, 28, 1))(img)
    for width in filters:
        x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = {"flatten": layers.Flatten, "global": layers.GlobalAveragePooling2D}[pooling]()(x)
    features = layers.Dense(FEATURES, activation="relu", name="features")(x)
    x = layers.Dropout(0.3)(features)
    probs = layers.Dense(10, activation="softmax", name="probs")(x)
    return keras.Model(img, [probs, features], name=name)


def build_classifier():
    """(b, 28, 28) in [0, 1] -> (probs (b, 10), features (b, 128)): two conv blocks, flattened."""
    return build_digit_net((32, 64), "flatten", "classifier")


def train_classifier(data, epochs: int, seed: int):
    """Returns (model, test accuracy, config dict, wall seconds)."""
    import keras

    mnist = load_mnist(data)
    keras.utils.set_random_seed(seed)
    model = build_classifier()
    # Only `probs` is trained; `features` rides along for FID.
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=["sparse_categorical_crossentropy", None], metrics=[["accuracy"], []])
    x = mnist.train_images.astype(np.float32) / 255.0
    xt = mnist.test_images.astype(np.float32) / 255.0
    t0 = time.perf_counter()
    # Slight random shifts: cheap, and they make the classifier fair on GAN digits that sit
    # a pixel off-centre.
    aug = keras.Sequential([keras.layers.Reshape((28, 28, 1)), keras.layers.RandomTranslation(0.06, 0.06, seed=seed),
                            keras.layers.Reshape((28, 28))])
    import tensorflow as tf

    ds = (tf.data.Dataset.from_tensor_slices((x, mnist.train_labels.astype(np.int32)))
          .shuffle(60_000, seed=seed).batch(128)
          .map(lambda a, b: (aug(a, training=True), b), num_parallel_calls=tf.data.AUTOTUNE)
          .prefetch(tf.data.AUTOTUNE))
    schedule = keras.callbacks.LearningRateScheduler(lambda e, lr: 1e-3 * (0.6 ** e))
    model.fit(ds, epochs=epochs, callbacks=[schedule], verbose=2, shuffle=False)
    seconds = time.perf_counter() - t0
    probs = model.predict(xt, batch_size=1000, verbose=0)[0]
    acc = float(np.mean(np.argmax(probs, 1) == mnist.test_labels))
    cfg = {"arch": "cnn", "epochs": epochs, "seed": seed, "batch_size": 128, "lr": 1e-3,
           "lr_decay_per_epoch": 0.6, "augment": "random translation 6%"}
    return model, acc, cfg, seconds


def export_classifier(model, out: Path, epochs: int, cfg: dict, metrics: dict) -> Path:
    import tensorflow as tf

    from training.export import base_metadata, convert, finish

    sig = [tf.TensorSpec([None, 28, 28], tf.float32, name="image")]

    @tf.function(input_signature=sig)
    def fn(image):
        probs, features = model(image, training=False)
        return probs, features

    onnx_model = convert(fn, sig, ["probs", "features"])
    meta = base_metadata("classifier", cfg.get("arch", "cnn"), epochs, 10, json.dumps(cfg, sort_keys=True), metrics)
    rng = np.random.default_rng(7)

    def feeds(n):
        return {"image": rng.uniform(0, 1, (n, 28, 28)).astype(np.float32)}

    def reference(f):
        return [t.numpy() for t in fn(f["image"])]

    return finish(onnx_model, meta, Path(out), reference, feeds)


def main(args) -> int:
    model, acc, cfg, seconds = train_classifier(args.data, args.epochs, args.seed)
    metrics = {"test_accuracy": round(acc, 5), "train_seconds": round(seconds, 1)}
    path = export_classifier(model, Path(args.out), args.epochs, cfg, metrics)
    print(json.dumps({"model": str(path), **metrics}))
    return 0
