"""Training throughput: each architecture's `fit()` against the reference's plain loop.

`python -m training bench [--steps 234]` times, in one process and on the same synthetic
batches, (a) the reference recipe's `tf.function` train step called from a Python loop
(the original tutorial's code) and (b) our `GAN.fit()` for every architecture, one long
fit() call as in training, then prints steps per second, images per second, the ratios to
the reference loop, and one JSON line. A round is `--steps` steps (234: an MNIST epoch at
batch 256); reference rounds run before and after each fit() and medians are compared,
because a shared machine drifts by several percent from minute to minute.

`--width` and `--precision` time your recipe: `bench --arch cdcgan --width 48 --precision
float32 bf16` answers "is bf16 faster here?" (speed only: whether a bf16 run ends as good
is a question for `evaluate`). `--backend jax` times Keras' JAX backend; the reference loop
is TensorFlow's own, so it runs only on TensorFlow.
"""

from __future__ import annotations

import json
import platform
import time

import numpy as np

from training.config import ARCH_NAMES, ConfigError, TrainConfig

MAX_STEPS = 100_000  # a round of over 400 MNIST epochs; more only postpones the answer


def _batches(batch_size: int, steps: int, seed: int = 0):
    from training.batches import training_batches

    rng = np.random.default_rng(seed)
    n = batch_size * 16
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    epochs = -(-steps // 16) + 1
    return training_batches(images, labels, batch_size, seed, 0, epochs)


def reference_loop():
    """The tutorial's loop: a plain tf.function step over the dataset, MLP, batch 256.

    Returns run(steps) -> seconds, after tracing and warming up.
    """
    import keras
    import tensorflow as tf

    from training.models import mlp_discriminator, mlp_generator

    keras.utils.set_random_seed(0)
    gen, disc = mlp_generator(100), mlp_discriminator()
    bce = keras.losses.BinaryCrossentropy()
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([tf.shape(images)[0], 100])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated = gen(noise, training=True)
            real_output = disc(images, training=True)
            fake_output = disc(generated, training=True)
            gen_loss = bce(tf.ones_like(fake_output), fake_output)
            disc_loss = bce(tf.ones_like(real_output), real_output) + bce(tf.zeros_like(fake_output), fake_output)
        g_opt.apply_gradients(zip(gen_tape.gradient(gen_loss, gen.trainable_variables), gen.trainable_variables))
        d_opt.apply_gradients(zip(disc_tape.gradient(disc_loss, disc.trainable_variables), disc.trainable_variables))

    it = iter(_batches(256, 10**6))

    def run(steps: int) -> float:
        t0 = time.perf_counter()
        for _ in range(steps):
            train_step(next(it)[0])
        return time.perf_counter() - t0

    run(10)
    return run


class _EpochTimer:
    """Seconds per epoch of one long fit(), as `python -m training train` runs it."""

    def __init__(self):
        import keras

        timer = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                timer.t0 = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                timer.seconds.append(time.perf_counter() - timer.t0)

        self.seconds: list[float] = []
        self.callback = Callback()


def fit_seconds(arch: str, steps: int, rounds: int, width: int | None = None,
                precision: str = "float32") -> tuple[list[float], int]:
    """Per-round seconds of `GAN.fit()`, `steps` steps a round, one fit() call as in training."""
    import dataclasses

    import keras

    from training.train import build_gan, tiling_steps_per_execution

    cfg = TrainConfig(arch=arch, width=width, precision=precision).resolved()
    cfg = dataclasses.replace(cfg, steps_per_execution=tiling_steps_per_execution(steps, cfg.steps_per_execution))
    keras.utils.set_random_seed(0)
    gan = build_gan(cfg, precision)
    timer = _EpochTimer()
    gan.fit(_batches(cfg.batch_size, steps * (rounds + 1)), epochs=rounds + 1, steps_per_epoch=steps,
            verbose=0, shuffle=False, callbacks=[timer.callback])
    return timer.seconds[1:], cfg.batch_size  # the first round traces the step


def _label(arch: str, width: int | None, precision: str, several: bool) -> str:
    """The name of one timed configuration in the JSON line: the architecture alone for a
    plain run (as before --width and --precision existed), else with what was asked."""
    if not several and width is None and precision == "float32":
        return arch
    return arch + (f"_w{width}" if width is not None else "") + f"_{precision}"


def run(steps: int, archs: list[str], rounds: int = 5, width: int | None = None,
        precisions: tuple[str, ...] = ("float32",)) -> dict:
    """Reference loop rounds before and after each fit(); medians compared (a shared machine drifts).

    On a backend other than TensorFlow there is no reference loop: fit() alone is timed.
    """
    import os
    import statistics

    import keras

    backend = keras.backend.backend()
    reference = reference_loop() if backend == "tensorflow" else None
    ref_times = [reference(steps) for _ in range(rounds)] if reference else []
    fits = {}
    for arch in archs:
        for precision in precisions:
            label = _label(arch, width, precision, len(precisions) > 1)
            fits[label] = fit_seconds(arch, steps, rounds, width, precision)
            ref_times += [reference(steps) for _ in range(rounds)] if reference else []
    if backend == "jax":
        import jax

        version = {"jax": jax.__version__, "devices": [f"{d.platform}:{d.id}" for d in jax.devices()][:8]}
    else:
        import tensorflow as tf

        version = {"tensorflow": tf.__version__}
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "backend": backend,
        "keras": keras.__version__,
        **version,
        "steps": steps,
        "rounds": rounds,
        "width": width,
    }
    ref = steps / statistics.median(ref_times) if ref_times else None
    if ref is not None:
        result["reference_loop_steps_per_s"] = round(ref, 2)
        result["reference_loop_images_per_s"] = round(ref * 256, 1)
    for label, (seconds, batch) in fits.items():
        sps = steps / statistics.median(seconds)
        result[f"{label}_steps_per_s"] = round(sps, 2)
        result[f"{label}_images_per_s"] = round(sps * batch, 1)
        if ref is not None:
            result[f"{label}_vs_reference_loop"] = round(sps * batch / (ref * 256), 3)
    return result


