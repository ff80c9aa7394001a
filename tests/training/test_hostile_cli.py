"""Hostile input to `python -m training`: one line, exit 2, and the user's files untouched.

Most cases run the CLI's `main()` in-process (same code path as the console script,
without paying TensorFlow's start-up per case); the issue's own repro runs as a subprocess.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shlex
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digit_contract.status import Failed, Interrupted, parse_status
from tests.conftest import REPO_ROOT
from training import checkpoint
from training.__main__ import main


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _dead_pid() -> int:
    """A process id that no process has now (a child that has exited and been reaped)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def _refused(argv, capsys, needle: str) -> str:
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def _train(data, out, *extra):
    return ["train", "--arch", "mlp", "--epochs", "1", "--train-samples", "128", "--batch-size", "64",
            "--data", data, "--out", out, *extra]


@pytest.mark.slow
def test_the_issues_repro_refuses_a_users_folder_and_changes_nothing(tiny_mnist, tmp_path):
    user = tmp_path / "U"
    (user / "samples").mkdir(parents=True)
    (user / "config.json").write_text('{"my":1}\n')
    (user / "metrics.jsonl").write_text('{"epoch":5}\n')
    (user / "samples" / "epoch_0001.png").write_bytes(b"my picture")
    before = _hashes(user)
    proc = subprocess.run([sys.executable, "-m", "training", *_train(tiny_mnist, user)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "not a training run" in proc.stderr and "Traceback" not in proc.stderr
    assert _hashes(user) == before


def test_a_non_empty_folder_without_a_run_is_refused(tiny_mnist, tmp_path, capsys):
    user = tmp_path / "thesis"
    user.mkdir()
    (user / "chapter1.tex").write_text("precious")
    before = _hashes(user)
    _refused(_train(tiny_mnist, user), capsys, "not a training run")
    assert _hashes(user) == before


@pytest.mark.parametrize("make_out, needle", [
    (lambda t: (t / "f").write_text("x") and t / "f", "is a file"),
    (lambda t: (t / "f").write_text("x") and t / "f" / "run", "cannot create the run folder"),
    (lambda t: Path("/proc/digit-studio-test"), "cannot create the run folder"),
])
def test_out_that_cannot_be_a_folder_is_one_line(tiny_mnist, tmp_path, capsys, make_out, needle):
    _refused(_train(tiny_mnist, make_out(tmp_path)), capsys, needle)


@pytest.mark.parametrize("flags, needle", [
    (["--beta-1", "nan"], "--beta-1 must be in [0, 1)"),
    (["--beta-1", "-3"], "--beta-1 must be in [0, 1)"),
    (["--lr", "nan"], "--lr must be between 0 and 1"),
    (["--seed", "-1"], "--seed must be in"),
    (["--seed", str(2**40)], "--seed must be in"),
])
def test_impossible_numbers_are_refused(tiny_mnist, tmp_path, capsys, flags, needle):
    _refused(_train(tiny_mnist, tmp_path / "r", *flags), capsys, needle)
    assert not (tmp_path / "r").exists()


def _npz(path: Path, **overrides) -> Path:
    rng = np.random.default_rng(0)
    arrays = dict(x_train=rng.integers(0, 255, (128, 28, 28), dtype=np.uint8), y_train=np.arange(128) % 10,
                  x_test=rng.integers(0, 255, (32, 28, 28), dtype=np.uint8), y_test=np.arange(32) % 10)
    arrays.update(overrides)
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("make, needle", [
    (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip") and p, "not a readable .npz"),
    (lambda p: _npz(p, y_train=np.linspace(0, 9, 128)), "must be integer digit labels"),
    (lambda p: _npz(p, y_train=-(np.arange(128) % 10)), "labels are digits 0..9"),
])
def test_bad_npz_is_one_line(tmp_path, capsys, make, needle):
    data = make(tmp_path / "mnist.npz")
    _refused(_train(data, tmp_path / "r"), capsys, needle)


def test_a_gzip_bomb_is_refused_without_inflating_it(tiny_mnist, tmp_path, capsys):
    """Header: 60,000 images. Body: 256 MB of zeros (256 KB compressed). Read stops at the size."""
    bomb = tiny_mnist / "train-images-idx3-ubyte.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as f:
        f.write(struct.pack(">IIII", 2051, 60_000, 28, 28))
        zeros = bytes(1 << 20)
        for _ in range(256):
            f.write(zeros)
    _refused(_train(tiny_mnist, tmp_path / "r"), capsys, "truncated or padded")


def test_a_header_claiming_billions_of_items_is_refused_at_once(tiny_mnist, tmp_path, capsys):
    with gzip.open(tiny_mnist / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 2051, 4_000_000_000, 28, 28))
    _refused(_train(tiny_mnist, tmp_path / "r"), capsys, "header claims 4000000000 items")


@pytest.fixture()
def one_epoch_run(tiny_mnist, tmp_path, capsys):
    run = tmp_path / "run"
    assert main([str(a) for a in _train(tiny_mnist, run)]) == 0
    capsys.readouterr()
    return run


@pytest.mark.slow
@pytest.mark.parametrize("damage, needle", [
    (lambda r: (r / "checkpoint.npz").write_bytes((r / "checkpoint.npz").read_bytes()[:1000]), "unreadable checkpoint"),
    (lambda r: np.savez(r / "checkpoint.npz", w=np.zeros(3)), "no epoch number"),
    (lambda r: (r / "config.json").write_text("null"), "a config is a JSON object"),
    (lambda r: (r / "config.json").write_text("[]"), "a config is a JSON object"),
    (lambda r: (r / "config.json").write_bytes(b"\xff\xfe\x00garbage"), "cannot read config"),
    (lambda r: (r / "metrics.jsonl").write_text("not json\n"), "not a metrics log of ours"),
])
def test_damaged_runs_are_refused_by_resume_and_export_and_left_as_they_were(
        one_epoch_run, tiny_mnist, tmp_path, capsys, damage, needle):
    damage(one_epoch_run)
    before = _hashes(one_epoch_run)
    resume = _train(tiny_mnist, one_epoch_run, "--resume")
    resume[resume.index("--epochs") + 1] = "2"
    _refused(resume, capsys, needle)
    if "metrics" not in needle:  # export never reads the metrics log
        _refused(["export", one_epoch_run, "--out", tmp_path / "g.onnx"], capsys, needle)
    assert _hashes(one_epoch_run) == before
    assert not (tmp_path / "g.onnx").exists()


@pytest.mark.slow
def test_a_full_disk_at_checkpoint_time_is_one_line(tiny_mnist, tmp_path):
    """RLIMIT_FSIZE stands in for a full disk: the 4 MB checkpoint cannot be written."""
    limit = "import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20)); "
    code = limit + "import sys; from training.__main__ import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, *map(str, _train(tiny_mnist, tmp_path / "r"))],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "cannot write the checkpoint" in proc.stderr and "Traceback" not in proc.stderr
    assert not list((tmp_path / "r").glob(".*.tmp"))  # the half-written temp file is gone


def test_interrupt_before_the_first_epoch_does_not_promise_a_checkpoint(tiny_mnist, tmp_path, capsys, monkeypatch):
    def interrupted(cfg, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("training.train.train", interrupted)
    rc = main([str(a) for a in _train(tiny_mnist, tmp_path / "r", "--status", "json")])
    out, err = capsys.readouterr()
    assert rc == 130 and "no epoch had finished" in err and "checkpointed" not in err
    said = [s for s in map(parse_status, out.splitlines()) if s is not None]
    assert said == [Interrupted(epoch=0, resume=(), message=said[0].message)]


def test_a_refused_run_says_why_in_one_status_line_too(tmp_path, capsys):
    rc = main(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "r"), "--status", "json"])
    out, err = capsys.readouterr()
    said = [s for s in map(parse_status, out.splitlines()) if s is not None]
    assert rc == 2 and said == [Failed(message=err.strip().removeprefix("digit-train: error: "))]
    assert "missing" in said[0].message


@pytest.mark.slow
def test_interrupt_after_an_epoch_says_how_to_resume(one_epoch_run, tiny_mnist, capsys, monkeypatch):
    def interrupted(cfg, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("training.train.train", interrupted)
    argv = [str(a) for a in _train(tiny_mnist, one_epoch_run, "--resume")]
    rc = main(argv)
    out, err = capsys.readouterr()
    # People read the sentence; the command in it is the one given (not pytest's own argv).
    assert rc == 130 and "epoch 1 is checkpointed" in err and "--resume" in err
    assert f"resume with: python -m training {shlex.join(argv)}" in err
    assert not any(map(parse_status, out.splitlines()))  # no status lines unless asked
    rc = main([*argv, "--status", "json"])
    out, err = capsys.readouterr()
    said = [s for s in map(parse_status, out.splitlines()) if s is not None]
    assert rc == 130 and len(said) == 1 and said[0].epoch == 1
    assert said[0].resume == ("-m", "training", *argv[:-1], "--status", "json", "--resume")


@pytest.mark.slow
def test_stale_temp_files_are_cleaned_and_wall_time_is_kept_per_epoch(one_epoch_run, tiny_mnist, tmp_path, capsys):
    wall = json.loads((one_epoch_run / "wall_time.json").read_text())
    assert wall["epochs"] == 1 and wall["seconds"] > 0
    _, epoch, seconds = checkpoint.read_with_wall_time(one_epoch_run)
    assert epoch == 1 and seconds == pytest.approx(wall["seconds"], abs=0.1)
    # Litter from processes killed mid-write (a checkpoint, a sample, an export), beside
    # users' files that merely look like temporaries: only the program's own marker goes.
    dead = _dead_pid()
    stale = [one_epoch_run / f".checkpoint.npz.~digit-studio~{dead}~0123abcd.tmp",
             one_epoch_run / "samples" / f".epoch_0002.png.~digit-studio~{dead}~0123abcd.tmp",
             tmp_path / f".g.onnx.~digit-studio~{dead}~0123abcd.tmp"]
    users = [one_epoch_run / ".draft.v2.tmp", tmp_path / ".g.onnx.old.tmp", tmp_path / ".x.y.tmp"]
    for p in stale + users:
        p.write_bytes(b"half")
    resume = _train(tiny_mnist, one_epoch_run, "--resume")
    resume[resume.index("--epochs") + 1] = "2"
    assert main([str(a) for a in resume]) == 0
    assert main(["export", str(one_epoch_run), "--out", str(tmp_path / "g.onnx")]) == 0
    assert not any(p.exists() for p in stale)
    assert all(p.read_bytes() == b"half" for p in users)
    wall2 = json.loads((one_epoch_run / "wall_time.json").read_text())
    assert wall2["epochs"] == 2 and wall2["seconds"] > wall["seconds"]
