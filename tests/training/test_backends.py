"""One GAN, two Keras backends: the JAX step does the TensorFlow step's maths, runs move
between backends through their checkpoints, JAX trains on several devices and without
TensorFlow installed, and export always goes through TensorFlow.

Keras picks its backend when it is first imported, so every JAX case (and every case
that compares backends) runs in subprocesses; this test process runs TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO_ROOT
from training import checkpoint
from training.config import ConfigError, TrainConfig

TINY = ["--arch", "cdcgan", "--width", "8", "--latent-dim", "16", "--batch-size", "64", "--precision", "float32"]


def _python(code_or_args, backend: str, env=None, timeout=600) -> subprocess.CompletedProcess:
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else list(code_or_args)
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": backend, **(env or {})})
    return proc


def _ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def _train(backend: str, data, out, epochs: int, *extra, env=None) -> subprocess.CompletedProcess:
    return _python(["-m", "training", "train", *TINY, "--data", str(data), "--out", str(out), "--epochs", str(epochs),
                    "--backend", backend, *extra], backend, env=env)


def _rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


# --- the same maths -------------------------------------------------------------------

# Two steps of the MLP recipe (no dropout, whose masks each backend draws its own way) from
# the same weights, on the same batches, with the same noise: BatchNorm, both losses, each
# network's gradient of its own loss, the one Adam, the EMA.
_TWO_STEPS = """
import sys, numpy as np, keras
from training import checkpoint
from training.batches import EpochBatches
from training.config import TrainConfig
from training.train import build_gan
start, out = sys.argv[1], sys.argv[2]
gan = build_gan(TrainConfig(arch="mlp", latent_dim=8, batch_size=32, ema=0.9, steps_per_execution=1).resolved())
if start == "-":
    checkpoint.save(out + "/start", gan.state_variables(), 0)
else:
    arrays, _ = checkpoint.read(start)
    checkpoint.restore(gan.state_variables(), arrays, start)
