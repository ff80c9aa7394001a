"""Ctrl-C while training: exit 130, a checkpoint of a complete epoch, and a resume command that works,
said to people in a sentence and to the app in status lines (`--status json`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest

from desktop_app.core.train.jobs import TrainStatus
from digit_contract.status import Interrupted, Started
from tests.conftest import REPO_ROOT, signals_as_in_a_terminal
from training import checkpoint

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX signals")]

EPOCHS = 6


def _interrupt_after_first_checkpoint(proc, ckpt, deadline, log) -> int:
    """SIGINT once epoch 1's checkpoint exists; returns the epoch checkpointed at that moment.

    The child is frozen (SIGSTOP) from the look at its checkpoint until Ctrl-C is queued, so
    the epoch we read is where it stands when Ctrl-C lands, whatever the machine's speed.
    """
    while not ckpt.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"no checkpoint appeared before the run ended (exit code {proc.returncode}) or the "
                        f"deadline passed; its stderr ends:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.01)  # a polling interval, not a guess at how long an epoch takes
    proc.send_signal(signal.SIGSTOP)
    _, epoch = checkpoint.read(ckpt.parent)  # renamed into place whole: never half a file
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGCONT)
    return epoch


def test_ctrl_c_checkpoints_says_how_to_resume_and_the_command_finishes_the_run(tiny_mnist, tmp_path):
    out = tmp_path / "run"
    args = [sys.executable, "-m", "training", "train", "--arch", "mlp", "--epochs", str(EPOCHS),
            "--batch-size", "64", "--train-samples", "256", "--steps-per-execution", "1",
            "--data", str(tiny_mnist), "--out", str(out), "--status", "json"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    # Files, not pipes: a full pipe would stall the child.
    log, said = tmp_path / "stderr.txt", tmp_path / "stdout.txt"
    with log.open("wb") as stderr, said.open("wb") as stdout, signals_as_in_a_terminal():
        proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=stdout, stderr=stderr)
    with proc:
        seen = _interrupt_after_first_checkpoint(proc, out / checkpoint.CHECKPOINT_NAME, time.monotonic() + 240, log)
        proc.wait(timeout=120)
    err = log.read_text()
    assert 1 <= seen < EPOCHS, "the run must still have been training when Ctrl-C landed"
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err, err[-2000:]

    # What it says is what it left: a readable checkpoint of a complete epoch, read by the
    # app's parser from the status lines alone.
    status = TrainStatus()
    for line in said.read_text().splitlines():
        status.read_line(line)
    arrays, epoch = checkpoint.read(out)
    assert status.started == Started(run_dir=str(out), epochs=EPOCHS, first_epoch=0, resuming=False)
    assert isinstance(status.ended, Interrupted) and status.ended.epoch == epoch and seen <= epoch < EPOCHS
    # Each epoch's line follows its checkpoint, so Ctrl-C may land between the two: the
    # interrupted line names the epoch either way.
    assert status.last_epoch is None or epoch - 1 <= status.last_epoch.epoch <= epoch
    assert status.checkpointed == epoch and status.hint().epoch == epoch
    assert all(np.isfinite(a).all() for a in arrays.values())
    assert (out / "samples" / f"epoch_{epoch:04d}.png").is_file()
    assert not list(out.rglob(".*.tmp"))
    # People still read the sentence, with the same command in it.
    hint = status.hint()
    assert f"digit-train: interrupted; epoch {epoch} is checkpointed; resume with: {hint.command}" in err

    assert hint.argv[-1] == "--resume"
    done = subprocess.run([sys.executable, *hint.argv], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"resuming {out} after epoch {epoch}" in done.stdout
    resumed = TrainStatus()
    for line in done.stdout.splitlines():
        resumed.read_line(line)
    assert resumed.started == Started(run_dir=str(out), epochs=EPOCHS, first_epoch=epoch, resuming=True)
    assert resumed.ended.epochs == EPOCHS and resumed.last_epoch.epoch == EPOCHS
    assert checkpoint.read(out)[1] == EPOCHS
    rows = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == list(range(1, EPOCHS + 1))
    import tensorflow as tf

    steps = Counter(e.step for p in (out / "tensorboard").glob("events.out.tfevents.*")
                    for e in tf.compat.v1.train.summary_iterator(str(p))
                    for v in e.summary.value if v.tag == "d_loss")
    assert steps == Counter(range(1, EPOCHS + 1))  # every epoch once, none lost to the interrupt
