"""Shared test set-up: Qt offscreen, where real MNIST lives (missing, it is a skip, or a
failure when DIGIT_STUDIO_REQUIRE_MNIST is set, as in CI), tiny fake MNIST and tiny exported models."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = Path(__file__).resolve().parents[1]
_SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _child_processes_share_a_bytecode_cache(tmp_path_factory):
    """Where bytecode is never written (PYTHONDONTWRITEBYTECODE), every `python -m desktop_app`,
    `python -m training` or model-probe child a test starts compiles each module it imports
    again: a third of a second per start. The test run's children share one bytecode cache in
    a temporary folder instead (nothing is written beside the sources); what they run is
    unchanged."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTHONDONTWRITEBYTECODE")
        patch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path_factory.mktemp("children-bytecode")))
        yield


@contextlib.contextmanager
def signals_as_in_a_terminal():
    """Spawn children inside this block to give them the signals a terminal's command has.

    pytest run as a background job (or by a CI runner) may ignore SIGINT or block signals,
    and a child inherits both: Python would then keep ignoring Ctrl-C. A handled SIGINT is
    reset to the default at exec, and the mask is emptied for the spawn.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    mask = signal.pthread_sigmask(signal.SIG_SETMASK, []) if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder with the four official MNIST .gz files (MNIST_DIR, else ../shared/data)."""
    path = Path(os.environ.get("MNIST_DIR", _SHARED_DATA))
    if not (path / "train-images-idx3-ubyte.gz").is_file():
        if os.environ.get("DIGIT_STUDIO_REQUIRE_MNIST"):  # CI: a missing data set is a failure, not a skip
            pytest.fail(f"real MNIST not found in {path} (DIGIT_STUDIO_REQUIRE_MNIST is set)")
        pytest.skip(f"real MNIST not found in {path}; set MNIST_DIR")
    return path


def write_idx(path: Path, array, magic: int) -> Path:
    """Write `array` (uint8) as a gzipped IDX file with the given magic number."""
    import gzip
    import struct

    import numpy as np

    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())
    return path


def make_tiny_mnist(folder: Path) -> Path:
    """Write the four IDX files, 512 train and 128 test fake digits, into `folder`."""
    import numpy as np

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for split, n in (("train", 512), ("t10k", 128)):
        labels = rng.integers(0, 10, n)
        images = np.zeros((n, 28, 28), np.uint8)
        for i, y in enumerate(labels):  # a bar whose position encodes the label
            images[i, 4:24, 2 + 2 * y: 5 + 2 * y] = 255
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images, 2051)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels, 2049)
    return folder


@pytest.fixture()
def tiny_mnist(tmp_path) -> Path:
    """A fresh tiny MNIST folder this test may damage."""
    return make_tiny_mnist(tmp_path / "mnist")


@pytest.fixture(scope="session")
def exported_tiny(tmp_path_factory) -> dict[str, Path]:
    """Tiny generators trained one epoch on fake digits, exported through the real path.

    Keys: "unconditional" (mlp), "conditional" (cdcgan), and their run folders as "*_run".
    Imports TensorFlow: app tests that must stay TensorFlow-free build their own ONNX files.
    """
    from training.config import TrainConfig
    from training.export import export_run
    from training.train import train

    root = tmp_path_factory.mktemp("exported")
    data = make_tiny_mnist(root / "mnist")
    out = {}
    for key, arch in (("unconditional", "mlp"), ("conditional", "cdcgan")):
        run = train(TrainConfig(arch=arch, epochs=1, data=str(data), out=str(root / arch), batch_size=64,
                                latent_dim=12, width=8 if arch == "cdcgan" else None), verbose=0)
        out[key + "_run"] = run
        out[key] = export_run(run, root / f"{arch}.onnx")
    return out