rng = np.random.default_rng(0)
images, labels = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8), rng.integers(0, 10, 64).astype(np.uint8)
z = rng.standard_normal((32, 8)).astype("float32")
gan.draw_noise = lambda batch: keras.ops.convert_to_tensor(z)  # traced once: every step draws z
gan.fit(EpochBatches(images, labels, 32, 0, 0, 1), epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
checkpoint.save(out + "/end", gan.state_variables(), 1)
"""


@pytest.mark.slow
def test_backend_jax_step_does_the_tensorflow_steps_maths(tmp_path):
    _ok(_python(["-c", _TWO_STEPS, "-", str(tmp_path / "tf")], "tensorflow"))
    _ok(_python(["-c", _TWO_STEPS, str(tmp_path / "tf" / "start"), str(tmp_path / "jax")], "jax"))
    tf_end, _ = checkpoint.read(tmp_path / "tf" / "end")
    jax_end, _ = checkpoint.read(tmp_path / "jax" / "end")
    start, _ = checkpoint.read(tmp_path / "tf" / "start")
    assert set(tf_end) == set(jax_end)
    moved = 0
    for key, value in tf_end.items():
        if key == "noise/state":  # the fixed noise drew nothing
            continue
        np.testing.assert_allclose(jax_end[key], value, rtol=2e-4, atol=2e-6, err_msg=key)
        moved += not np.array_equal(value, start[key])
    assert tf_end["g_opt/iteration"] == tf_end["d_opt/iteration"] == 2
    assert moved > len(tf_end) // 2  # weights, slots, BatchNorm statistics and the average all moved


# --- checkpoints travel between backends -------------------------------------------------

_ROUND_TRIP = """
import sys, numpy as np
from pathlib import Path
from training import checkpoint
from training.config import TrainConfig
from training.train import build_gan
run, out = Path(sys.argv[1]), Path(sys.argv[2])
gan = build_gan(TrainConfig.load(run / "config.json").resolved())
arrays, epoch = checkpoint.read(run)
checkpoint.restore(gan.state_variables(), arrays, run)
checkpoint.save(out, gan.state_variables(), epoch)
"""


@pytest.mark.slow
@pytest.mark.parametrize("first, second", [("jax", "tensorflow"), ("tensorflow", "jax")])
def test_backend_resume_across(tiny_mnist, tmp_path, first, second):
    """A run trained one epoch on one backend continues on the other, from exactly its checkpoint."""
    run = tmp_path / "run"
    one = _ok(_train(first, tiny_mnist, run, 1, "--estimate-every", "0"))
    assert f"training with Keras {__import__('keras').__version__} on {first}" in one.stdout
    assert json.loads((run / "config.json").read_text())["backend"] == first
    # Exactly the checkpoint: the other backend loads every array and writes back the same.
    _ok(_python(["-c", _ROUND_TRIP, str(run), str(tmp_path / "again")], second))
    saved, _ = checkpoint.read(run)
    again, _ = checkpoint.read(tmp_path / "again")
    assert set(saved) == set(again)
    for key in saved:
        assert saved[key].dtype == again[key].dtype, key
        np.testing.assert_array_equal(again[key], saved[key], err_msg=key)

    two = _ok(_train(second, tiny_mnist, run, 2, "--resume"))
    assert "resuming" in two.stdout and "after epoch 1" in two.stdout and f"on {second}" in two.stdout
    rows = _rows(run)
    assert [r["epoch"] for r in rows] == [1, 2]
    assert all(0.5 < r["d_loss"] < 3 and 0.2 < r["g_loss"] < 5 for r in rows)
    assert np.isfinite(rows[1]["fid_estimate"])  # the per-epoch estimate on the second backend
    assert json.loads((run / "config.json").read_text())["backend"] == second
    arrays, epoch = checkpoint.read(run)
    assert epoch == 2 and arrays["g_opt/iteration"] == arrays["d_opt/iteration"] == 16


_EXPORT_FROM_JAX = """
import sys, keras
from training.export import export_run
assert keras.backend.backend() == "jax"
print("out:", export_run(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.slow
def test_backend_export_from_a_jax_process_goes_through_tensorflow(tiny_mnist, tmp_path):
    from desktop_app.core.models.generator import Generator

    run = tmp_path / "run"
    _ok(_train("jax", tiny_mnist, run, 1, "--estimate-every", "0"))
    proc = _ok(_python(["-c", _EXPORT_FROM_JAX, str(run), str(tmp_path / "g.onnx")], "jax"))
    assert f"out: {tmp_path / 'g.onnx'}" in proc.stdout
    gen = Generator.from_path(tmp_path / "g.onnx")
    assert gen.conditional and gen.latent_dim == 16
    # The command line too, whatever KERAS_BACKEND says.
    _ok(_python(["-m", "training", "export", str(run), "--out", str(tmp_path / "h.onnx")], "jax"))
    assert Generator.from_path(tmp_path / "h.onnx").latent_dim == 16


# --- JAX without TensorFlow (the GPU machine has none) ----------------------------------

_WITHOUT_TENSORFLOW = """
import importlib.abc, sys
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("tensorflow", "tf2onnx", "tensorboard"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
from training.__main__ import main
code = main(sys.argv[2:])
print("modules:", sorted(m for m in ("tensorflow", "tf2onnx", "tensorboard") if m in sys.modules))
print("backend:", sys.modules["keras"].backend.backend() if "keras" in sys.modules else None)
sys.exit(code)
"""


@pytest.mark.slow
def test_backend_jax_trains_without_tensorflow_and_export_says_it_needs_it(tiny_mnist, tmp_path):
    run = tmp_path / "run"
    proc = _ok(_python(["-c", _WITHOUT_TENSORFLOW, "-", "train", *TINY, "--data", str(tiny_mnist), "--out", str(run),
                        "--epochs", "1", "--backend", "jax"], "tensorflow"))
    assert "modules: []" in proc.stdout and "backend: jax" in proc.stdout
    assert "digit-train: note: no TensorBoard log (TensorFlow is not installed here)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (run / "tensorboard").exists()
    rows = _rows(run)
    assert [r["epoch"] for r in rows] == [1] and np.isfinite(rows[0]["fid_estimate"])
    assert (run / "samples" / "epoch_0001.png").is_file() and (run / "progress.gif").is_file()
    assert checkpoint.read(run)[1] == 1

    proc = _python(["-c", _WITHOUT_TENSORFLOW, "-", "export", str(run), "--out", str(tmp_path / "g.onnx")], "jax")
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("digit-train")]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert len(errors) == 1 and "needs TensorFlow" in errors[0] and "not installed here" in errors[0]
    assert not (tmp_path / "g.onnx").exists()


# --- several devices on JAX -------------------------------------------------------------

_TWO_HOST_DEVICES = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}

# Build under DataParallel over two host devices; the step's noise for the global batch,
# sharded like the batch, must differ between the devices; a fitted weight is on both.
_NOISE_PER_DEVICE = """
import json, jax, keras, numpy as np
from keras import ops
from training.batches import EpochBatches
from training.config import TrainConfig
from training.train import build_gan
dist = keras.distribution.DataParallel(devices=jax.devices("cpu"))
with dist.scope():
    gan = build_gan(TrainConfig(arch="dcgan", width=4, latent_dim=8, batch_size=8).resolved())
seed = gan.noise_seed.state
batch = jax.sharding.NamedSharding(dist.device_mesh.backend_mesh, jax.sharding.PartitionSpec("batch"))
def noise(state):
    with keras.StatelessScope(state_mapping=[(seed, state)]):
        return jax.lax.with_sharding_constraint(gan.draw_noise(8), batch)
z = jax.jit(noise)(seed.value)
halves = [np.asarray(s.data) for s in sorted(z.addressable_shards, key=lambda s: s.device.id)]
rng = np.random.default_rng(0)
images, labels = rng.integers(0, 256, (16, 28, 28), dtype=np.uint8), rng.integers(0, 10, 16).astype(np.uint8)
with dist.scope():
    gan.fit(EpochBatches(images, labels, 8, 0, 0, 1), epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
kernel = gan.generator.trainable_variables[0].value
print(json.dumps({"devices": len(jax.devices()), "shards": [list(h.shape) for h in halves],
                  "same": bool(np.array_equal(*halves)), "weights_on": len(kernel.sharding.device_set),
                  "finite": bool(np.isfinite(np.asarray(kernel)).all())}))
"""


@pytest.mark.slow
def test_backend_jax_data_parallel_devices_draw_different_noise():
    proc = _ok(_python(["-c", _NOISE_PER_DEVICE], "jax", env=_TWO_HOST_DEVICES))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"devices": 2, "shards": [[4, 8], [4, 8]], "same": False, "weights_on": 2, "finite": True}


