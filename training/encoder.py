"""Train an encoder for a run's generator and export it under the model contract.

    python -m training encoder runs/cdcgan64 --out exported_models/generator.encoder.onnx
    python -m training encoder runs/selfcond64 --out exported_models/unconditional.encoder.onnx

The encoder is a small CNN: image (b, 28, 28) in [0, 1] -> z (b, latent_dim), and for
conditional runs also class_weights (b, k), a softmax over the digits or, for a
self-conditioned run exported with its class input, over the clusters. It is the app's
first guess of the latent that draws a given digit (desktop_app/core/find/inversion.py refines it).

The run's generator is loaded frozen, in float32 (`training.export.load_run`), exactly as
it is exported: a self-conditioned run exported z-only (`export.exports_z_only`) has its
cluster weights computed from z inside the graph (`export.cluster_weights_function`), so
its encoder maps image -> z only and reconstructs through that same z-only computation.

Each step trains on two batches:
- generated pairs (z, G(z)): a latent loss (MSE on z; cross-entropy on the digit) plus
  the pixel error of G(E(G(z))) against G(z);
- real MNIST images x: the pixel error of G(E(x)) against x (the encoder must find a
  latent for digits the generator never drew), and for digit runs the cross-entropy of
  the encoder's class weights against x's label (a cluster run reads no label: its class
  weights learn from the generated pairs and the pixel error alone).
A loss in classifier-feature space is left out: the shipped classifier is an ONNX file,
which TensorFlow cannot differentiate through, and pixel + latent losses reach the
targets measured in the report (metrics in the file's metadata).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from training.data import dataset_name
from training.export import (ExportError, base_metadata, cluster_metadata, cluster_weights_function, convert,
                             exports_z_only, finish, load_run)

EVAL_IMAGES = 1000  # real MNIST test digits scored after training (metadata `metrics`)


@dataclass(frozen=True)
class EncoderConfig:
    epochs: int = 2  # passes over the 60,000 real digits; ~4 min for a width-64 generator on 2 busy cores
    batch_size: int = 128  # real and generated images per step, each
    lr: float = 1e-3  # Adam; the encoder is small and trains from scratch
    pixel_weight: float = 20.0  # pixel MSE (~0.02-0.05) against latent MSE (~0.3-1): comparable pulls
    latent_weight: float = 1.0  # MSE between the encoded and the true z of generated pairs
    width: int = 32  # channels of the first convolution (the second has twice as many)
    seed: int = 0
    train_samples: int = 0  # 0: all real training digits; fewer for smoke tests
    cluster_temperature: float | None = None  # self-conditioned runs: the z-only export's, if it was one


def build_encoder(latent_dim: int, num_classes: int, width: int):
    """image (b, 28, 28) in [0, 1] -> z (b, latent_dim)[, class logits (b, num_classes) if num_classes]."""
    import keras
    from keras import layers

    image = keras.Input((28, 28), name="image")
    x = layers.Reshape((28, 28, 1))(image)
    x = layers.Rescaling(2.0, offset=-1.0)(x)  # the generator's own [-1, 1] scale
    x = layers.Conv2D(width, 4, strides=2, padding="same", name="conv14")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(2 * width, 4, strides=2, padding="same", name="conv7")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, name="hidden")(x)
    x = layers.LeakyReLU(0.2)(x)
    outputs = [layers.Dense(latent_dim, name="z")(x)]
    if num_classes:
        outputs.append(layers.Dense(num_classes, name="class_logits")(x))
    return keras.Model(image, outputs if num_classes else outputs[0], name="encoder")


def _decoder(cfg, gan, run_dir: Path, temperature: float | None):
    """The exported generator as a TF function (z, class_weights or None) -> (b, 28, 28) in [0, 1],
    and how many class weights the encoder must find (0: none)."""
    import tensorflow as tf

    generator = gan.export_generator()
    generator.trainable = False

    def to_unit(x):
        return (tf.reshape(tf.cast(x, tf.float32), [-1, 28, 28]) + 1.0) * 0.5

    if exports_z_only(cfg, temperature):
        from training.clusters import Clustering

        if not (np.isfinite(temperature) and 0 < temperature <= 100):
            raise ExportError("--cluster-temperature must be in (0, 100]")
        weights_of = cluster_weights_function(Clustering.load(run_dir).priors, temperature)
        return (lambda z, w: to_unit(generator([z, weights_of(z)], training=False))), 0
    if gan.conditional:
        return (lambda z, w: to_unit(generator([z, w], training=False))), gan.num_classes
    return (lambda z, w: to_unit(generator(z, training=False))), 0


def _train_step_fn(encoder, decode, optimizer, num_classes: int, real_labels: bool, pixel_weight: float,
                   latent_weight: float):
    import keras
    import tensorflow as tf

    conditional = num_classes > 0

    def encode(x):
        out = encoder(x, training=True)
        return (out[0], out[1]) if conditional else (out, None)

    @tf.function
    def step(z, labels, real, real_label):
        onehot = tf.one_hot(labels, max(num_classes, 1))
        fake = decode(z, onehot)
        with tf.GradientTape() as tape:
            z_hat, logits = encode(fake)
            latent = tf.reduce_mean(tf.square(z_hat - z))
            w_fake = None if logits is None else tf.nn.softmax(logits)
            pix_fake = tf.reduce_mean(tf.square(decode(z_hat, w_fake) - fake))
            zr, logits_r = encode(real)
            w_real = None if logits_r is None else tf.nn.softmax(logits_r)
            pix_real = tf.reduce_mean(tf.square(decode(zr, w_real) - real))
            loss = latent_weight * latent + pixel_weight * (pix_fake + pix_real)
            if conditional:
                ce = keras.losses.categorical_crossentropy
                loss += tf.reduce_mean(ce(onehot, logits, from_logits=True))
                if real_labels:
                    loss += tf.reduce_mean(ce(tf.one_hot(real_label, num_classes), logits_r, from_logits=True))
        variables = encoder.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return latent, pix_real
    return step


def _evaluate(encoder, decode, images: np.ndarray, labels: np.ndarray, conditional: bool) -> dict:
    """Pixel MSE of G(E(x)) against x on real test digits, and the encoder's digit accuracy
    (`labels` None: the classes are clusters, which no test label names)."""
    out = encoder(images, training=False)
    z, logits = (out[0], out[1]) if conditional else (out, None)
    w = None
    if conditional:
        import tensorflow as tf

        w = tf.nn.softmax(logits)
    recon = np.asarray(decode(z, w))
    metrics = {"test_images": int(len(images)),
               "pixel_mse_test": round(float(np.mean((recon - images) ** 2)), 5)}
    if conditional and labels is not None:
        metrics["digit_accuracy_test"] = round(float(np.mean(np.argmax(np.asarray(logits), 1) == labels)), 4)
    return metrics


def train_encoder(run_dir, out, config: EncoderConfig = EncoderConfig(), data=None,
                  generator_name: str | None = None, verbose: int = 1, best: bool = False) -> Path:
    """Train an encoder for the generator of `run_dir` and export it to `out` (checked, atomic).

    best : the run's best-estimate checkpoint (`export --best`) rather than its last.

    `generator_name` is the file name of the generator the encoder belongs to (metadata
    `generator`); by default `out`'s name without `.encoder`: `x.encoder.onnx` -> `x.onnx`.
    """
    import keras

    from training.data import load_mnist

    if config.epochs < 1 or config.batch_size < 1:
        raise ExportError("--epochs and the batch size must be at least 1")
    if config.train_samples < 0:
        raise ExportError("--train-samples must be 0 (all) or positive")
    out = Path(out)
    generator_name = Path(generator_name).name if generator_name else default_generator_name(out)
    cfg, gan, run_epochs = load_run(Path(run_dir), best)
    # A run trained on soft clusters decodes at its own temperature, as its export does.
    decode, num_classes = _decoder(cfg, gan, Path(run_dir), config.cluster_temperature)
    conditional, digits = num_classes > 0, num_classes > 0 and not cfg.clusters
    clustering = priors = None
    if conditional and cfg.clusters:  # generated pairs draw clusters as often as the data has them
        from training.clusters import Clustering

        clustering = Clustering.load(Path(run_dir))
        priors = np.asarray(clustering.priors, np.float64)
        priors /= priors.sum()
    mnist = load_mnist(data if data is not None else cfg.data)
    real = mnist.train_images.astype(np.float32) / 255.0
    real_labels = mnist.train_labels.astype(np.int32)
    if config.train_samples:
        real, real_labels = real[:config.train_samples], real_labels[:config.train_samples]

    keras.utils.set_random_seed(config.seed)
    encoder = build_encoder(cfg.latent_dim, num_classes, config.width)
    optimizer = keras.optimizers.Adam(config.lr)
    step = _train_step_fn(encoder, decode, optimizer, num_classes, digits, config.pixel_weight,
                          config.latent_weight)
    rng = np.random.default_rng(config.seed)
    steps_per_epoch = max(1, len(real) // config.batch_size)
    started = time.perf_counter()
    for epoch in range(config.epochs):
        order = rng.permutation(len(real))
        for i in range(steps_per_epoch):
            idx = order[i * config.batch_size:(i + 1) * config.batch_size]
            z = rng.standard_normal((len(idx), cfg.latent_dim)).astype(np.float32)
            labels = (rng.choice(num_classes, len(idx), p=priors) if priors is not None
                      else rng.integers(0, max(num_classes, 1), len(idx))).astype(np.int32)
            latent, pix = step(z, labels, real[idx], real_labels[idx])
        if verbose:
            print(f"encoder epoch {epoch + 1}/{config.epochs}: latent MSE {float(latent):.3f}, "
                  f"real pixel MSE {float(pix):.4f} ({time.perf_counter() - started:.0f} s)", flush=True)
    seconds = time.perf_counter() - started

    n_eval = min(EVAL_IMAGES, len(mnist.test_images))
    metrics = _evaluate(encoder, decode, mnist.test_images[:n_eval].astype(np.float32) / 255.0,
                        mnist.test_labels[:n_eval].astype(np.int64) if digits else None, conditional)
    metrics["train_seconds"] = round(seconds, 1)
    if verbose:
        print(f"encoder trained in {seconds:.0f} s; {json.dumps(metrics)}", flush=True)
    return export_encoder(encoder, out, num_classes, cfg, run_epochs, generator_name, config, metrics,
                          clustering)


def default_generator_name(out: Path) -> str:
    name = Path(out).name
    if not name.endswith(".encoder.onnx"):
        raise ExportError(f"{out}: name the encoder GENERATOR.encoder.onnx (e.g. generator.encoder.onnx), "
                          "or say which generator it belongs to with --generator NAME.onnx")
    return name[:-len(".encoder.onnx")] + ".onnx"


def export_encoder(encoder, out: Path, num_classes: int, cfg, run_epochs: int, generator_name: str,
                   config: EncoderConfig, metrics: dict | None, clustering=None) -> Path:
    """image -> z[, class_weights] to ONNX with the contract's names and metadata
    (`clustering`: the run's, for an encoder whose classes are its clusters)."""
    import tensorflow as tf

    sig = [tf.TensorSpec([None, 28, 28], tf.float32, name="image")]
    # Two names, not one `fn` in each branch: AutoGraph finds a function by its source and
    # would mistake one for the other.
    @tf.function(input_signature=sig)
    def encode_conditional(image):
        z, logits = encoder(image, training=False)
        return z, tf.nn.softmax(logits, axis=-1)

    @tf.function(input_signature=sig)
    def encode_plain(image):
        return encoder(image, training=False)

    conditional = num_classes > 0
    fn = encode_conditional if conditional else encode_plain
    names = ["z", "class_weights"] if conditional else ["z"]
    model = convert(fn, sig, names)
    want = {"z": cfg.latent_dim, "class_weights": num_classes}
    for vi in model.graph.output:  # tf2onnx keeps the return order; a swap would misname them
        if vi.type.tensor_type.shape.dim[1].dim_value != want[vi.name]:
            raise ExportError(f"converted encoder output {vi.name!r} has the wrong width")
    encoder_config = {**asdict(config), "run_epochs": run_epochs, "generator_config": json.loads(cfg.to_json())}
    meta = base_metadata("encoder", "cnn-encoder", config.epochs, num_classes,
                         json.dumps(encoder_config, sort_keys=True), metrics, dataset=dataset_name(cfg.data))
    meta["latent_dim"] = str(cfg.latent_dim)
    if clustering is not None:
        meta.update(cluster_metadata(clustering, cfg.cluster_space))
    meta["generator"] = generator_name

    rng = np.random.default_rng(1234)

    def feeds(n):
        return {"image": rng.uniform(0, 1, (n, 28, 28)).astype(np.float32)}

    def reference(f):
        result = fn(f["image"])
        return [r.numpy() for r in result] if conditional else [result.numpy()]

    return finish(model, meta, out, reference, feeds)


def generator_name(value: str | None, out: Path) -> str | None:
    """--generator checked: the file name of the generator the encoder belongs to (metadata
    `generator`). It must name an .onnx file; given with a folder it must be a generator
    there, and a bare name must be one when a file of that name sits beside --out (a bare
    name of a generator not exported yet is kept as it is)."""
    if value is None:
        return None
    path = Path(value)
    if not path.name.endswith(".onnx") or path.name == ".onnx":
        raise ExportError(f"--generator {value!r}: name the generator's .onnx file, e.g. generator.onnx")
    beside = Path(out).parent / path.name
    if path.name != value:
        _check_generator(path, value)
    elif beside.exists() or beside.is_symlink():
        _check_generator(beside, value)
    return path.name


def _check_generator(path: Path, value: str) -> None:
    """Refuse `path` unless it is a contract-v2 generator (metadata only; nothing is run)."""
    import onnx

    from digit_contract.metadata import MAX_MODEL_BYTES, ContractError, parse_metadata
    from digit_contract.reading import read_capped

    def refuse(p: Path, rule: str) -> ExportError:
        return ExportError(f"--generator {value!r}: {p} is not a generator model: {rule}")

    data = read_capped(path, MAX_MODEL_BYTES, refuse, "it is larger than the {mib} MiB a model file may be")
    try:
        meta = {m.key: m.value for m in onnx.load_model_from_string(data).metadata_props}
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends, for any bytes
        raise refuse(path, "it is not an ONNX file") from None
    try:
        parse_metadata(path, meta, "generator")  # the app's own rules
    except ContractError as e:
        raise refuse(path, e.rule) from None


MAX_SEED = 2**31 - 1  # the command line's bound for every --seed (training/__main__.py)


def main(args) -> int:
    if not 0 <= args.seed <= MAX_SEED:  # a caller other than argparse: still one sentence
        raise ExportError(f"--seed must be in 0..{MAX_SEED}, not {args.seed}")
    name = generator_name(args.generator, Path(args.out))
    config = EncoderConfig(epochs=args.epochs, seed=args.seed, cluster_temperature=args.cluster_temperature,
                           train_samples=args.train_samples)
    path = train_encoder(args.run_dir, args.out, config, data=args.data, generator_name=name,
                         best=args.best)
    print(f"exported {path}")
    return 0
