"""Training configuration as checked data.

`TrainConfig` is the single source of every knob; each default carries its reason.
Per-architecture defaults (`ARCH_DEFAULTS`) fill the fields left unset, and the resolved
config is saved as `config.json` beside the checkpoint so nothing is guessed later.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from digit_contract import run_folder

# The contract's names (digit_contract/run_folder.py), which the app offers without training:
# not imported from training.models, so checking a command line never loads Keras.
ARCH_NAMES = run_folder.ARCH_NAMES
PRECISIONS = ("auto", "float32", "bf16")
BACKENDS = ("tensorflow", "jax")  # Keras backends this package trains with (training/backends.py)
STRATEGIES = ("auto", "one", "mirrored", "multiworker")
LOSSES = ("bce", "hinge")
CLUSTER_SPACES = ("pixels", "deskewed")  # what k-means clusters (training/clusters.py)


class ConfigError(ValueError):
    """An unknown option, a wrong type or an impossible value."""


MAX_LATENT_DIM = 4096  # the model contract's maximum (docs/model-contract.md): the app loads no wider z
MAX_TRAIN_SAMPLES = 1_000_000  # training.data.MAX_ITEMS: no data file holds more
# Whole-number options and their ranges, checked when a config is made, before anything is
# built or written. The upper ends lie far past any useful MNIST run; they stop a typo from
# allocating the machine away (--latent-dim 100000000), overflowing Keras' epoch loop
# (--epochs 99999999999999999999) or spinning through a divisor search (--steps-per-execution).
LIMITS: dict[str, tuple[int, int]] = {
    "epochs": (1, 10_000),
    "batch_size": (1, 8192),  # None (the architecture's default) is not checked
    "latent_dim": (1, MAX_LATENT_DIM),
    "steps_per_execution": (1, 1000),
}
_LIMIT_REASONS = {"latent_dim": " (the model contract's maximum)"}


@dataclass(frozen=True)
class TrainConfig:
    arch: str = "dcgan"  # mlp (the tutorial's reference) | dcgan (any digit) | cdcgan (the digit asked for)
    epochs: int = 30  # passes over the training images; 30 is enough for the DCGANs to converge
    batch_size: int | None = None  # images per step (the architecture's default when unset)
    lr: float | None = None  # Adam's learning rate for both networks
    beta_1: float | None = None  # Adam's first moment; 0.5 is the DCGAN paper's value
    latent_dim: int = 100  # the reference recipe's latent size
    width: int | None = None  # DCGAN channels at 14x14 (twice that at 7x7); the MLP ignores it
    d_width: int | None = None  # the discriminator's width; it is never exported, so it costs training time only
    minibatch_stddev: bool = False  # D sees each batch's feature spread (fights mode collapse)
    loss: str = "bce"  # bce: the recipe's non-saturating loss | hinge: the projection discriminator's (DCGANs)
    precision: str = "auto"  # float32 | bf16 | auto (bf16 on Ampere-or-newer GPUs, else float32)
    backend: str | None = None  # tensorflow | jax: Keras' backend (unset: KERAS_BACKEND, else tensorflow); export uses TensorFlow
    clusters: int = 0  # cdcgan, no labels: K > 0 conditions on K k-means clusters of the images instead
    cluster_space: str = "pixels"  # pixels | deskewed: what k-means clusters (deskewed: purer clusters)
    ema: float | None = None  # decay of the exported generator's weight average (0: none); smooths GAN jitter
    lr_decay_epochs: int = 0  # the last N epochs lower both learning rates linearly towards 0 (0: constant)
    seed: int = 0  # one seed drives weights, shuffling and noise
    data: str | None = None  # MNIST's folder, an .npz, or a folder of your own digit images (docs/training.md)
    out: str = "runs/default"  # the run folder: config, checkpoint, samples, metrics (docs/run-folder.md)
    device: str = "auto"  # auto | cpu | gpu
    strategy: str = "auto"  # auto | one | mirrored | multiworker: how devices share a step (docs/training.md)
    train_samples: int = 0  # 0: all 60,000; a smaller number is for smoke tests
    max_steps: int = 0  # >0: a smoke run of at most N steps per epoch (trains on the first N x batch images)
    steps_per_execution: int = 8  # steps per compiled call (at most; tiles each epoch exactly): speed only
    resume: bool = False  # continue the run in --out from its last finished epoch
    estimate_every: int = 1  # epochs between FID/IS estimates (0: off); about 1 s on 2 cores, the curve to watch
    peer_timeout: float = 300.0  # multiworker: seconds to wait for the other workers before giving up

    def __post_init__(self):
        _check_types(self)
        if self.arch not in ARCH_NAMES:
            raise ConfigError(f"unknown --arch {self.arch!r}; choose one of {', '.join(ARCH_NAMES)}")
        if self.device not in ("auto", "cpu", "gpu"):
            raise ConfigError(f"--device must be auto, cpu or gpu, not {self.device!r}")
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        if self.loss not in LOSSES:
            raise ConfigError(f"--loss must be one of {', '.join(LOSSES)}, not {self.loss!r}")
        if self.loss == "hinge" and self.arch == "mlp":
            raise ConfigError("--loss hinge needs logits: the reference recipe's discriminator ends in a sigmoid")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        if self.backend is not None and self.backend not in BACKENDS:
            raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if value is not None and not low <= value <= high:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least {low} and at most {high}"
                                  f"{_LIMIT_REASONS.get(name, '')}")
        if self.clusters and (self.arch != "cdcgan" or not 2 <= self.clusters <= 100):
            raise ConfigError("--clusters needs --arch cdcgan and a count in 2..100 (0: condition on the digit labels)")
        if self.cluster_space not in CLUSTER_SPACES:
            raise ConfigError(f"--cluster-space must be one of {', '.join(CLUSTER_SPACES)}, not {self.cluster_space!r}")
        if self.cluster_space != "pixels" and not self.clusters:
            raise ConfigError("--cluster-space needs --clusters")
        if self.width is not None and not 1 <= self.width <= 1024:
            raise ConfigError("--width must be between 1 and 1024")
        if self.d_width is not None and not 1 <= self.d_width <= 1024:
            raise ConfigError("--d-width must be between 1 and 1024")
        if self.lr is not None and not 0 < self.lr < 1:  # NaN fails every comparison: refused too
            raise ConfigError("--lr must be between 0 and 1")
        if self.beta_1 is not None and not 0 <= self.beta_1 < 1:
            raise ConfigError("--beta-1 must be in [0, 1)")
        if not 0 <= self.seed < 2**31:
            raise ConfigError("--seed must be in 0..2147483647")
        if not 1 <= self.peer_timeout <= 86_400:  # NaN fails the comparison: refused too
            raise ConfigError("--peer-timeout must be between 1 and 86400 seconds")
        if self.ema is not None and not 0 <= self.ema < 1:
            raise ConfigError("--ema must be in [0, 1)")
        if not 0 <= self.max_steps <= MAX_TRAIN_SAMPLES:
            raise ConfigError(f"--max-steps must be 0 (whole epochs) or a number of steps, at most {MAX_TRAIN_SAMPLES}")
        if not 0 <= self.train_samples <= MAX_TRAIN_SAMPLES:
            raise ConfigError(f"--train-samples must be 0 (all) or positive, at most {MAX_TRAIN_SAMPLES}")
        if not 0 <= self.lr_decay_epochs <= self.epochs:
            raise ConfigError("--lr-decay-epochs must be between 0 and --epochs")
        if not 0 <= self.estimate_every <= LIMITS["epochs"][1]:
            raise ConfigError("--estimate-every must be 0 (no estimates) or a number of epochs, "
                              f"at most {LIMITS['epochs'][1]}")

    def resolved(self) -> "TrainConfig":
        """This config with every None replaced by the architecture's default."""
        defaults = ARCH_DEFAULTS[self.arch]
        return dataclasses.replace(self, **{k: v for k, v in defaults.items() if getattr(self, k) is None})

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        removed = sorted(k for k in set(d) & set(REMOVED_OPTIONS) if d[k] != REMOVED_OPTIONS[k])
        if removed:
            raise ConfigError(f"this run used {', '.join('--' + k.replace('_', '-') for k in removed)}, an option "
                              "that was measured, lost and removed; docs/results.md names the release that "
                              "still has it")
        d = {k: v for k, v in d.items() if k not in REMOVED_OPTIONS}  # older runs record them switched off
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown config key(s): {', '.join(unknown)}")
        return cls(**d)

    @classmethod
    def load(cls, path: Path) -> "TrainConfig":
        try:
            data = json.loads(Path(path).read_bytes().decode("utf-8"))
        except (OSError, ValueError) as e:  # ValueError: not UTF-8, not JSON
            raise ConfigError(f"{path}: cannot read config ({e})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a config is a JSON object, not {type(data).__name__}")
        return cls.from_dict(data)