@pytest.mark.slow
def test_backend_jax_data_parallel_on_two_host_devices_trains_resumes_and_exports(tiny_mnist, tmp_path):
    from desktop_app.core.models.generator import Generator

    run = tmp_path / "run"
    first = _ok(_train("jax", tiny_mnist, run, 1, "--strategy", "mirrored", "--estimate-every", "0",
                       env=_TWO_HOST_DEVICES))
    assert "DataParallel (cpu:0, cpu:1)" in first.stdout
    second = _ok(_train("jax", tiny_mnist, run, 2, "--strategy", "mirrored", "--resume", "--estimate-every", "0",
                        env=_TWO_HOST_DEVICES))
    assert "after epoch 1" in second.stdout
    rows = _rows(run)
    assert [r["epoch"] for r in rows] == [1, 2]
    # Losses are means over the global batch, as on one device.
    assert all(0.5 < r["d_loss"] < 3 and 0.2 < r["g_loss"] < 5 for r in rows)
    _ok(_python(["-m", "training", "export", str(run), "--out", str(tmp_path / "g.onnx")], "tensorflow"))
    assert Generator.from_path(tmp_path / "g.onnx").conditional


@pytest.mark.slow
def test_backend_jax_refuses_multiworker_and_an_absent_gpu_in_one_line(tiny_mnist, tmp_path):
    for extra, needle in ((["--strategy", "multiworker"], "--strategy multiworker is TensorFlow's"),
                          (["--device", "gpu"], "--device gpu, but JAX sees no GPU")):
        proc = _train("jax", tiny_mnist, tmp_path / "r", 1, *extra, env={"JAX_PLATFORMS": "cpu"})
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("digit-train")]
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
        assert len(lines) == 1 and needle in lines[0], lines
        assert not (tmp_path / "r").exists()


# --- choosing the backend (this process runs TensorFlow) ---------------------------------


def test_backend_is_tensorflow_or_jax():
    with pytest.raises(ConfigError, match="--backend must be one of tensorflow, jax"):
        TrainConfig(backend="torch")
    assert TrainConfig(backend="jax").backend == "jax" and TrainConfig().backend is None


def test_backend_cannot_change_once_keras_is_loaded(monkeypatch):
    import keras

    from training import backends

    assert keras.backend.backend() == "tensorflow"
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    with pytest.raises(ConfigError, match="already loaded Keras with tensorflow"):
        backends.choose("jax")
    assert backends.choose("tensorflow") == "tensorflow"
    assert backends.choose(None) == "tensorflow"  # the loaded Keras wins over the environment


def test_backend_neutral_batches_follow_the_epoch_permutations():
    from training.batches import EpochBatches, epoch_order

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (100, 28, 28), dtype=np.uint8)
    labels = np.arange(100) % 10
    full = EpochBatches(images, labels, 32, seed=5, first_epoch=0, last_epoch=3)
    resumed = EpochBatches(images, labels, 32, seed=5, first_epoch=1, last_epoch=3)
    assert len(full) == 9 and len(resumed) == 6  # 3 full batches an epoch, the remainder dropped
    for i in range(6):  # a resumed run sees exactly the batches an uninterrupted one does
        for a, b in zip(resumed[i], full[i + 3]):
            np.testing.assert_array_equal(a, b)
    x, y = full[0]
    assert x.shape == (32, 28, 28, 1) and x.dtype == np.float32 and -1 <= x.min() and x.max() <= 1
    assert y.dtype == np.int32
    seen = np.concatenate([full[i][1] for i in range(3)])
    np.testing.assert_array_equal(seen, labels[epoch_order(100, 5, 0)[:96]])
    assert not np.array_equal(epoch_order(100, 5, 0), epoch_order(100, 5, 1))
    with pytest.raises(IndexError):
        full[9]


