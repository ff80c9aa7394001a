"""The Qt-free side of the Training panel: reading a run folder while it is written, and
the command lines and messages of `python -m training`."""

from __future__ import annotations

import io
import json
import math
import os

import pytest
from PIL import Image

from desktop_app.core import training_jobs
from desktop_app.core.run_folder import (RunFolder, complete_png, eta_seconds, format_duration,
                                         grid_path, parse_metrics)
from desktop_app.core.training_jobs import TrainRequest, clean_log, resume_hint


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
                          "--data", "/d", "--train-samples", "512"]
    assert req.args(resume=True)[-1] == "--resume"
    with pytest.raises(ValueError):
        TrainRequest("mlp", 2, "/r", extra="--data 'open").args()


def test_resume_hint_is_read_from_the_interrupted_output():
    out = ("Epoch 3/50\n...\ndigit-train: interrupted; epoch 2 is checkpointed; resume with: "
           "python -m training train --out /r --epochs 50 --resume\n")
    hint = resume_hint(out)
    assert hint.epoch == 2 and hint.command.endswith("--epochs 50 --resume")
    assert resume_hint("digit-train: interrupted; no epoch had finished, so ...") is None


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
    from desktop_app.core.run_folder import RunSnapshot

    assert RunSnapshot(config={"epochs": 30}).planned_epochs == 30
    assert RunSnapshot(config={"epochs": 30.0}).planned_epochs == 30
    for bad in ("thirty", [5], 1e12, 10**12, -3, 0, True, None, 2.5, float("nan")):
        assert RunSnapshot(config={"epochs": bad}).planned_epochs == 0
    assert RunSnapshot().planned_epochs == 0
