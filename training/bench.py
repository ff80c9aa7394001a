"""Training throughput: each architecture's `fit()` against the reference's plain loop.

`python -m training bench [--steps 234]` times, in one process and on the same synthetic
batches, (a) the reference recipe's `tf.function` train step called from a Python loop
(the original tutorial's code) and (b) our `GAN.fit()` for every architecture, one long
fit() call as in training, then prints steps per second, images per second, the ratios to
the reference loop, and one JSON line. A round is `--steps` steps (234: an MNIST epoch at
batch 256); reference rounds run before and after each fit() and medians are compared,
because a shared machine drifts by several percent from minute to minute.
"""

from __future__ import annotations

import json
import platform
import time

import numpy as np

from training.config import ARCH_NAMES, ConfigError, TrainConfig

MAX_STEPS = 100_000  # a round of over 400 MNIST epochs; more only postpones the answer


def _batches(batch_size: int, steps: int, seed: int = 0):
    from training.data import make_dataset

    rng = np.random.default_rng(seed)
    n = batch_size * 16
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    epochs = -(-steps // 16) + 1
    return make_dataset(images, labels, batch_size, seed, 0, epochs)


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


def fit_seconds(arch: str, steps: int, rounds: int) -> tuple[list[float], int]:
    """Per-round seconds of `GAN.fit()`, `steps` steps a round, one fit() call as in training."""
    import dataclasses

    import keras

    from training.train import build_gan, tiling_steps_per_execution

    cfg = TrainConfig(arch=arch).resolved()
    cfg = dataclasses.replace(cfg, steps_per_execution=tiling_steps_per_execution(steps, cfg.steps_per_execution))
    keras.utils.set_random_seed(0)
    gan = build_gan(cfg)
    timer = _EpochTimer()
    gan.fit(_batches(cfg.batch_size, steps * (rounds + 1)), epochs=rounds + 1, steps_per_epoch=steps,
            verbose=0, shuffle=False, callbacks=[timer.callback])
    return timer.seconds[1:], cfg.batch_size  # the first round traces the step


def run(steps: int, archs: list[str], rounds: int = 5) -> dict:
    """Reference loop rounds before and after each fit(); medians compared (a shared machine drifts)."""
    import statistics

    import tensorflow as tf

    reference = reference_loop()
    ref_times = [reference(steps) for _ in range(rounds)]
    fits = {}
    for arch in archs:
        fits[arch] = fit_seconds(arch, steps, rounds)
        ref_times += [reference(steps) for _ in range(rounds)]
    ref = steps / statistics.median(ref_times)
    result = {
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "tensorflow": tf.__version__,
        "steps": steps,
        "rounds": rounds,
        "reference_loop_steps_per_s": round(ref, 2),
        "reference_loop_images_per_s": round(ref * 256, 1),
    }
    for arch, (seconds, batch) in fits.items():
        sps = steps / statistics.median(seconds)
        result[f"{arch}_steps_per_s"] = round(sps, 2)
        result[f"{arch}_images_per_s"] = round(sps * batch, 1)
        result[f"{arch}_vs_reference_loop"] = round(sps * batch / (ref * 256), 3)
    return result


def main(args) -> int:
    archs = list(dict.fromkeys(args.arch or ARCH_NAMES))  # each architecture once, in the order given
    unknown = [a for a in archs if a not in ARCH_NAMES]
    if unknown:
        raise ConfigError(f"unknown --arch {unknown[0][:20]!r}; choose from {', '.join(ARCH_NAMES)}")
    if isinstance(args.steps, bool) or not 1 <= args.steps <= MAX_STEPS:  # a rate needs a positive count
        raise ConfigError(f"--steps must be between 1 and {MAX_STEPS}")
    r = run(args.steps, archs)
    print(f"reference plain tf.function loop (mlp, batch 256): {r['reference_loop_steps_per_s']} steps/s")
    for a in archs:
        print(f"{a:>7} fit(): {r[f'{a}_steps_per_s']:>8} steps/s  {r[f'{a}_images_per_s']:>9} img/s  "
              f"ratio to reference loop (images/s): {r[f'{a}_vs_reference_loop']}")
    print(json.dumps(r))
    return 0