def main(args) -> int:
    from training.backends import choose
    from training.config import PRECISIONS

    archs = list(dict.fromkeys(args.arch or ARCH_NAMES))  # each architecture once, in the order given
    unknown = [a for a in archs if a not in ARCH_NAMES]
    if unknown:
        raise ConfigError(f"unknown --arch {unknown[0][:20]!r}; choose from {', '.join(ARCH_NAMES)}")
    if isinstance(args.steps, bool) or not 1 <= args.steps <= MAX_STEPS:  # a rate needs a positive count
        raise ConfigError(f"--steps must be between 1 and {MAX_STEPS}")
    width = getattr(args, "width", None)
    precisions = tuple(dict.fromkeys(getattr(args, "precision", None) or ["float32"]))
    bad = [p for p in precisions if p not in PRECISIONS or p == "auto"]
    if bad:
        raise ConfigError(f"--precision {bad[0][:20]!r}: time float32, bf16 or both")
    TrainConfig(width=width)  # the same range check as training's
    choose(getattr(args, "backend", None))  # before Keras is imported
    r = run(args.steps, archs, width=width, precisions=precisions)
    if "reference_loop_steps_per_s" in r:
        print(f"reference plain tf.function loop (mlp, batch 256): {r['reference_loop_steps_per_s']} steps/s")
    for a in archs:
        for p in precisions:
            label = _label(a, width, p, len(precisions) > 1)
            ratio = (f"  ratio to reference loop (images/s): {r[f'{label}_vs_reference_loop']}"
                     if f"{label}_vs_reference_loop" in r else "")
            print(f"{label:>7} fit() on {r['backend']}: {r[f'{label}_steps_per_s']:>8} steps/s  "
                  f"{r[f'{label}_images_per_s']:>9} img/s{ratio}")
    print(json.dumps(r))
    return 0