# Options that lost their measurements and were removed (docs/results.md: what each gave,
# and the commit that can rerun it), with the value that meant "off": a run folder that
# records them switched off still loads.
REMOVED_OPTIONS: dict[str, Any] = {"cluster_temperature": 0.0, "hard_critic": False, "soft_reals": False,
                                   "path_reg": 0.0}


# The reference recipe is fixed by the tutorial: Adam 1e-4 (Keras' default beta_1), batch 256,
# no EMA. The DCGANs use the DCGAN paper's Adam(2e-4, 0.5), batch 128 (more updates per epoch
# matter more than bigger batches on 2 cores) and an EMA of the generator for the export.
ARCH_DEFAULTS: dict[str, dict[str, Any]] = {
    "mlp": dict(batch_size=256, lr=1e-4, beta_1=0.9, ema=0.0),  # the recipe fixes its sizes
    "dcgan": dict(batch_size=128, lr=2e-4, beta_1=0.5, ema=0.999, width=32),
    "cdcgan": dict(batch_size=128, lr=2e-4, beta_1=0.5, ema=0.999, width=32),
}


def lr_factor(epoch: int, epochs: int, decay_epochs: int) -> float:
    """The learning rate's multiplier in 1-based `epoch` of `epochs`.

    1 until the last `decay_epochs` epochs, which step down linearly: with 4 of them the
    factors are 4/5, 3/5, 2/5, 1/5, so the last epoch still learns something.
    """
    remaining = epochs - epoch + 1  # this epoch included
    return 1.0 if remaining > decay_epochs else remaining / (decay_epochs + 1)


