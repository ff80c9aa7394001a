"""The Qt-free side of the Training panel: reading a run folder while it is written, and
the command lines and messages of `python -m training`."""

from __future__ import annotations

import io
import json
import math
import os

import pytest
from PIL import Image

from desktop_app.core.train import jobs as training_jobs
from desktop_app.core.train.run_folder import (RunFolder, complete_png, eta_seconds, format_duration,
                                         grid_path, parse_metrics)
from desktop_app.core.train.jobs import TrainRequest, TrainStatus, clean_log
from digit_contract.status import EpochDone, Failed, Finished, Interrupted, Started, format_status


def png_bytes(shade: int = 128) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (30, 30), shade).save(buf, "PNG")
    return buf.getvalue()


def line(epoch: int, **extra) -> bytes:
    row = {"epoch": epoch, "seconds": 2.0, "d_loss": 1.0, "g_loss": 0.9, **extra}
    return (json.dumps(row) + "\n").encode()


def test_only_newline_terminated_parsable_lines_count():
    data = line(1) + b"not json\n" + b"[1, 2]\n" + b'{"epoch": "3"}\n' + b'{"epoch": 0}\n' \
        + b"\xff\xfe\n" + line(2) + line(3)[:-9]
    assert sorted(parse_metrics(data)) == [1, 2]
    assert parse_metrics(b"") == {} and parse_metrics(line(1)[:-1]) == {}


def test_metrics_keep_numbers_and_nan_and_drop_the_rest():
    row = parse_metrics(b'{"epoch": 4.0, "d_loss": 0.5, "fid_estimate": NaN, "note": "x", "flag": true}\n')
    assert list(row) == [4]
    assert row[4]["d_loss"] == 0.5 and math.isnan(row[4]["fid_estimate"])
    assert "note" not in row[4] and "flag" not in row[4]


