"""Export to ONNX under the model contract (docs/model-contract.md), checked and atomic.

`export_run(run_dir, out)` rebuilds the run's generator in float32 from its saved config,
loads the checkpoint, wraps it as `z[, label] -> image in [0, 1]`, converts it with
`tf2onnx.convert.from_function` (from_keras fails on Keras 3 models), names the tensors,
writes the metadata, runs `onnx.checker`, compares Keras and ONNX Runtime on 256 random
inputs, and only then renames the file into place.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from training import checkpoint
from training.config import TrainConfig

CONTRACT_VERSION = "1"
PARITY_TOLERANCE = 1e-4
PARITY_SAMPLES = 256
OPSET = 17


class ExportError(Exception):
    """The export could not be made, or failed its own checks; nothing was written."""


def _rename_tensor(graph, old: str, new: str) -> None:
    if old == new:
        return
    for node in graph.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]
    for vi in list(graph.input) + list(graph.output):
        if vi.name == old:
            vi.name = new


def convert(fn, input_signature, output_names: list[str]):
    """tf.function -> onnx.ModelProto with inputs named as the signature, outputs as given."""
    import tf2onnx

    model, _ = tf2onnx.convert.from_function(fn, input_signature=input_signature, opset=OPSET)
    graph = model.graph
    for spec, vi in zip(input_signature, graph.input):
        _rename_tensor(graph, vi.name, spec.name)
    if len(graph.output) != len(output_names):
        raise ExportError(f"converted graph has {len(graph.output)} outputs, expected {output_names}")
    for vi, name in zip(list(graph.output), output_names):
        _rename_tensor(graph, vi.name, name)
    for vi in list(graph.input) + list(graph.output):
        vi.type.tensor_type.shape.dim[0].dim_param = "batch"
    return model


def _set_metadata(model, metadata: dict[str, str]) -> None:
    del model.metadata_props[:]
    for k, v in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, str(v)


def finish(model, metadata: dict[str, str], out: Path, reference_fn, feeds_fn) -> Path:
    """Attach metadata, check, compare with `reference_fn`, write atomically to `out`."""
    import onnx
    import onnxruntime as ort

    _set_metadata(model, metadata)
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as e:
        raise ExportError(f"onnx.checker rejected the export: {e}") from None
    data = model.SerializeToString()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = feeds_fn(PARITY_SAMPLES)
    ours = session.run(None, feeds)
    theirs = reference_fn(feeds)
    worst = max(float(np.max(np.abs(a - np.asarray(b)))) for a, b in zip(ours, theirs))
    if worst > PARITY_TOLERANCE:
        raise ExportError(f"ONNX Runtime differs from Keras by {worst:.2e} (> {PARITY_TOLERANCE}); not written")
    out = Path(out)
    try:
        checkpoint.atomic_write_bytes(out, lambda f: f.write(data))
    except OSError as e:
        raise ExportError(f"{out}: cannot write ({e.strerror or e})") from None
    return out


def base_metadata(kind: str, architecture: str, epochs: int, num_classes: int,
                  config_json: str, metrics: dict | None) -> dict[str, str]:
    meta = {
        "contract_version": CONTRACT_VERSION,
        "kind": kind,
        "num_classes": str(num_classes),
        "architecture": architecture,
        "epochs": str(epochs),
        "dataset": "mnist",
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "config": config_json,
    }
    if metrics is not None:
        meta["metrics"] = json.dumps(metrics, sort_keys=True)
    return meta


def digit_from_latent(z):
    """The digit a `--digit-from-latent` export draws: z[:, 0] in ten equal-probability bins.

    Under z ~ N(0, I), Phi(z0) is uniform on [0, 1), so each digit gets exactly 10% of the
    latent space, and dragging z[0] from -3 to 3 walks through the digits 0..9 in order.
    """
    import tensorflow as tf

    u = 0.5 * (1.0 + tf.math.erf(z[:, 0] / tf.sqrt(2.0)))
    return tf.minimum(tf.cast(tf.floor(u * 10.0), tf.int32), 9)


def generator_function(generator, latent_dim: int, conditional: bool, latent_digit: bool = False):
    """The exported computation: z[, label] -> (b, 28, 28) image in [0, 1].

    With `latent_digit`, a conditional generator is exported with the unconditional
    interface: its label comes from `digit_from_latent(z)`, making it a uniform mixture
    of the ten class-conditional generators.
    """
    import tensorflow as tf

    sig = [tf.TensorSpec([None, latent_dim], tf.float32, name="z")]
    if conditional and not latent_digit:
        sig.append(tf.TensorSpec([None], tf.int64, name="label"))

    def to_unit(x):
        return (tf.reshape(tf.cast(x, tf.float32), [-1, 28, 28]) + 1.0) * 0.5

    if latent_digit:
        @tf.function(input_signature=sig)
        def fn(z):
            return to_unit(generator([z, digit_from_latent(z)], training=False))
    elif conditional:
        @tf.function(input_signature=sig)
        def fn(z, label):
            return to_unit(generator([z, tf.cast(label, tf.int32)], training=False))
    else:
        @tf.function(input_signature=sig)
        def fn(z):
            return to_unit(generator(z, training=False))
    return fn, sig


def load_run(run_dir: Path):
    """(config, GAN with the checkpoint's weights, epochs trained) for a run folder."""
    from training.train import build_gan

    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise ExportError(f"{run_dir}: not a run folder (no config.json)")
    cfg = TrainConfig.load(run_dir / "config.json").resolved()
    arrays, epoch = checkpoint.read(run_dir)
    gan = build_gan(cfg)
    # The generators are all an export needs; optimizer and discriminator state stay behind.
    checkpoint.restore(gan.state_variables(), arrays, run_dir / checkpoint.CHECKPOINT_NAME, groups=("g", "ema"))
    return cfg, gan, epoch


def export_run(run_dir, out, digit_from_latent: bool = False) -> Path:
    cfg, gan, epoch = load_run(Path(run_dir))
    if digit_from_latent and not gan.conditional:
        raise ExportError(f"--digit-from-latent needs a conditional run; {run_dir} is {cfg.arch}")
    generator = gan.export_generator()
    fn, sig = generator_function(generator, cfg.latent_dim, gan.conditional, digit_from_latent)
    conditional = gan.conditional and not digit_from_latent
    model = convert(fn, sig, ["image"])
    arch = f"{cfg.arch}+digit-from-latent" if digit_from_latent else cfg.arch
    meta = base_metadata("generator", arch, epoch, 10 if conditional else 0, cfg.to_json(), None)
    meta["latent_dim"] = str(cfg.latent_dim)
    if digit_from_latent:
        meta["digit_from_latent"] = "digit = floor(10 * Phi(z[0])), Phi the standard normal CDF"

    rng = np.random.default_rng(1234)

    def feeds(n):
        f = {"z": rng.standard_normal((n, cfg.latent_dim)).astype(np.float32)}
        if conditional:
            f["label"] = rng.integers(0, 10, n).astype(np.int64)
        return f

    def reference(f):
        args = [f["z"], f["label"]] if conditional else [f["z"]]
        return [fn(*args).numpy()]

    return finish(model, meta, Path(out), reference, feeds)


def with_metrics(onnx_path: Path, metrics: dict) -> None:
    """Rewrite a model's `metrics` metadata in place (atomically), after `evaluate --embed`."""
    import onnx

    model = onnx.load_from_string(Path(onnx_path).read_bytes())
    props = {p.key: p.value for p in model.metadata_props}
    props["metrics"] = json.dumps(metrics, sort_keys=True)
    _set_metadata(model, props)
    data = model.SerializeToString()
    checkpoint.atomic_write_bytes(Path(onnx_path), lambda f: f.write(data))
