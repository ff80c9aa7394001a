"""Export to ONNX under the model contract (docs/model-contract.md), checked and atomic.

`export_run(run_dir, out)` rebuilds the run's generator in float32 from its saved config
(whatever precision it trained in), loads the checkpoint, wraps it as
`z[, class_weights] -> image in [0, 1]`, converts it with
`tf2onnx.convert.from_function` (from_keras fails on Keras 3 models), names the tensors,
rewrites its ConvTranspose pairs into faster equal ops (`fast_graph`), writes the
metadata, runs `onnx.checker`, compares Keras and ONNX Runtime on 256 random inputs, and
only then renames the file into place.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from digit_contract import run_folder
from digit_contract.atomic import OutputError, describe, remove_stale_temp_files, write_atomic
from digit_contract.lock import held_by
from training import checkpoint
from training.config import TrainConfig
from training.data import dataset_name
from training.metadata import ExportError, base_metadata, is_our_model, set_metadata  # noqa: F401 - re-exported

PARITY_TOLERANCE = 1e-4
PARITY_SAMPLES = 256
OPSET = 17


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


def finish(model, metadata: dict[str, str], out: Path, reference_fn, feeds_fn) -> Path:
    """Attach metadata, check, compare with `reference_fn`, write atomically to `out`."""
    import onnx
    import onnxruntime as ort

    from training import fast_graph

    fast_graph.rewrite(model)  # equal outputs, faster kernels; checked below with the rest
    set_metadata(model, metadata)
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
    if not all(np.isfinite(a).all() for a in ours):
        raise ExportError("the exported model draws non-finite values (NaN or inf); did the run diverge? not written")
    if not worst <= PARITY_TOLERANCE:  # also catches NaN, for which `worst > tol` is False
        raise ExportError(f"ONNX Runtime differs from Keras by {worst:.2e} (> {PARITY_TOLERANCE}); not written")
    out = check_output_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"--out {out}: cannot make its folder ({e.strerror or e}); nothing was written") from None
    remove_stale_temp_files(out.parent, out.name)  # an export killed mid-write left it
    try:
        write_atomic(out, lambda f: f.write(data), replace=is_our_model)
    except OutputError as e:
        raise ExportError(str(e)) from None
    return out


# Characters a model's file name may not hold: wildcards (a quoted `DIR/*` would make a
# file literally named `*`) and control characters (a newline would split every message).
_BAD_NAME = re.compile(r"[*?\[\]\x00-\x1f\x7f]")


def check_output_path(out) -> Path:
    """`out` as a Path, if it may receive a model: a `.onnx` name without wildcards or
    control characters, in an existing folder, and not something other than a regular
    file. Raises ExportError (one sentence) before any work is done."""
    out = Path(out)
    shown = ascii(str(out))[1:-1]
    if _BAD_NAME.search(out.name):
        raise ExportError(f"--out {shown}: a model's file name may not hold wildcards or control "
                          "characters; nothing was written")
    if out.suffix.lower() != ".onnx":
        raise ExportError(f"--out {shown}: name the model NAME.onnx; nothing was written")
    ancestor = out.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent  # missing folders are made when the model is written
    if not ancestor.is_dir():
        raise ExportError(f"--out {shown}: {ancestor} is not a folder; nothing was written")
    why = describe(out)
    if why is not None:
        raise ExportError(f"--out {shown}: {why}; nothing was written")
    if out.exists() and not is_our_model(out):
        raise ExportError(f"--out {shown} is a file that Digit Studio did not export; it is left alone "
                          "(choose another name)")
    return out



def to_unit_range(x):
    """tanh output (b, 28, 28, 1) -> (b, 28, 28) grey levels in [0, 1].

    Clipped: ONNX Runtime's tanh can return a hair below -1 (an image value of -1.2e-7),
    and the contract promises [0, 1] exactly.
    """
    import tensorflow as tf

    return tf.clip_by_value((tf.reshape(tf.cast(x, tf.float32), [-1, 28, 28]) + 1.0) * 0.5, 0.0, 1.0)


def generator_function(generator, latent_dim: int, conditional: bool, num_classes: int = 10):
    """The exported computation: z[, class_weights] -> (b, 28, 28) image in [0, 1].

    A conditional generator's first layer on `class_weights` is a bias-free Dense, so the
    graph computes the class embedding as `class_weights @ E` and any blend of digits is
    drawn by the generator itself (docs/model-contract.md).
    """
    import tensorflow as tf

    sig = [tf.TensorSpec([None, latent_dim], tf.float32, name="z")]
    if conditional:
        sig.append(tf.TensorSpec([None, num_classes], tf.float32, name="class_weights"))

    def to_unit(x):
        return to_unit_range(x)

    if conditional:
        @tf.function(input_signature=sig)
        def fn(z, class_weights):
            return to_unit(generator([z, class_weights], training=False))
    else:
        @tf.function(input_signature=sig)
        def fn(z):
            return to_unit(generator(z, training=False))
    return fn, sig


def random_class_weights(rng: np.random.Generator, n: int, k: int = 10) -> np.ndarray:
    """(n, k) float32 rows on the simplex: one-hot rows, pairwise blends and random mixes.

    The parity check feeds these, so the export is checked off the one-hot corners too.
    """
    eye = np.eye(k, dtype=np.float32)
    w = eye[rng.integers(0, k, n)]
    pairs = np.arange(n) % 3 == 1
    t = rng.uniform(0, 1, (int(pairs.sum()), 1)).astype(np.float32)
    w[pairs] = (1 - t) * w[pairs] + t * eye[rng.integers(0, k, int(pairs.sum()))]
    mixes = np.arange(n) % 3 == 2
    w[mixes] = rng.dirichlet(np.ones(k), int(mixes.sum())).astype(np.float32)
    return w


def cluster_metadata(clustering, space: str) -> dict[str, str]:
    """The contract's keys for a generator (or its encoder) whose classes are clusters."""
    priors = np.asarray(clustering.priors, np.float64)
    return {
        "classes": "clusters",
        "class_priors": json.dumps([round(float(p), 6) for p in priors / priors.sum()]),
        "self_conditioning": (f"trained without labels on {clustering.k} k-means clusters of the "
                              f"{'deskewed ' if space == 'deskewed' else ''}training images; "
                              "class_weights chooses the cluster"),
    }