def test_complete_png_needs_signature_and_end():
    whole = png_bytes()
    assert complete_png(whole)
    assert not complete_png(whole[:-1]) and not complete_png(whole[: len(whole) // 2])
    assert not complete_png(b"") and not complete_png(None) and not complete_png(b"x" + whole[1:])


def test_a_grid_counts_only_with_its_metrics_line_and_whole(tmp_path):
    run = tmp_path / "run"
    folder = RunFolder(run)
    assert folder.read().epochs == ()  # no folder yet: nothing, no exception
    (run / "samples").mkdir(parents=True)
    (run / "config.json").write_text('{"epochs": 5, "arch": "mlp"}')
    grid_path(run, 1).write_bytes(png_bytes())
    grid_path(run, 2).write_bytes(png_bytes()[:40])  # half written
    (run / "metrics.jsonl").write_bytes(line(1) + line(2) + line(3)[:5])
    snap = folder.read()
    assert snap.epochs == (1, 2) and snap.grid_epochs == (1,)
    assert snap.config["epochs"] == 5 and not snap.checkpointed
    grid_path(run, 2).write_bytes(png_bytes(200))
    grid_path(run, 3).write_bytes(png_bytes())  # epoch 3's line is not complete yet
    assert folder.read().grid_epochs == (1, 2)


def test_hostile_files_read_as_nothing(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").mkdir()  # a folder where a file belongs
    (run / "config.json").write_bytes(b"\x00\xff garbage")
    os.mkfifo(run / "checkpoint.fifo")
    (run / "samples").mkdir()
    os.symlink("epoch_0001.png", grid_path(run, 1))  # a loop
    snap = RunFolder(run).read()
    assert snap.epochs == () and snap.config == {}


def test_eta_is_the_recent_pace_times_the_epochs_left(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_bytes(line(1, seconds=10.0) + line(2, seconds=4.0, estimate_seconds=1.0))
    snap = RunFolder(run).read()
    assert eta_seconds(snap, 10) == pytest.approx(8 * 7.5)
    assert eta_seconds(RunFolder(tmp_path / "none").read(), 10) is None
    assert format_duration(42) == "42 s" and format_duration(185) == "3 min 05 s"
    assert format_duration(7620) == "2 h 07 min"


def test_train_request_builds_the_cli_line():
    req = TrainRequest("mlp", 2, "/r/out", "/d", "--train-samples 512 --resume")
    assert req.args() == ["-m", "training", "train", "--arch", "mlp", "--epochs", "2", "--out", "/r/out",
                          "--data", "/d", "--train-samples", "512", "--status", "json"]
    assert req.args(resume=True)[-3:] == ["--status", "json", "--resume"]
    # The panel hears about the run only through status lines: More options cannot turn them off.
    assert TrainRequest("mlp", 2, "/r", extra="--status text").args()[-2:] == ["--status", "json"]
    with pytest.raises(ValueError):
        TrainRequest("mlp", 2, "/r", extra="--data 'open").args()


RESUME = ("-m", "training", "train", "--out", "/r/my runs", "--epochs", "50", "--status", "json", "--resume")


def _told(*statuses, noise=("Epoch 3/50", "4/4 - 0s - d_loss: 1.2")) -> TrainStatus:
    status = TrainStatus()
    for line in [*noise, *map(format_status, statuses)]:
        status.read_line(line)
    return status


def test_the_status_lines_alone_say_how_a_stopped_run_resumes():
    # The sentence people read says epoch 9; the status lines, which the panel reads, say 2.
    status = _told(Started("/r/my runs", 50, 0, False), EpochDone(1, 50, RESUME), EpochDone(2, 50, RESUME),
                   Interrupted(2, RESUME, "epoch 2 is checkpointed; resume with: ..."),
                   noise=("digit-train: interrupted; epoch 9 is checkpointed; resume with: python x --resume",))
    hint = status.hint()
    assert (hint.epoch, hint.argv) == (2, RESUME) and status.planned_epochs == 50
    assert hint.command == "python -m training train --out '/r/my runs' --epochs 50 --status json --resume"
    said = status.outcome(130, stopping=True, folder="/r/my runs")
    assert said == f"Stopped. Epoch 2 is checkpointed; Resume continues it (or run: {hint.command})"
    nothing = _told(Started("/r", 50, 0, False), Interrupted(0, (), "no epoch had finished"))
    assert nothing.hint() is None
    assert nothing.outcome(130, True, "/r") == "Stopped before the first epoch finished: there is nothing to resume."


def test_the_status_lines_say_how_a_run_ended():
    done = _told(Started("/r", 3, 1, True), EpochDone(2, 3, RESUME), EpochDone(3, 3, RESUME), Finished("/r", 3))
    assert done.outcome(0, False, "/r").startswith("Run finished: 3 epochs in /r.")
    failed = _told(Started("/r", 3, 0, False), EpochDone(1, 3, RESUME), Failed("/r: disk full"))
    assert failed.outcome(2, False, "/r", "last log line") == \
        "Training failed (exit code 2): /r: disk full Epoch 1 is checkpointed; Resume continues it."
    # Killed without a word: the log's last line says why, and the checkpointed epoch is offered.
    killed = _told(Started("/r", 3, 0, False), EpochDone(1, 3, RESUME))
    assert killed.outcome(-1, True, "/r", "The child did not stop in time; killing it.") == \
        ("Training failed (exit code -1): The child did not stop in time; killing it. "
         "Epoch 1 is checkpointed; Resume continues it.")
    assert killed.hint().argv == RESUME and killed.checkpointed == 1
    assert TrainStatus().outcome(2, False, "/r") == "Training failed (exit code 2): see the log below"


def test_without_tensorflow_the_install_command_is_named(monkeypatch):
    assert training_jobs.training_unavailable() is None  # the dev install has the extra
    real = training_jobs.find_spec
    monkeypatch.setattr(training_jobs, "find_spec", lambda name: None if name == "tensorflow" else real(name))
    text = training_jobs.training_unavailable()
    assert 'pip install -e ".[train]"' in text  # this is a checkout
    monkeypatch.setattr(training_jobs, "in_checkout", lambda: False)
    assert 'pip install "digit-studio[train]"' in training_jobs.training_unavailable()


def test_clean_log_keeps_the_last_redraw_of_a_progress_line():
    assert clean_log("a\r\nstep 1\rstep 2\rstep 3\n\x1b[1mbold\x1b[0m\n\n") == ["a", "step 3", "bold"]


def test_planned_epochs_are_a_sane_whole_number_or_zero():
    """The Training panel sets its progress range from config.json's epochs; "thirty", [5]
    or 1e12 raised ValueError, TypeError or OverflowError there."""
    from desktop_app.core.train.run_folder import RunSnapshot

    assert RunSnapshot(config={"epochs": 30}).planned_epochs == 30
    assert RunSnapshot(config={"epochs": 30.0}).planned_epochs == 30
    for bad in ("thirty", [5], 1e12, 10**12, -3, 0, True, None, 2.5, float("nan")):
        assert RunSnapshot(config={"epochs": bad}).planned_epochs == 0
    assert RunSnapshot().planned_epochs == 0
