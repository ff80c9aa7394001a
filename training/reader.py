"""The reader: a classifier for digits that are not MNIST's, used by Find a digit.

The evaluation classifier (`classifier.py`) is trained on MNIST as it is, and it must stay
so: the shipped figures are measured with it. People's own digits are another matter:
thin hairlines of a font, a marker's fat strokes, a digit turned or sheared a little, a
blurred or noisy photo. The reader is trained on MNIST under augmentations that make
those: every MNIST digit is turned, sheared, scaled and moved, its stroke thickened or
thinned by a grey-level dilation or erosion, sometimes blurred, its ink made fainter or
harsher and noise added. With `--fonts`, digits drawn from those typefaces join them
(`font_digits.render`: pens, thinned and thickened strokes, drawing pads and photos of
paper, through the app's own preprocessing), which teaches it serifs, a font's thin and
thick strokes, and the open 4.

It has the classifier's contract (kind "classifier": image -> probs, features), so the app
loads it with the same code. The app reads the input of Find a digit with it (which
digits to search), while the evaluation classifier still judges the redrawn digits.
`python -m training reader --data DIR --out exported_models/reader.onnx`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from training.classifier import build_digit_net, export_classifier
from training.data import DataError, load_mnist

BATCH = 128
# What the augmentation draws from, per training digit (uniform unless said otherwise).
TURN = 0.05  # of a full turn: ±18°
SHEAR = 0.25  # horizontal shear factor, ±
ZOOM = 0.15  # ±15 % size
SHIFT = 0.06  # ±6 % of the side
STROKE_CHANGE = 0.7  # share of digits whose stroke is thickened or thinned (half each)
BLUR = 0.3  # share blurred by one box-filter step
NOISE = 0.3  # share with Gaussian noise of standard deviation up to 0.08


def build_reader():
    """(b, 28, 28) in [0, 1] -> (probs (b, 10), features (b, 128)): three conv blocks,
    then global average pooling."""
    return build_digit_net((32, 64, 128), "global", "reader")


def augmenter(seed: int):
    """A function (b, 28, 28) float32 batch -> the same batch augmented (TensorFlow ops)."""
    import keras
    import tensorflow as tf

    geometry = keras.Sequential([
        keras.layers.RandomRotation(TURN, fill_mode="constant", seed=seed),
        keras.layers.RandomShear(x_factor=SHEAR, y_factor=0.0, fill_mode="constant", seed=seed + 1),
        keras.layers.RandomZoom(ZOOM, ZOOM, fill_mode="constant", seed=seed + 2),
        keras.layers.RandomTranslation(SHIFT, SHIFT, fill_mode="constant", seed=seed + 3),
    ])

    def per_digit(b, low, high, gen):
        return gen.uniform([b, 1, 1, 1], low, high)

    gen = tf.random.Generator.from_seed(seed)

    def augment(images):
        x = tf.expand_dims(images, -1)
        x = geometry(x, training=True)
        b = tf.shape(x)[0]
        fat = tf.nn.max_pool2d(x, 3, 1, "SAME")
        lean = -tf.nn.max_pool2d(-x, 3, 1, "SAME")
        which = per_digit(b, 0.0, 1.0, gen)
        amount = per_digit(b, 0.3, 1.0, gen)
        thicker = tf.cast(which < STROKE_CHANGE / 2, x.dtype)
        thinner = tf.cast((which >= STROKE_CHANGE / 2) & (which < STROKE_CHANGE), x.dtype)
        x = x + thicker * amount * (fat - x) + thinner * amount * (lean - x)
        blurred = tf.nn.avg_pool2d(x, 3, 1, "SAME")
        x = tf.where(per_digit(b, 0.0, 1.0, gen) < BLUR, blurred, x)
        # Fainter or harsher ink: a gamma in [0.5, 2], then the brightest ink back at 1.
        x = tf.pow(tf.clip_by_value(x, 0.0, 1.0), per_digit(b, 0.5, 2.0, gen))
        x = x / tf.maximum(tf.reduce_max(x, axis=[1, 2, 3], keepdims=True), 1e-3)
        noisy = per_digit(b, 0.0, 1.0, gen) < NOISE
        noise = gen.normal(tf.shape(x)) * per_digit(b, 0.0, 0.08, gen)
        x = tf.where(noisy, x + noise, x)
        return tf.clip_by_value(x[..., 0], 0.0, 1.0)

    return augment


class FontError(Exception):
    """A --fonts path holds no typeface that draws the ten digits; the message says which."""


def font_files(paths) -> list[str]:
    """The .ttf/.otf files named, or found under the folders named, that draw ten different
    digits, each with ink (a symbol font draws boxes, a partial one blanks: it is left
    out). Sorted, so the same fonts give the same digits."""
    from PIL import Image, ImageDraw, ImageFont

    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += [f for f in p.rglob("*") if f.suffix.lower() in (".ttf", ".otf")]
        elif p.is_file():
            found.append(p)
        else:
            raise FontError(f"{p}: no such font file or folder")
    usable = []
    for f in sorted(set(found)):
        try:
            font = ImageFont.truetype(str(f), 40)
        except OSError:
            continue
        shapes = set()
        for d in range(10):
            im = Image.new("L", (60, 60), 0)
            ImageDraw.Draw(im).text((30, 30), str(d), fill=255, font=font, anchor="mm")
            if im.getextrema()[1] < 128:
                break  # no ink for this digit
            shapes.add(im.tobytes())
        if len(shapes) == 10:
            usable.append(str(f))
    if not usable:
        raise FontError(f"{', '.join(map(str, paths))}: no typeface here draws the ten digits")
    return usable


def _render_share(files: list[str], start: int, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits start..start+count of the font set: digit i % 10, file (i // 10) % len(files)."""
    from training.font_digits import render

    rng = np.random.default_rng([seed, start])
    images, labels = [], []
    for i in range(start, start + count):
        image, _ = render(files[(i // 10) % len(files)], i % 10, rng)
        images.append(np.round(image * 255).astype(np.uint8))
        labels.append(i % 10)
    return np.stack(images), np.array(labels, np.uint8)


def font_digits(files: list[str], count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` digits drawn from `files`, balanced over digits and files, on every core:
    (count, 28, 28) uint8 and (count,) uint8 labels. The same arguments give the same arrays.
    The workers are spawned: a script that calls this needs `if __name__ == "__main__":`."""
    if count <= 0 or not files:
        return np.zeros((0, 28, 28), np.uint8), np.zeros((0,), np.uint8)
    share = 500
    starts = list(range(0, count, share))
    # Spawned, not forked: the caller has TensorFlow's threads running.
    with ProcessPoolExecutor(max_workers=max(1, min(len(starts), os.cpu_count() or 1)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_render_share, [files] * len(starts), starts,
                              [min(share, count - s) for s in starts], [seed] * len(starts)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def train_reader(data, epochs: int, seed: int, fonts=(), font_count: int = 0):
    """Returns (model, MNIST test accuracy, config dict, wall seconds)."""
    files = font_files(fonts) if fonts and font_count > 0 else []  # a bad path fails first
    mnist = load_mnist(data)
    if mnist.train_labels is None:
        raise DataError(f"{mnist.name}: the reader learns which digit is which, so its "
                        "training digits need labels (one folder per digit)")
    fx, fy = font_digits(files, font_count, seed)
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = build_reader()
    x = np.concatenate([mnist.train_images, fx]).astype(np.float32) / 255.0
    y = np.concatenate([mnist.train_labels, fy]).astype(np.int32)
    from_mnist = np.arange(len(x)) < len(mnist.train_images)  # font digits are drawn augmented
    steps = epochs * -(-len(x) // BATCH)
    lr = keras.optimizers.schedules.CosineDecay(2e-3, steps)
    model.compile(optimizer=keras.optimizers.Adam(lr),
                  loss=["sparse_categorical_crossentropy", None], metrics=[["accuracy"], []])
    xt = mnist.test_images.astype(np.float32) / 255.0
    augment = augmenter(seed)

    def batch(images, labels, mnist_rows):
        return tf.where(mnist_rows[:, None, None], augment(images), images), labels

    ds = (tf.data.Dataset.from_tensor_slices((x, y, from_mnist))
          .shuffle(len(x), seed=seed).batch(BATCH)
          .map(batch, num_parallel_calls=tf.data.AUTOTUNE)
          .prefetch(tf.data.AUTOTUNE))
    t0 = time.perf_counter()
    model.fit(ds, epochs=epochs, verbose=2, shuffle=False)
    seconds = time.perf_counter() - t0
    probs = model.predict(xt, batch_size=1000, verbose=0)[0]
    acc = float(np.mean(np.argmax(probs, 1) == mnist.test_labels))
    cfg = {"arch": "reader-cnn", "epochs": epochs, "seed": seed, "batch_size": BATCH, "lr": 2e-3,
           "lr_schedule": "cosine", "augment": {"turn": TURN, "shear": SHEAR, "zoom": ZOOM,
                                                "shift": SHIFT, "stroke_change": STROKE_CHANGE,
                                                "blur": BLUR, "noise": NOISE},
           "font_digits": int(len(fx)), "fonts": sorted({Path(f).name for f in files})}
    return model, acc, cfg, seconds


def main(args) -> int:

    model, acc, cfg, seconds = train_reader(args.data, args.epochs, args.seed, args.fonts or (),
                                            args.font_digits)
    metrics = {"test_accuracy": round(acc, 5), "train_seconds": round(seconds, 1)}
    path = export_classifier(model, Path(args.out), args.epochs, cfg, metrics)
    print(json.dumps({"model": str(path), **metrics}))
    return 0