def load_run(run_dir: Path, best: bool = False):
    """(config, GAN with the checkpoint's weights, epochs trained) for a run folder.

    best : load the epoch with the lowest FID estimate (`best.npz`) instead of the last.
    """
    from training.train import build_gan, checkpoint_variables

    run_dir = Path(run_dir)
    if not (run_dir / run_folder.CONFIG).is_file():
        raise ExportError(f"{run_dir}: not a run folder (no config.json)")
    cfg = TrainConfig.load(run_dir / run_folder.CONFIG).resolved()
    name = checkpoint.BEST_NAME if best else checkpoint.CHECKPOINT_NAME
    if not best and not (run_dir / name).is_file():
        training_now = held_by(run_dir)
        if training_now is not None:
            raise ExportError(f"{run_dir} is training{' (process ' + training_now + ')' if training_now else ''} "
                              "and has not finished its first epoch yet; export it once it has")
        raise ExportError(f"{run_dir} has no checkpoint: it never finished an epoch; continue it with "
                          f"`python -m training train --out {run_dir} --resume`, then export")
    arrays, epoch = checkpoint.read(run_dir, name)
    gan = build_gan(cfg)
    # The generators are all an export needs; optimizer and discriminator state stay behind.
    checkpoint.restore(checkpoint_variables(gan, arrays), arrays, run_dir / name, groups=("g", "ema"))
    return cfg, gan, epoch


def cluster_weights_function(priors, temperature: float):
    """z -> soft cluster weights softmax(T·(z[:k] + b)), inside the exported graph.

    A self-conditioned run (--clusters k) is shipped with the unconditional interface:
    the first k latent dimensions choose the cluster. The offsets b
    (`clusters.latent_offsets`) make the arg-max cluster occur with the training data's
    shares under z ~ N(0, I); the softmax, not an arg-max, keeps every latent path
    continuous (a hard choice would be a staircase), and T sets how quickly one cluster
    hands over to the next.
    """
    import tensorflow as tf

    from training.clusters import latent_offsets

    k = len(priors)
    offsets = latent_offsets(priors)
    # The constant is made inside the traced function: a captured eager tensor would
    # become an extra graph input in tf2onnx's conversion.
    return lambda z: tf.nn.softmax(temperature * (z[:, :k] + tf.constant(offsets)), axis=-1)


def exports_z_only(cfg, cluster_temperature: float | None) -> bool:
    """Whether a run's generator is shipped z-only, its cluster weights picked from z.

    A self-conditioned run keeps its `class_weights` input (classes that are clusters,
    docs/model-contract.md) unless an export temperature is asked for.
    """
    return bool(cfg.clusters) and cluster_temperature is not None


