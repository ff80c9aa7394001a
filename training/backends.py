"""Which Keras backend trains, on which devices, in which precision.

Keras picks its backend once per process, when `keras` is first imported, from the
environment variable KERAS_BACKEND. `choose` sets it (for `--backend`) or reads it, and
refuses a backend other than the one an already imported Keras runs. TensorFlow and JAX
train the same GAN (`training/gan.py`, `training/steps.py`); export always goes through
TensorFlow (tf2onnx), in a child process when this one runs another backend.

Devices: on TensorFlow a `tf.distribute` strategy (`training/distribute.py`); on JAX
Keras' own distribution API, `keras.distribution.DataParallel`, whose batch is split
across the devices while the weights are replicated. `Placement` hides the difference
from `training/train.py`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field

from training.config import BACKENDS, ConfigError

DEFAULT = "tensorflow"  # Keras' own default, and what export needs


def loaded() -> str | None:
    """The backend of the Keras already imported in this process, or None."""
    if "keras" not in sys.modules:
        return None
    import keras

    return keras.backend.backend()


def choose(backend: str | None) -> str:
    """The backend this process trains with: `backend` (--backend) if given, else
    KERAS_BACKEND, else TensorFlow. Set before Keras is imported; refused if an imported
    Keras runs another one."""
    wanted = backend or loaded() or os.environ.get("KERAS_BACKEND") or DEFAULT
    if wanted not in BACKENDS:
        raise ConfigError(f"KERAS_BACKEND={wanted[:20]!r}: this package trains with {' or '.join(BACKENDS)}")
    running = loaded()
    if running is not None and running != wanted:
        raise ConfigError(f"--backend {wanted}, but this process already loaded Keras with {running}; "
                          f"set KERAS_BACKEND={wanted} before Keras is imported (the command line does)")
    if running is None:
        os.environ["KERAS_BACKEND"] = wanted
    return wanted


def tensorflow_importable() -> bool:
    """Whether TensorFlow can be imported here (the GPU machine may have none)."""
    import importlib.util

    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def tensorboard_available(backend: str) -> bool:
    """Whether a run can write its TensorBoard log (tf.summary): where TensorFlow is
    importable. A JAX run keeps TensorFlow off the GPUs, which JAX holds."""
    if not tensorflow_importable():
        print("digit-train: note: no TensorBoard log (TensorFlow is not installed here); metrics.jsonl holds "
              "the same numbers (python -m training plot draws them)", file=sys.stderr, flush=True)
        return False
    if backend != "tensorflow":
        import tensorflow as tf

        try:
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError:  # TensorFlow has started already; it placed nothing on a GPU for us
            pass
    return True


def tensorflow_here() -> bool:
    """Whether this process can run TensorFlow-only work (export, tf2onnx) itself.

    True when its Keras runs TensorFlow, or when Keras is not loaded yet (it is then set
    to). False when it runs another backend: the work goes to a child process. Raises
    ConfigError where TensorFlow is not installed at all.
    """
    if not tensorflow_importable():
        raise ConfigError("this needs TensorFlow (tf2onnx converts through it), which is not installed here: "
                          "pip install 'digit-studio[train]', or copy the run folder to a machine that has it")
    running = loaded()
    if running is None:
        os.environ["KERAS_BACKEND"] = "tensorflow"
        return True
    return running == "tensorflow"


# --- devices ---------------------------------------------------------------------------


def jax_gpus() -> list:
    import jax

    try:
        return jax.devices("gpu")
    except RuntimeError:  # no GPU backend in this jax installation
        return []


def gpu_capability(backend: str) -> tuple[int, int] | None:
    """The first GPU's compute capability (major, minor), or None where there is no GPU."""
    if backend == "jax":
        gpus = jax_gpus()
        if not gpus:
            return None
        text = str(getattr(gpus[0], "compute_capability", "0.0"))
        major, _, minor = text.partition(".")
        return (int(major), int(minor or 0)) if major.isdigit() and (minor or "0").isdigit() else (0, 0)
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    return tuple(tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0)))