def _check_types(cfg: TrainConfig) -> None:
    hints = {f.name: f.type for f in fields(cfg)}
    for name, hint in hints.items():
        value = getattr(cfg, name)
        allowed = _types_of(hint)
        if value is None and type(None) in allowed:
            continue
        if isinstance(value, bool) and bool not in allowed:
            raise ConfigError(f"--{name.replace('_', '-')} expects {hint}, got {value!r}")
        if float in allowed and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, tuple(t for t in allowed if t is not type(None))):
            raise ConfigError(f"--{name.replace('_', '-')} expects {hint}, got {value!r}")


def _types_of(hint: str) -> tuple[type, ...]:
    table = {"int": int, "float": float, "str": str, "bool": bool, "None": type(None)}
    return tuple(table[part.strip()] for part in str(hint).split("|"))


def field_parsers() -> dict[str, tuple[type, bool]]:
    """For the CLI: each field's base type and whether None is allowed."""
    out = {}
    for f in fields(TrainConfig):
        types = _types_of(f.type)
        base = next(t for t in types if t is not type(None))
        out[f.name] = (base, type(None) in types)
    return out


# Named recipes (`train --recipe NAME`): the exact settings of the shipped models, so a
# user reproduces them with one word. Command-line options override a recipe's fields.
# Each recipe's name, architecture and epochs are the contract's (run_folder.RECIPES: the
# app's Training panel starts from them); the rest of its settings are written here.
_RECIPE_SETTINGS: dict[str, dict[str, Any]] = {
    # exported_models/generator.onnx: digits on demand (class weights), the last 10 of 30 epochs decayed
    "default": dict(width=48, precision="float32", lr_decay_epochs=10, ema=0.995, seed=1, batch_size=128),
    # exported_models/unconditional.onnx: no labels; 30 k-means clusters of the deskewed images
    "label-free": dict(clusters=30, cluster_space="deskewed", width=48, precision="float32",
                       lr_decay_epochs=10, ema=0.998, seed=0, batch_size=128),
    # the reference MLP GAN of the original MNIST GAN tutorial (not shipped; docs/results.md)
    "reference": dict(),
}


def _recipes() -> dict[str, dict[str, Any]]:
    """Each recipe's full settings; refuses to load when the names here and the contract's differ."""
    if set(_RECIPE_SETTINGS) != set(run_folder.RECIPES):
        raise ImportError(f"training/config.py's recipes {sorted(_RECIPE_SETTINGS)} differ from "
                          f"digit_contract/run_folder.py's {sorted(run_folder.RECIPES)}")
    return {name: dict(arch=basis.arch, epochs=basis.epochs, **_RECIPE_SETTINGS[name])
            for name, basis in run_folder.RECIPES.items()}


RECIPES: dict[str, dict[str, Any]] = _recipes()


def from_recipe(name: str, overrides: dict[str, Any]) -> TrainConfig:
    """The recipe `name` with `overrides` (what the command line gave) on top.

    A recipe's learning-rate decay keeps its share of the epochs: `--recipe default
    --epochs 6` decays the last 2 (10 of 30), unless --lr-decay-epochs is given too.
    """
    if name not in RECIPES:
        raise ConfigError(f"unknown --recipe {name!r}; choose one of {', '.join(RECIPES)}")
    return TrainConfig(**with_overrides(RECIPES[name], overrides))


def with_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` (a recipe's or a replayed run's fields) with `overrides` on top. A new
    --epochs without --lr-decay-epochs keeps the decayed share of the run: 10 of 30 epochs
    becomes 2 of 6."""
    fields_ = {**base, **overrides}
    epochs, decay = base.get("epochs", TrainConfig.epochs), base.get("lr_decay_epochs", 0)
    if "epochs" in overrides and "lr_decay_epochs" not in overrides and decay:
        fields_["lr_decay_epochs"] = min(overrides["epochs"], round(overrides["epochs"] * decay / epochs))
    return fields_


def field_help() -> dict[str, str]:
    """Each field's one-line reason, as written beside its default in `TrainConfig` above
    (the one place it is written): `train --help` shows them."""
    import inspect
    import re

    try:
        source = inspect.getsource(TrainConfig)
    except (OSError, TypeError):  # no source (a frozen build): help without reasons
        return {}
    pattern = re.compile(r"^\s+(\w+): [^=]+= .+?  # (.+)$")
    return {m[1]: m[2].strip() for m in map(pattern.match, source.splitlines()) if m}
