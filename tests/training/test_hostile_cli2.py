"""Hostile input to `python -m training`, second round: every refusal is one
sentence on stderr, exit 2, no traceback, and nothing written; every wait has an end.

Cases that would hang on the old code run as subprocesses with a timeout, so a regression
fails instead of hanging the suite; the rest call the CLI's `main()` in-process.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO_ROOT, signals_as_in_a_terminal
from training.__main__ import main


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _refused(argv, capsys, needle: str) -> str:
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:  # argparse's refusal of an option
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2, err
    assert needle in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    return err


def _train(data, out, *extra):
    return ["train", "--arch", "mlp", "--epochs", "1", "--train-samples", "128", "--batch-size", "64",
            "--data", data, "--out", out, *extra]


def _cli(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "training", *map(str, args)], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})


def _free_port() -> int:
    """A port nobody listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_ABSENT_PEERS: list[socket.socket] = []  # held bound (never listening) until the module's tests end


@pytest.fixture(scope="module", autouse=True)
def _absent_peers_let_go():
    yield
    while _ABSENT_PEERS:
        _ABSENT_PEERS.pop().close()


def _absent_peer_port() -> int:
    """A port that refuses every connection and that no other process can take meanwhile
    (a port merely let go could be taken by another test run's listening worker, and this
    worker would then go on into TensorFlow's own start-up)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _ABSENT_PEERS.append(s)
    return s.getsockname()[1]


def _two_workers(index: int = 0) -> tuple[dict, int]:
    ports = [_free_port(), _absent_peer_port()] if index == 0 else [_absent_peer_port(), _free_port()]
    config = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": "worker", "index": index}}
    return {"TF_CONFIG": json.dumps(config)}, ports[1 - index]


# 1. Multi-worker start-up with an absent peer: says what it waits for, ends, Ctrl-C works.

def test_multiworker_with_an_absent_peer_names_it_and_gives_up(tiny_mnist, tmp_path):
    env, peer = _two_workers()
    proc = _cli(*_train(tiny_mnist, tmp_path / "r", "--strategy", "multiworker", "--peer-timeout", "2"), env=env)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"waiting up to 2 s for the other workers in TF_CONFIG to answer: 127.0.0.1:{peer}" in lines[0]
    assert lines[-1].startswith("digit-train: error: no answer within 2 s from 127.0.0.1:") and len(lines) == 2
    assert "Traceback" not in proc.stderr and not (tmp_path / "r").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_end_the_wait_for_peers(tiny_mnist, tmp_path, sig):
    env, _ = _two_workers()
    # PYTHONFAULTHANDLER: should it hang, SIGABRT makes it print every thread's stack.
    with signals_as_in_a_terminal():  # pytest as a background job would hand it an ignored SIGINT
        proc = subprocess.Popen([sys.executable, "-m", "training",
                                 *map(str, _train(tiny_mnist, tmp_path / "r", "--strategy", "multiworker"))],
                                cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, **env, "PYTHONFAULTHANDLER": "1"})
    hung = ""
    try:
        # Printed once the wait (and its signal handling) has begun; the old code printed nothing, ever.
        assert select.select([proc.stderr], [], [], 120)[0], "nothing said about what it waits for"
        first = proc.stderr.readline()
        assert "waiting up to 300 s" in first and "(Ctrl-C stops)" in first, first
        proc.send_signal(sig)
        try:
            _, rest = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            status = Path(f"/proc/{proc.pid}/status")  # its signal masks: blocked, ignored, caught
            masks = " ".join(line for line in (status.read_text().splitlines() if status.exists() else [])
                             if line.startswith(("SigBlk", "SigIgn", "SigCgt")))
            proc.send_signal(signal.SIGABRT)
            try:
                _, hung = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                hung = "(no stacks: it did not answer SIGABRT either)"
            hung = f"{masks}; {hung}"
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    assert not hung, f"still waiting 60 s after signal {int(sig)}; its masks and stacks: {hung[-4000:]}"
    assert proc.returncode == 130 and "interrupted" in rest and "Traceback" not in rest
    assert not (tmp_path / "r").exists()


def test_a_wait_started_with_ctrl_c_ignored_says_how_to_stop_it(tiny_mnist, tmp_path):
    """A background job ignores Ctrl-C; the wait names the command that does stop it."""
    env, _ = _two_workers()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited at exec, as from `cmd &`
    try:
        proc = subprocess.Popen([sys.executable, "-m", "training",
                                 *map(str, _train(tiny_mnist, tmp_path / "r", "--strategy", "multiworker"))],
                                cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        assert select.select([proc.stderr], [], [], 120)[0], "nothing said about what it waits for"
        first = proc.stderr.readline()
        assert f"(`kill {proc.pid}` stops)" in first and "Ctrl-C" not in first, first
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == 130 and "interrupted" in rest and "Traceback" not in rest


# 2. TF_CONFIG is checked whatever the strategy; 3. a non-chief says what it did.

@pytest.mark.parametrize("tf_config, needle", [
    ("{not json", "TF_CONFIG is not valid JSON"),
    ('{"task": "x"}', "TF_CONFIG's \"cluster\" must be an object"),
    ("[1, 2]", "TF_CONFIG must be a JSON object"),
    pytest.param("[" * 100_000, "TF_CONFIG is not valid JSON", id="nested-100k-deep"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}', "TF_CONFIG's task index 3"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": true}}', "TF_CONFIG's task index True"),
    ('{"cluster": {"worker": ["a\\nb:99999"]}, "task": {"type": "worker"}}', "TF_CONFIG address 'a\\nb:99999'"),
    ('{"cluster": {"worker": "a:1"}, "task": {"type": "worker"}}', "must be a non-empty list"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps"}}', "TF_CONFIG's task type 'ps'"),
])
@pytest.mark.parametrize("strategy", ["auto", "multiworker"])
def test_malformed_tf_config_is_one_sentence_naming_it(tiny_mnist, tmp_path, capsys, monkeypatch,
                                                       tf_config, needle, strategy):
    monkeypatch.setenv("TF_CONFIG", tf_config)
    _refused(_train(tiny_mnist, tmp_path / "r", "--strategy", strategy), capsys, needle)
    assert not (tmp_path / "r").exists()


def test_a_non_chief_worker_says_it_wrote_nothing(tiny_mnist, tmp_path, capsys, monkeypatch):
    env, _ = _two_workers(index=1)
    monkeypatch.setenv("TF_CONFIG", env["TF_CONFIG"])
    monkeypatch.setattr("training.train.train", lambda cfg, status=None: Path(cfg.out))  # the worker's share, done
    assert main([str(a) for a in _train(tiny_mnist, tmp_path / "r", "--strategy", "multiworker")]) == 0
    out = capsys.readouterr().out
    assert "this worker (worker 1) trained its share of the run and wrote nothing" in out
    assert "chief (worker 0)" in out and "run saved" not in out


def test_outside_multiworker_tf_config_does_not_silence_the_run(monkeypatch):
    from training.distribute import is_chief

    env, _ = _two_workers(index=1)
    monkeypatch.setenv("TF_CONFIG", env["TF_CONFIG"])
    assert is_chief("auto") and is_chief("mirrored") and not is_chief("multiworker")


# 5. Every numeric option has a range, checked before anything is written.

@pytest.mark.parametrize("flags, needle", [
    (["--epochs", "99999999999999999999"], "--epochs must be at least 1 and at most 10000"),
    pytest.param(["--epochs", "9" * 5000], "expects a whole number", id="epochs-5000-digits"),
    (["--latent-dim", "100000000"], "--latent-dim must be at least 1 and at most 4096"),
    (["--batch-size", "1000000"], "--batch-size must be at least 1 and at most 8192"),
    (["--steps-per-execution", "1000000000000"], "--steps-per-execution must be at least 1 and at most 1000"),
    (["--train-samples", str(10**30)], "--train-samples must be 0 (all) or positive, at most 1000000"),
    (["--estimate-every", str(10**30)], "--estimate-every must be 0 (no estimates) or a number of epochs"),
    (["--lr-decay-epochs", str(10**30)], "--lr-decay-epochs must be between 0 and --epochs"),
    (["--width", str(10**30)], "--width must be between 1 and 1024"),
    (["--peer-timeout", "nan"], "--peer-timeout must be between 1 and 86400"),
    (["--peer-timeout", "0"], "--peer-timeout must be between 1 and 86400"),
])
def test_unbounded_numbers_are_refused_before_anything_is_written(tiny_mnist, tmp_path, capsys, flags, needle):
    _refused(_train(tiny_mnist, tmp_path / "r", *flags), capsys, needle)
    assert not (tmp_path / "r").exists()


def test_the_latent_bound_is_the_contracts():
    from desktop_app.core.models.contract import MAX_LATENT_DIM as APP_MAX
    from training.config import MAX_LATENT_DIM

    assert MAX_LATENT_DIM == APP_MAX


# 7. bench, and the other subcommands' numbers and names, refused at parse time.

@pytest.mark.parametrize("argv, needle", [
    (["bench", "--steps", "-1"], "argument --steps: must be in 1..100000"),
    (["bench", "--steps", "0"], "argument --steps: must be in 1..100000"),
    (["encoder", "run", "--out", "g.encoder.onnx", "--seed", "-1"], "argument --seed: must be in 0..2147483647"),
    (["encoder", "run", "--out", "g.encoder.onnx", "--epochs", str(10**20)], "argument --epochs: must be in 1..1000"),
    (["encoder", "run", "--out", "g.encoder.onnx", "--train-samples", "-5"], "argument --train-samples"),
    (["evaluate", "model.onnx", "--seed", "-1"], "argument --seed: must be in 0..2147483647"),
    pytest.param(["evaluate", "model.onnx", "--n", "1" * 5000], "argument --n: expects a whole number",
                 id="evaluate-n-5000-digits"),
    (["classifier", "--epochs", str(10**20)], "argument --epochs: must be in 1..1000"),
    (["classifier", "--seed", "-1"], "argument --seed: must be in 0..2147483647"),
])
def test_other_subcommands_refuse_impossible_numbers_and_names(argv, capsys, needle):
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and needle in err and len(err.strip().splitlines()) == 1, err


# 6. plot reads metrics.jsonl bounded and checked; it never replaces a file it did not make.

@pytest.fixture()
def fake_run(tmp_path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    rows = [{"epoch": e, "d_loss": 1.0, "g_loss": 0.9, "d_real": 0.6, "d_fake": 0.4} for e in (1, 2)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return run


@pytest.mark.parametrize("line, needle", [
    pytest.param("[" * 100_000 + "]" * 100_000, "line 3 is nested too deep", id="nested-100k-deep"),
    pytest.param('{"epoch": 3, "d_loss": ' + "9" * 400 + "}", "line 3 holds an integer too long", id="400-digit-loss"),
    pytest.param('{"epoch": ' + "9" * 400 + "}", "line 3 holds an integer too long", id="400-digit-epoch"),
    ('{"epoch": 3.5}', "line 3 has no integer epoch"),
    ('{"epoch": true}', "line 3 has no integer epoch"),
])
def test_plot_refuses_a_hostile_metrics_line_in_one_sentence(fake_run, capsys, line, needle):
    with open(fake_run / "metrics.jsonl", "a") as f:
        f.write(line + "\n")
    _refused(["plot", fake_run], capsys, needle)
    assert not (fake_run / "curves.png").exists()


def test_plot_leaves_out_values_no_axis_can_span(fake_run, capsys):
    pytest.importorskip("matplotlib")
    with open(fake_run / "metrics.jsonl", "a") as f:  # valid JSON floats; matplotlib's ticks overflowed
        f.write('{"epoch": 3, "d_loss": 1e308, "g_loss": -1.7e308, "fid_estimate": 1e-320}\n')
        f.write('{"epoch": 4, "d_loss": -1e308, "g_loss": 1e308, "fid_estimate": 1e308}\n')
    assert main(["plot", str(fake_run)]) == 0, capsys.readouterr().err
    assert (fake_run / "curves.png").read_bytes().startswith(b"\x89PNG")


def test_plot_and_resume_do_not_hang_on_a_fifo_metrics_log(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    os.mkfifo(run / "metrics.jsonl")
    proc = _cli("plot", run, timeout=60)  # the old code blocked in open() forever
    assert proc.returncode == 2 and "not a regular file" in proc.stderr and "Traceback" not in proc.stderr


def test_read_metrics_log_is_bounded(tmp_path, monkeypatch):
    from training import metrics_log

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"epoch": 1, "d_loss": NaN}\n\n{"epoch": 2}\n')
    assert [r["epoch"] for r in metrics_log.read_metrics_log(path)] == [1, 2]
    monkeypatch.setattr(metrics_log, "MAX_BYTES", 16)
    with pytest.raises(metrics_log.MetricsLogError, match="more than any run writes"):
        metrics_log.read_metrics_log(path)
    with pytest.raises(FileNotFoundError):
        metrics_log.read_metrics_log(tmp_path / "absent.jsonl")


@pytest.mark.slow
def test_plot_never_replaces_a_file_it_did_not_make(fake_run, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    essay = tmp_path / "essay.png"
    essay.write_bytes(b"\x89PNG\r\n\x1a\n my own picture")
    (tmp_path / "null").symlink_to(os.devnull)
    before = _hashes(tmp_path)
    _refused(["plot", fake_run, "--out", essay], capsys, "did not make")
    _refused(["plot", fake_run, "--out", tmp_path / "null"], capsys, "link")
    assert _hashes(tmp_path) == before
    assert main(["plot", str(fake_run), "--out", str(tmp_path / "mine.png")]) == 0
    assert main(["plot", str(fake_run), "--out", str(tmp_path / "mine.png")]) == 0  # its own: replaced
    assert main(["plot", str(fake_run)]) == 0 and main(["plot", str(fake_run)]) == 0


# 8. Data files: clear sentences naming the file, one line whatever the name, bounded reads.

def test_a_gzip_with_trailing_bytes_is_a_clear_sentence(tiny_mnist, tmp_path, capsys):
    images = tiny_mnist / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes() + b"GARBAGE")
    err = _refused(_train(tiny_mnist, tmp_path / "r"), capsys, "followed by bytes that are not gzip")
    assert str(images) in err and "b'GA'" not in err


def test_a_newline_in_a_file_name_keeps_the_message_one_line(tiny_mnist, tmp_path, capsys):
    odd = tmp_path / "mn\nist\x1b[31m"
    shutil.copytree(tiny_mnist, odd)
    (odd / "train-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    err = _refused(_train(odd, tmp_path / "r"), capsys, "not a gzip file")
    assert "mn\\nist\\x1b[31m" in err and "\x1b" not in err
    _refused(_train(tmp_path / "no\nsuch", tmp_path / "r"), capsys, "no such data folder")


def test_the_keras_download_has_a_deadline(monkeypatch):
    """Without --data or MNIST_DIR, MNIST comes over the network: a stalled one must not hang."""
    import socket

    keras = pytest.importorskip("keras")
    from training import data

    seen = []

    def load_data():
        seen.append(socket.getdefaulttimeout())
        raise TimeoutError("timed out")

    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", load_data)
    with pytest.raises(data.DataError, match="could not download MNIST"):
        data.load_mnist(None)
    assert seen == [data.DOWNLOAD_TIMEOUT_S] and socket.getdefaulttimeout() is None


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def test_an_npz_whose_header_claims_gigabytes_is_refused_unallocated(tmp_path, capsys):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (100_000_000, 28, 28)})
    with zipfile.ZipFile(tmp_path / "mnist.npz", "w") as z:  # 78 GB declared, 100 bytes held
        z.writestr("x_train.npy", header.getvalue() + bytes(100))
        z.writestr("y_train.npy", _npy(np.zeros(10, np.uint8)))
        z.writestr("x_test.npy", _npy(np.zeros((10, 28, 28), np.uint8)))
        z.writestr("y_test.npy", _npy(np.zeros(10, np.uint8)))
    _refused(_train(tmp_path / "mnist.npz", tmp_path / "r"), capsys, "not MNIST data")


def test_data_files_that_are_not_regular_files_are_refused_without_blocking(tiny_mnist, tmp_path):
    images = tiny_mnist / "train-images-idx3-ubyte.gz"
    images.unlink()
    os.mkfifo(images)
    os.mkfifo(tmp_path / "fifo.npz")
    for data in (tiny_mnist, tmp_path / "fifo.npz"):
        proc = _cli(*_train(data, tmp_path / "r"), timeout=60)
        assert proc.returncode == 2 and "not a regular file" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and not (tmp_path / "r").exists()


# 4. and 9. Devices: said before anything is made.

def test_device_gpu_without_a_gpu_leaves_no_out_folder(tiny_mnist, tmp_path, capsys):
    tf = pytest.importorskip("tensorflow")
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    _refused(_train(tiny_mnist, tmp_path / "r", "--device", "gpu"), capsys, "TensorFlow sees no GPU")
    assert not (tmp_path / "r").exists()


def test_mirrored_on_one_device_says_it_runs_one_replica(capsys):
    tf = pytest.importorskip("tensorflow")
    if len(tf.config.list_logical_devices("CPU")) != 1:
        pytest.skip("this process has several logical CPU devices")
    from training.distribute import select_strategy

    strategy = select_strategy("cpu", "mirrored")
    err = capsys.readouterr().err
    assert strategy.num_replicas_in_sync == 1
    assert "--strategy mirrored, but TensorFlow sees one CPU device" in err and "runs one replica" in err
    assert len(err.strip().splitlines()) == 1
