"""Training runs: outputs a user looks at, exact resume, survival of SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO_ROOT
from training import checkpoint
from training.config import ConfigError, TrainConfig
from training.train import train

pytestmark = pytest.mark.slow


def _cfg(data, out, **kw):
    base = dict(arch="mlp", epochs=2, data=str(data), out=str(out), batch_size=64,
                steps_per_execution=2, seed=3)
    base.update(kw)
    return TrainConfig(**base)


def _losses(run_dir):
    rows = [json.loads(ln) for ln in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [(r["epoch"], r["d_loss"], r["g_loss"]) for r in rows]


def test_run_writes_grid_log_checkpoint_gif_and_config(tiny_mnist, tmp_path):
    run = train(_cfg(tiny_mnist, tmp_path / "run"), verbose=0)
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_0001.png", "epoch_0002.png"]
    from PIL import Image

    with Image.open(run / "samples" / "epoch_0002.png") as grid:
        assert grid.size[0] == grid.size[1] > 4 * 28  # a 4x4 grid, upscaled
    with Image.open(run / "progress.gif") as gif:
        assert gif.n_frames == 2
    assert [e for e, *_ in _losses(run)] == [1, 2]
    saved = TrainConfig.load(run / "config.json")
    assert saved.batch_size == 64 and saved.lr == 1e-4  # resolved: the recipe's lr is written down
    _, epoch = checkpoint.read(run)
    assert epoch == 2


@pytest.mark.parametrize("arch, extra", [
    ("mlp", {}),
    ("cdcgan", {}),
    # 6 steps an epoch, at most 4 a call: executions must still tile each epoch exactly.
    ("mlp", {"train_samples": 384, "steps_per_execution": 4}),
    # The learning rate steps down over epochs 2 and 3: the resumed half must follow it.
    ("mlp", {"lr_decay_epochs": 2}),
])
def test_resumed_run_matches_uninterrupted_run(tiny_mnist, tmp_path, arch, extra):
    # In a fresh process: the claim is "same batches, noise and masks give the same run",
    # and a long test session's leftovers (thread pools sized by earlier tests) change the
    # order of float reductions, which Adam turns into visible weight differences.
    code = ("import json, sys; from tests.training.test_train import check_resume_matches; "
            "check_resume_matches(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))")
    proc = subprocess.run([sys.executable, "-c", code, str(tiny_mnist), str(tmp_path), arch, json.dumps(extra)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def check_resume_matches(data, tmp: str, arch: str, extra: dict) -> None:
    """Train 3 epochs straight and 1 + 2 resumed; losses and every checkpointed array agree."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    tmp_path = Path(tmp)
    straight = train(_cfg(data, tmp_path / "a", arch=arch, epochs=3, **extra), verbose=0)
    # The first leg stops before the decay window, which the resumed leg then adds.
    first_leg = {k: v for k, v in extra.items() if k != "lr_decay_epochs"}
    train(_cfg(data, tmp_path / "b", arch=arch, epochs=1, **first_leg), verbose=0)
    resumed = train(_cfg(data, tmp_path / "b", arch=arch, epochs=3, resume=True, **extra), verbose=0)
    np.testing.assert_allclose(_losses(resumed), _losses(straight), rtol=1e-4)
    a, _ = checkpoint.read(straight)
    b, _ = checkpoint.read(resumed)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_existing_run_needs_resume_and_same_config(tiny_mnist, tmp_path):
    train(_cfg(tiny_mnist, tmp_path / "r", epochs=1), verbose=0)
    with pytest.raises(ConfigError, match="--resume"):
        train(_cfg(tiny_mnist, tmp_path / "r", epochs=2), verbose=0)
    with pytest.raises(ConfigError, match="lr"):
        train(_cfg(tiny_mnist, tmp_path / "r", epochs=2, lr=3e-4, resume=True), verbose=0)