def export_run(run_dir, out, cluster_temperature: float | None = None, best: bool = False) -> Path:
    """Export a run's generator, always through TensorFlow: whatever backend trained the run
    (its checkpoint is plain arrays), tf2onnx converts a TensorFlow graph. A process whose
    Keras runs another backend exports in a child process."""
    from training.backends import tensorflow_here
    from training.config import ConfigError

    check_output_path(out)  # refused before the minutes of conversion, not after
    try:
        here = tensorflow_here()
    except ConfigError as e:
        raise ExportError(str(e)) from None
    if not here:
        return _export_in_child(run_dir, out, cluster_temperature, best)
    cfg, gan, epoch = load_run(Path(run_dir), best)
    if epoch < cfg.epochs and not best:
        print(f"note: {run_dir} stopped after epoch {epoch} of the {cfg.epochs} planned; exporting epoch "
              f"{epoch} (continue it with: python -m training train --config {Path(run_dir) / 'config.json'} "
              "--resume)")
    if exports_z_only(cfg, cluster_temperature):
        return _export_self_conditioned(cfg, gan, epoch, Path(run_dir), Path(out), cluster_temperature)
    k = gan.num_classes
    fn, sig = generator_function(gan.export_generator(), cfg.latent_dim, gan.conditional, k)
    model = convert(fn, sig, ["image"])
    arch = f"{cfg.arch}-selfcond" if cfg.clusters else cfg.arch
    meta = base_metadata("generator", arch, epoch, k if gan.conditional else 0, cfg.to_json(), None,
                         dataset=dataset_name(cfg.data))
    meta["latent_dim"] = str(cfg.latent_dim)
    if cfg.clusters:
        meta.update(cluster_metadata(_clustering(cfg, Path(run_dir)), cfg.cluster_space))

    rng = np.random.default_rng(1234)

    def feeds(n):
        f = {"z": rng.standard_normal((n, cfg.latent_dim)).astype(np.float32)}
        if gan.conditional:
            f["class_weights"] = random_class_weights(rng, n, k)
        return f

    def reference(f):
        return [fn(*[f[s.name] for s in sig]).numpy()]

    return finish(model, meta, Path(out), reference, feeds)


def _export_in_child(run_dir, out, cluster_temperature: float | None, best: bool) -> Path:
    """`python -m training export` with KERAS_BACKEND=tensorflow; its refusal as an ExportError."""
    import os
    import subprocess
    import sys

    args = [sys.executable, "-m", "training", "export", os.fspath(run_dir), "--out", os.fspath(out)]
    if cluster_temperature is not None:
        args += ["--cluster-temperature", repr(float(cluster_temperature))]
    if best:
        args.append("--best")
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    for line in proc.stdout.splitlines():
        if not line.startswith("exported "):  # the caller says that
            print(line)
    if proc.returncode != 0:
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("digit-train: error: ")]
        raise ExportError(errors[-1][len("digit-train: error: "):] if errors else
                          f"the TensorFlow export process failed ({proc.stderr.strip()[-300:]})")
    return Path(out)


def _clustering(cfg, run_dir: Path):
    """The run's clusters.json, checked against its config."""
    from training.clusters import Clustering

    clustering = Clustering.load(run_dir)
    if clustering.k != cfg.clusters:
        raise ExportError(f"{run_dir}: clusters.json holds {clustering.k} clusters, the config {cfg.clusters}")
    return clustering


def _export_self_conditioned(cfg, gan, epoch, run_dir: Path, out: Path, temperature: float) -> Path:
    import tensorflow as tf

    if not (np.isfinite(temperature) and 0 < temperature <= 100):
        raise ExportError("--cluster-temperature must be in (0, 100]")
    clustering = _clustering(cfg, run_dir)
    if cfg.latent_dim < clustering.k:
        raise ExportError(f"{run_dir}: {clustering.k} clusters cannot be picked from {cfg.latent_dim} latent dimensions")
    generator = gan.export_generator()
    weights_of = cluster_weights_function(clustering.priors, temperature)
    sig = [tf.TensorSpec([None, cfg.latent_dim], tf.float32, name="z")]

    @tf.function(input_signature=sig)
    def fn(z):
        img = generator([z, weights_of(z)], training=False)
        return to_unit_range(img)

    model = convert(fn, sig, ["image"])
    meta = base_metadata("generator", f"{cfg.arch}-selfcond", epoch, 0, cfg.to_json(), None,
                         dataset=dataset_name(cfg.data))
    meta["latent_dim"] = str(cfg.latent_dim)
    meta["self_conditioning"] = (f"trained without labels on {clustering.k} k-means clusters of the pixels; "
                                 f"z[:{clustering.k}] picks the cluster softly (temperature {temperature:g})")
    rng = np.random.default_rng(1234)

    def feeds(n):
        return {"z": rng.standard_normal((n, cfg.latent_dim)).astype(np.float32)}

    return finish(model, meta, out, lambda f: [fn(f["z"]).numpy()], feeds)
