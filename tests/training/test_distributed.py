"""tf.distribute on a CPU-only machine: MirroredStrategy over two logical CPU devices, and
MultiWorkerMirroredStrategy across two local worker processes, exactly as on GPUs/machines.

Each case runs in subprocesses: logical devices must be configured before TensorFlow
initialises, and a multi-worker cluster is several processes by definition.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

# Splits the CPU into two logical devices, then runs the CLI's main() with the given args.
_TWO_CPUS = """
import sys, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from training.__main__ import main
sys.exit(main(sys.argv[1:]))
"""

_NOISE_PER_REPLICA = """
import json, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from training.config import TrainConfig
from training.distribute import select_strategy
from training.train import build_gan
strategy = select_strategy("cpu", "mirrored")
with strategy.scope():
    gan = build_gan(TrainConfig(arch="dcgan", width=4, latent_dim=8).resolved())
z = strategy.run(tf.function(lambda: gan._noise(4)))
a, b = (t.numpy() for t in strategy.experimental_local_results(z))
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "same": bool((a == b).all()), "shape": list(a.shape)}))
"""


def _run(args, env=None, timeout=600):
    return subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})


def _train_args(data, out, epochs, *extra):
    return ["train", "--arch", "cdcgan", "--width", "8", "--latent-dim", "16", "--epochs", str(epochs),
            "--train-samples", "512", "--batch-size", "64", "--data", str(data), "--out", str(out),
            "--device", "cpu", *extra]


def _exports_cleanly(run, tmp_path):
    from desktop_app.core.models.generator import Generator

    proc = _run([sys.executable, "-m", "training", "export", str(run), "--out", str(tmp_path / "g.onnx")])
    assert proc.returncode == 0, proc.stderr[-2000:]
    gen = Generator.from_path(tmp_path / "g.onnx")
    assert gen.conditional and gen.latent_dim == 16


def test_mirrored_strategy_on_two_logical_cpus_trains_resumes_and_exports(mnist_dir, tmp_path):
    run = tmp_path / "run"
    first = _run([sys.executable, "-c", _TWO_CPUS, *_train_args(mnist_dir, run, 1, "--strategy", "mirrored")])
    assert first.returncode == 0, first.stderr[-3000:]
    second = _run([sys.executable, "-c", _TWO_CPUS,
                   *_train_args(mnist_dir, run, 2, "--strategy", "mirrored", "--resume")])
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming" in second.stdout and "after epoch 1" in second.stdout
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    # Losses as reported are per-sample means, not divided by the replica count.
    assert all(0.5 < r["d_loss"] < 3 and 0.2 < r["g_loss"] < 5 for r in rows)
    _exports_cleanly(run, tmp_path)


def test_mirrored_replicas_draw_different_noise():
    proc = _run([sys.executable, "-c", _NOISE_PER_REPLICA])
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"replicas": 2, "same": False, "shape": [4, 8]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_multiworker_strategy_with_two_local_workers_trains_and_exports(mnist_dir, tmp_path):
    """The README's several-machines recipe, with both 'machines' on localhost."""
    run = tmp_path / "run"
    cluster = {"worker": [f"localhost:{_free_port()}", f"localhost:{_free_port()}"]}
    workers = [subprocess.Popen(
        [sys.executable, "-m", "training", *_train_args(mnist_dir, run, 1, "--strategy", "multiworker")],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
             "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})})
        for i in range(2)]
    try:
        outs = [w.communicate(timeout=600) for w in workers]
    finally:
        for w in workers:
            w.kill()
    for w, (_, err) in zip(workers, outs):
        assert w.returncode == 0, err[-3000:]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1]  # written once, by the chief
    _exports_cleanly(run, tmp_path)


def test_multiworker_without_tf_config_is_one_line(tmp_path, tiny_mnist):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    proc = subprocess.run([sys.executable, "-m", "training",
                           *_train_args(tiny_mnist, tmp_path / "r", 1, "--strategy", "multiworker")],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 2 and "needs TF_CONFIG" in proc.stderr and "Traceback" not in proc.stderr


def test_a_peer_that_answers_but_is_no_worker_ends_the_start_up_with_one_sentence(tiny_mnist, tmp_path):
    """The port answers (so the Python-side wait passes) but nothing there speaks TensorFlow:
    TensorFlow's start-up would block forever, holding the GIL, deaf to Ctrl-C and SIGTERM."""
    with socket.create_server(("127.0.0.1", 0)) as impostor:
        cluster = {"worker": [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{impostor.getsockname()[1]}"]}
        env = {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}})}
        proc = _run([sys.executable, "-m", "training",
                     *_train_args(tiny_mnist, tmp_path / "r", 1, "--strategy", "multiworker", "--peer-timeout", "5")],
                    env=env, timeout=300)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("digit-train")]
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert lines[0].startswith("digit-train: waiting up to 5 s for the other workers"), lines
    assert lines[-1].startswith("digit-train: error: TensorFlow did not join the workers in TF_CONFIG within 5 s"), lines
    # Only the lock file is left, which the run-folder checks count as the program's own: a new run may start there.
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [".digit-studio.lock"]