def test_interrupted_checkpoint_write_keeps_the_last_good_one(tiny_mnist, tmp_path, monkeypatch):
    run = train(_cfg(tiny_mnist, tmp_path / "r", epochs=1), verbose=0)
    before = (run / checkpoint.CHECKPOINT_NAME).read_bytes()

    def dies_halfway(f, **arrays):
        f.write(b"PK half a zip")
        raise KeyboardInterrupt  # the user's Ctrl-C lands mid-write

    monkeypatch.setattr(np, "savez", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(run, {}, 2)
    assert (run / checkpoint.CHECKPOINT_NAME).read_bytes() == before
    assert not list(run.glob("*.tmp"))


def test_ctrl_c_just_after_the_temp_file_appears_leaves_no_temp_file(tmp_path, monkeypatch):
    """The Ctrl-C test once left `.wall_time.json.*.tmp` behind: the interrupt landed between
    the temp file's creation and the `try` that cleans it up."""
    (tmp_path / "wall_time.json").write_bytes(b"before")
    real_open = os.open

    def interrupted_open(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if flags & os.O_CREAT and ".tmp" in os.fspath(path):
            os.close(fd)
            raise KeyboardInterrupt  # lands the moment the file exists
        return fd

    monkeypatch.setattr(os, "open", interrupted_open)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.atomic_write_bytes(tmp_path / "wall_time.json", lambda f: f.write(b"after"))
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wall_time.json"]
    assert (tmp_path / "wall_time.json").read_bytes() == b"before"


def test_sigkill_mid_epoch_then_resume_finishes(mnist_dir, tmp_path):
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "training", "train", "--arch", "mlp", "--epochs", "4",
            "--data", str(mnist_dir), "--out", str(out), "--train-samples", "8192", "--seed", "1"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    log = tmp_path / "stderr.txt"
    ckpt = out / checkpoint.CHECKPOINT_NAME
    with log.open("wb") as err, subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                                 stderr=err) as proc:
        deadline = time.monotonic() + 240
        # Kill the moment epoch 1's checkpoint is observed: training is then at the start of
        # epoch 2 however fast the machine is (a fixed sleep could outlast all 4 epochs).
        while not ckpt.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert ckpt.exists(), log.read_text()[-2000:]
    _, killed_at = checkpoint.read(out)
    assert 1 <= killed_at < 4
    # As if killed while writing: the killed process's own temp file (its pid, the marker).
    (out / f".checkpoint.npz.~digit-studio~{proc.pid}~0123abcd.tmp").write_bytes(b"half")

    done = subprocess.run(args + ["--resume"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    arrays, epoch = checkpoint.read(out)
    assert epoch == 4 and all(np.isfinite(a).all() for a in arrays.values())
    assert [e for e, *_ in _losses(out)] == [1, 2, 3, 4]
    assert not list(out.glob("*.tmp"))


def _gpus():
    import tensorflow as tf

    return tf.config.list_physical_devices("GPU")


def test_device_gpu_without_a_gpu_is_a_clear_error(tiny_mnist, tmp_path):
    if _gpus():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="sees no GPU"):
        train(_cfg(tiny_mnist, tmp_path / "r", device="gpu"), verbose=0)


@pytest.mark.gpu
def test_gpu_training_then_export_passes_the_contract(tiny_mnist, tmp_path):
    if not _gpus():
        pytest.skip("no GPU visible to TensorFlow")
    from desktop_app.core.models.generator import Generator
    from training.export import export_run

    run = train(_cfg(tiny_mnist, tmp_path / "g", arch="cdcgan", device="gpu", width=8), verbose=0)
    arrays, epoch = checkpoint.read(run)
    assert epoch == 2 and all(np.isfinite(a).all() for a in arrays.values())
    gen = Generator.from_path(export_run(run, tmp_path / "g.onnx"))  # bf16 on Ampere+, float32 out
    assert gen.conditional


def test_label_free_arch_trains_on_images_alone_and_exports(tiny_mnist, tmp_path):
    """Regression for `--arch dcgan --minibatch-stddev`: shapes, sane losses, a contract-clean export."""
    from desktop_app.core.models.generator import Generator
    from training.export import export_run, load_run

    run = train(_cfg(tiny_mnist, tmp_path / "free", arch="dcgan", width=8, minibatch_stddev=True,
                     latent_dim=16), verbose=0)
    losses = _losses(run)
    assert [e for e, *_ in losses] == [1, 2]
    for _, d_loss, g_loss in losses:
        # Two BCE terms for D, one for G; a diverged or collapsed run leaves this band.
        assert 0.05 < d_loss < 5 and 0.05 < g_loss < 10
    _, gan, _ = load_run(run)
    assert not gan.conditional and any(l.__class__.__name__ == "MinibatchStddev" for l in gan.discriminator.layers)
    img = np.asarray(gan.sample(np.zeros((3, 16), "float32")))
    assert img.shape == (3, 28, 28, 1)
    gen = Generator.from_path(export_run(run, tmp_path / "free.onnx"))
    assert not gen.conditional and gen.latent_dim == 16


def test_precision_bf16_training_then_export_in_the_same_process_is_float32(tiny_mnist, tmp_path):
    """Precision is scoped to the run: an export right after a bf16 run builds in float32."""
    import keras
    import onnx

    from desktop_app.core.models.generator import Generator
    from training.export import export_run

    run = train(_cfg(tiny_mnist, tmp_path / "bf", arch="cdcgan", width=8, precision="bf16", epochs=1,
                     latent_dim=16), verbose=0)
    assert TrainConfig.load(run / "config.json").precision == "bf16"
    assert keras.config.dtype_policy().name == "float32"  # nothing leaked process-wide
    out = export_run(run, tmp_path / "bf.onnx")
    model = onnx.load(out)
    bf16 = onnx.TensorProto.BFLOAT16
    assert bf16 not in {i.data_type for i in model.graph.initializer}
    assert not [n for n in model.graph.node if n.op_type == "Cast" and any(a.i == bf16 for a in n.attribute)]
    gen = Generator.from_path(out)
    assert gen.conditional