def resolve_precision(precision: str, device: str, backend: str) -> str:
    """"float32" or "bf16" for --precision; auto is bf16 only on Ampere-or-newer GPUs.

    bfloat16 needs no loss scaling; float16 would need a loss-scaling optimizer, so older
    cards stay in float32. On CPUs with AMX or AVX512-BF16 bf16 is faster too, but quality
    there is a measured choice (`--precision bf16`), not a default: whether a run ends as
    good in bf16 as in float32 has not been shown (`training bench --precision` measures
    the speed only).
    """
    if precision != "auto":
        return precision
    capability = None if device == "cpu" else gpu_capability(backend)
    return "bf16" if capability is not None and capability >= (8, 0) else "float32"


@dataclass
class Placement:
    """Where a run's steps execute: `scope()` for building the GAN, `training()` for fit()."""

    backend: str
    devices: list[str]
    replicas: int
    how: str  # "one device", "MirroredStrategy", "DataParallel", ...
    _build_scope: object = field(default=None, repr=False)
    _train_scope: object = field(default=None, repr=False)

    def scope(self):
        return self._build_scope() if self._build_scope is not None else contextlib.nullcontext()

    def training(self):
        return self._train_scope() if self._train_scope is not None else contextlib.nullcontext()


def placement(cfg) -> Placement:
    """The devices for `cfg` on the current backend (see the module docstring)."""
    if cfg.backend == "jax":
        return _jax_placement(cfg)
    from training.distribute import select_strategy

    import tensorflow as tf

    strategy = select_strategy(cfg.device, cfg.strategy, cfg.peer_timeout)
    if strategy is tf.distribute.get_strategy():  # the default: one device, TensorFlow's choice
        devices, how = [(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU"))[0].name], \
            "one device"
    else:
        devices, how = list(strategy.extended.worker_devices), type(strategy).__name__
    names = [d.split("device:")[-1].lower() for d in devices]
    return Placement("tensorflow", names, strategy.num_replicas_in_sync, how, strategy.scope)


def check(cfg) -> None:
    """What the backend refuses, checked before the run folder is made."""
    if cfg.backend != "jax":
        return
    if cfg.strategy == "multiworker":
        raise ConfigError("--strategy multiworker is TensorFlow's (MultiWorkerMirroredStrategy); with --backend jax "
                          "train on one machine's devices (--strategy mirrored), or use --backend tensorflow")
    if cfg.device == "gpu" and not jax_gpus():
        raise ConfigError("--device gpu, but JAX sees no GPU (is jax[cuda12] installed? try --device cpu); "
                          "nothing was written")


def _jax_placement(cfg) -> Placement:
    import jax
    import keras

    check(cfg)
    gpus = [] if cfg.device == "cpu" else jax_gpus()
    devices = gpus or jax.devices("cpu")
    if cfg.device == "cpu" and jax.default_backend() != "cpu":
        jax.config.update("jax_default_device", devices[0])  # GPUs stay idle
    several = cfg.strategy == "mirrored" or (cfg.strategy == "auto" and len(gpus) > 1)
    names = [f"{d.platform}:{d.id}" for d in devices]
    if not several:
        return Placement("jax", names[:1], 1, "one device")
    if len(devices) < 2:
        print(f"digit-train: note: --strategy mirrored, but JAX sees one device ({names[0]}), so this runs one "
              "replica", file=sys.stderr, flush=True)
    if cfg.batch_size % len(devices):
        raise ConfigError(f"--batch-size {cfg.batch_size} does not split evenly across {len(devices)} devices")
    distribution = keras.distribution.DataParallel(devices=devices)
    return Placement("jax", names, len(devices), "DataParallel", distribution.scope, distribution.scope)


def startup_line(gan, where: Placement, precision: str) -> str:
    """One line: backend, devices, precision, parameter count."""
    import keras

    def count(model):
        return sum(_size(v.shape) for v in model.trainable_variables)

    g, d = count(gan.generator), count(gan.discriminator)
    if where.backend == "jax":
        import jax

        version = f"jax {jax.__version__}"
    else:
        import tensorflow as tf

        version = f"tensorflow {tf.__version__}"
    shown = ", ".join(where.devices[:4]) + (f", ... ({len(where.devices)})" if len(where.devices) > 4 else "")
    return (f"training with Keras {keras.__version__} on {version}: {where.how} ({shown}), {precision}, "
            f"{g + d:,} parameters (generator {g:,}, discriminator {d:,})")


def _size(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n