def test_backend_one_adam_keeps_the_two_optimizer_checkpoint_keys(tmp_path):
    """Old run folders resume: g_opt/... and d_opt/... as before; the shared counter must agree."""
    from training.train import build_gan

    gan = build_gan(TrainConfig(arch="mlp", latent_dim=8).resolved())
    keys = gan.state_variables()
    g_slots = {k for k in keys if k.startswith("g_opt/") and k.endswith("_momentum")}
    d_slots = {k for k in keys if k.startswith("d_opt/") and k.endswith("_momentum")}
    # The MLP's two networks share layer names: the slots are told apart by whose variable they shadow.
    assert len(g_slots) == len(gan.generator.trainable_variables)
    assert len(d_slots) == len(gan.discriminator.trainable_variables)
    assert "g_opt/hidden1_dense_kernel_momentum" in g_slots and "d_opt/hidden1_dense_kernel_momentum" in d_slots
    assert keys["g_opt/iteration"] is keys["d_opt/iteration"] is gan.optimizer.iterations
    assert not any(v.trainable for v in gan.non_trainable_variables)
    checkpoint.save(tmp_path, keys, 1)
    arrays, _ = checkpoint.read(tmp_path)
    arrays["d_opt/iteration"] = arrays["g_opt/iteration"] + 1
    with pytest.raises(checkpoint.CheckpointError, match="g_opt/iteration and d_opt/iteration differ"):
        checkpoint.restore(gan.state_variables(), arrays, tmp_path)


def test_backend_ema_generator_is_not_trainable():
    from training.train import build_gan

    gan = build_gan(TrainConfig(arch="dcgan", width=4, latent_dim=8, ema=0.9).resolved())
    assert not gan.ema_generator.trainable_weights
    trainable = {id(v) for v in gan.trainable_variables}
    assert trainable == {id(v) for v in gan.generator.trainable_variables + gan.discriminator.trainable_variables}


# --- bench: "is bf16 faster for my recipe?" ----------------------------------------------


@pytest.mark.slow
def test_backend_bench_times_a_recipe_in_each_precision(capsys):
    from training.__main__ import main

    assert main(["bench", "--steps", "2", "--arch", "cdcgan", "--width", "4", "--precision", "float32", "bf16"]) == 0
    out = capsys.readouterr().out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["backend"] == "tensorflow" and result["width"] == 4 and result["reference_loop_steps_per_s"] > 0
    for precision in ("float32", "bf16"):
        assert result[f"cdcgan_w4_{precision}_steps_per_s"] > 0, result
        assert f"cdcgan_w4_{precision} fit() on tensorflow" in out
    import keras

    assert keras.config.dtype_policy().name == "float32"  # the bf16 round left nothing behind


@pytest.mark.slow
def test_backend_bench_on_jax_times_fit_alone():
    proc = _ok(_python(["-m", "training", "bench", "--steps", "2", "--arch", "mlp", "--backend", "jax"], "tensorflow"))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["backend"] == "jax" and result["mlp_steps_per_s"] > 0
    assert "reference_loop_steps_per_s" not in result  # the reference loop is TensorFlow's own


@pytest.mark.slow
def test_backend_gpu_check_script_rehearses_on_the_cpu(mnist_dir, tmp_path):
    """scripts/gpu_check.sh, the prepared GPU check, on a few batches: what comes back fits
    the device tool's limits (at most 8 files, 16 MB each, two folders deep)."""
    out = tmp_path / "out"
    proc = subprocess.run(["bash", "scripts/gpu_check.sh"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OUT": str(out), "EPOCHS": "1", "TRAIN_SAMPLES": "256",
                               "DATA": str(mnist_dir), "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["run/best.json", "run/best.npz", "run/checkpoint.npz", "run/config.json", "run/metrics.jsonl",
                     "run/progress.gif", "summary.json", "train.log"]
    assert all((out / f).stat().st_size < 16 * 2**20 for f in files)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["backend"] == "jax" and summary["steps_per_epoch"] == 2 and summary["steps_per_s"] > 0
    assert "gpu_check: " in proc.stdout and " steps/s " in proc.stdout
    cfg = json.loads((out / "run" / "config.json").read_text())
    assert (cfg["arch"], cfg["width"], cfg["batch_size"], cfg["ema"], cfg["seed"]) == ("cdcgan", 48, 128, 0.995, 1)
