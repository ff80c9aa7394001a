"""The Training panel as a user sees it: a run folder filling up epoch by epoch, a child
heard through its status lines alone, a real tiny run started, stopped, resumed, exported
and loaded, and the app without the train extra.

The slow QProcess tests train for real (`python -m training`, TensorFlow in the child
only); they wait on files and signals, never on the clock.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.core.train import jobs as training_jobs
from desktop_app.core.train.run_folder import grid_path
from digit_contract.status import EpochDone, Failed, Finished, Interrupted, Started, format_status

PANEL = "desktop_app.views.train.panel"
TRAIN_MS = 300_000  # a tiny run on a loaded 2-core machine: TensorFlow's import dominates
TINY = "--train-samples 512 --batch-size 64 --estimate-every 0"


def _png(shade: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (62, 62), shade).save(buf, "PNG")
    return buf.getvalue()


def _line(epoch: int) -> bytes:
    return (json.dumps({"epoch": epoch, "seconds": 1.5, "d_loss": 1.2 - 0.1 * epoch, "g_loss": 0.8,
                        "d_real": 0.6, "d_fake": 0.4, "fid_estimate": 50.0 / epoch}) + "\n").encode()


@pytest.fixture
def panel(window, qtbot):
    from desktop_app.views.train.panel import TrainingPanel

    p = TrainingPanel(window.open_model, poll_ms=200)
    qtbot.addWidget(p)
    p.show()
    yield p
    p.shutdown()


def _watch(panel, folder: Path) -> None:
    panel.form.out_edit.setText(str(folder))
    panel.form.out_edit.editingFinished.emit()


def _after_next_read(panel, qtbot, change) -> None:
    """Make `change` on disk, then wait until the panel has read the folder after it."""
    reads = panel.watcher.reads
    change()
    qtbot.waitUntil(lambda: panel.watcher.reads > reads, timeout=10_000)


def test_the_panel_shows_exactly_the_complete_epochs(panel, qtbot, tmp_path):
    run = tmp_path / "run"
    _watch(panel, run)
    assert panel.shown_epochs() == [] and panel.shown_grid_epoch() is None
    metrics = run / "metrics.jsonl"

    def append(data: bytes) -> None:
        with metrics.open("ab") as f:
            f.write(data)

    _after_next_read(panel, qtbot, lambda: (run / "samples").mkdir(parents=True))
    _after_next_read(panel, qtbot, lambda: (run / "config.json").write_text('{"epochs": 4}'))
    assert panel.shown_epochs() == []
    # Epoch 1 whole, epoch 2's line half written: one epoch, no grid yet.
    _after_next_read(panel, qtbot, lambda: append(_line(1) + _line(2)[:20]))
    assert panel.shown_epochs() == [1] and panel.curves.epochs() == [1]
    assert panel.shown_grid_epoch() is None
    # Epoch 1's grid half written, then whole (the training side writes it atomically;
    # a copy or a foreign writer may not).
    half = _png(90)[:50]
    _after_next_read(panel, qtbot, lambda: grid_path(run, 1).write_bytes(half))
    assert panel.shown_grid_epoch() is None
    _after_next_read(panel, qtbot, lambda: grid_path(run, 1).write_bytes(_png(90)))
    assert panel.shown_grid_epoch() == 1 and panel.grid_label.pixmap().width() > 0
    # A grid without its metrics line is not an epoch yet.
    _after_next_read(panel, qtbot, lambda: (grid_path(run, 2).write_bytes(_png(120)),
                                            grid_path(run, 3).write_bytes(_png(150))))
    assert panel.shown_epochs() == [1] and panel.shown_grid_epoch() == 1
    _after_next_read(panel, qtbot, lambda: append(_line(2)[20:] + b"garbage\n" + _line(3)[:-1]))
    assert panel.shown_epochs() == [1, 2] and panel.curves.epochs() == [1, 2]
    assert panel.shown_grid_epoch() == 2  # the scrubber follows the newest grid
    assert panel.progress.value() == 2 and panel.progress.maximum() == 4
    _after_next_read(panel, qtbot, lambda: append(b"\n"))
    assert panel.shown_epochs() == [1, 2, 3] and panel.shown_grid_epoch() == 3
    # Scrubbing back shows an older grid, and a new epoch does not yank it away.
    panel.scrubber.setValue(0)
    assert panel.shown_grid_epoch() == 1 and "epoch 1 of 3" in panel.grid_caption.text()
    _after_next_read(panel, qtbot, lambda: (grid_path(run, 4).write_bytes(_png(200)), append(_line(4))))
    assert panel.shown_epochs() == [1, 2, 3, 4] and panel.shown_grid_epoch() == 1


# A stand-in for `python -m training train`: prints the lines its file gives, then exits with
# the code given, or waits for Stop (SIGINT) and prints the lines for that.
FAKE_CHILD = textwrap.dedent("""
    import json, sys, time
    spec = json.loads(open(sys.argv[1]).read())
    try:  # from the first line on: Stop may come as soon as the panel has read one
        for line in spec["lines"]:
            print(line, flush=True)
        if spec.get("on_stop") is None:
            sys.exit(spec["code"])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.02)
    except KeyboardInterrupt:
        for line in spec["on_stop"]:
            print(line, flush=True)
        sys.exit(130)
    sys.exit(3)
""")
RESUME = ("-m", "training", "train", "--out", "/r/run", "--epochs", "7", "--status", "json", "--resume")


def _fake_child(monkeypatch, folder: Path, lines, code=0, on_stop=None) -> None:
    """Run FAKE_CHILD instead of training; what it prints is in a file, so the command line
    the log echoes holds no status line."""
    spec = folder / "child.json"
    spec.write_text(json.dumps({"lines": [s if isinstance(s, str) else format_status(s) for s in lines],
                                "code": code, "on_stop": None if on_stop is None else list(map(format_status, on_stop))}))
    script = folder / "child.py"
    script.write_text(FAKE_CHILD)
    monkeypatch.setattr(training_jobs.TrainRequest, "args", lambda self, resume=False: [str(script), str(spec)])


def test_the_panel_follows_the_status_lines_alone(panel, qtbot, tmp_path, monkeypatch):
    """Nothing in the folder and a sentence that says otherwise: progress, the resume offer
    and the message come from the status lines."""
    out = tmp_path / "run"
    _watch(panel, out)
    panel.form.epochs_box.setValue(3)  # the child says 7 (More options may say --epochs)
    _fake_child(monkeypatch, tmp_path, [Started(str(out), 7, 0, False), "Epoch 1/7", EpochDone(1, 7, RESUME),
                              "4/4 - 0s - d_loss: 1.2", EpochDone(2, 7, RESUME)],
                on_stop=[Interrupted(2, RESUME, "epoch 2 is checkpointed; resume with: ...")])
    panel.start()
    qtbot.waitUntil(lambda: panel.progress.text() == "epoch 2 of 7", timeout=60_000)
    assert panel.shown_epochs() == []  # the folder has nothing: the child's word is the progress
    with qtbot.waitSignal(panel.runEnded, timeout=60_000) as ended:
        panel.stop()
    assert ended.args == [130]
    assert (panel.hint.epoch, panel.hint.argv) == (2, RESUME)
    assert panel.status_label.text() == ("Stopped. Epoch 2 is checkpointed; Resume continues it (or run: "
                                         "python -m training train --out /r/run --epochs 7 --status json --resume)")
    log = panel.log.toPlainText()
    assert "Epoch 1/7" in log and "digit_studio_status" not in log  # status lines are the panel's, not the log's


def test_a_stop_before_the_first_epoch_offers_nothing(panel, qtbot, tmp_path, monkeypatch):
    _watch(panel, tmp_path / "run")
    _fake_child(monkeypatch, tmp_path, [Started(str(tmp_path / "run"), 7, 0, False)],
                on_stop=[Interrupted(0, (), "no epoch had finished, so there is nothing to resume")])
    panel.start()
    qtbot.waitUntil(lambda: panel.progress.text() == "epoch 0 of 7", timeout=60_000)
    with qtbot.waitSignal(panel.runEnded, timeout=60_000):
        panel.stop()
    assert panel.hint is None
    assert panel.status_label.text() == "Stopped before the first epoch finished: there is nothing to resume."


def test_a_failed_run_says_why_and_what_is_kept(panel, qtbot, tmp_path, monkeypatch):
    _watch(panel, tmp_path / "run")
    _fake_child(monkeypatch, tmp_path, [Started(str(tmp_path / "run"), 7, 0, False), EpochDone(1, 7, RESUME),
                              Failed("/r/run/checkpoint.npz: cannot write the checkpoint (disk full)"),
                              "a last line that is not the reason"], code=2)
    with qtbot.waitSignal(panel.runEnded, timeout=60_000) as ended:
        panel.start()
    assert ended.args == [2] and panel.hint.epoch == 1
    assert panel.status_label.text() == ("Training failed (exit code 2): /r/run/checkpoint.npz: cannot write the "
                                         "checkpoint (disk full) Epoch 1 is checkpointed; Resume continues it.")


def test_the_panel_is_not_imported_at_startup_and_never_imports_training(tmp_path):
    script = textwrap.dedent(f"""
        import json, sys
        from desktop_app.views.app import application
        from desktop_app.views.main_window import MainWindow
        app = application()
        window = MainWindow()
        window.show()
        app.processEvents()
        before = {PANEL!r} in sys.modules
        panel = window.show_training()
        app.processEvents()
        heavy = ("tensorflow", "keras", "tf2onnx", "training")
        print(json.dumps([before, {PANEL!r} in sys.modules,
                          sorted(m for m in sys.modules if m.split(".")[0] in heavy)]))
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    before, after, heavy = json.loads(result.stdout.strip().splitlines()[-1])
    assert (before, after, heavy) == (False, True, [])


def test_the_menu_opens_the_panel(window, qtbot):
    action = next(a for m in window.menuBar().actions() for a in m.menu().actions()
                  if a.text().replace("&", "") == "Training…")
    action.trigger()
    assert window.training is not None and window.training.isVisible()
    action.trigger()  # a second time: the same panel, raised
    assert window.training is window.show_training()


def test_without_the_train_extra_the_panel_names_the_install_command(window, qtbot, monkeypatch,
                                                                       model_dir):
    real = training_jobs.find_spec
    monkeypatch.setattr(training_jobs, "find_spec", lambda name: None if name == "tensorflow" else real(name))
    panel = window.show_training()
    assert panel.install_label.isVisible()
    assert 'pip install -e ".[train]"' in panel.install_label.text()
    form = panel.form
    assert not form.start_button.isEnabled() and not form.resume_button.isEnabled()
    assert not form.finish_button.isEnabled()
    panel.start()
    assert not panel.runner.running
    # The rest of the app works.
    with qtbot.waitSignal(window.frameRendered, timeout=10_000):
        assert window.open_model(model_dir / "generator.onnx")


def _set_form(panel, data: Path, out: Path, epochs: int, export: Path | None = None) -> None:
    f = panel.form
    f.arch_box.setCurrentText("mlp")
    f.epochs_box.setValue(epochs)
    f.data_edit.setText(str(data))
    f.extra_edit.setText(TINY)
    f.export_edit.setText(str(export) if export else "")
    _watch(panel, out)


@pytest.mark.slow
def test_a_tiny_run_trains_exports_evaluates_and_loads(window, qtbot, tiny_mnist, tmp_path):
    panel = window.show_training()
    out, model = tmp_path / "run", tmp_path / "models" / "tiny.onnx"
    _set_form(panel, tiny_mnist, out, epochs=2, export=model)
    with qtbot.waitSignal(panel.runEnded, timeout=TRAIN_MS) as ended:
        panel.form.start_button.click()
        assert panel.runner.running and panel.form.stop_button.isEnabled()
    assert ended.args == [0], panel.log.toPlainText()
    assert panel.shown_epochs() == [1, 2] and panel.shown_grid_epoch() == 2
    # The real child's status lines, read by the panel: its start, both epochs, its end.
    assert panel.status.started == Started(str(out), 2, 0, False)
    assert panel.status.last_epoch.epoch == 2 and panel.status.ended == Finished(str(out), 2)
    assert panel.progress.text() == "epoch 2 of 2" and "Run finished: 2 epochs" in panel.status_label.text()
    assert panel.form.finish_button.isEnabled()
    with qtbot.waitSignal(panel.modelReady, timeout=TRAIN_MS) as ready:
        panel.form.finish_button.click()
    assert Path(ready.args[0]) == model
    assert window.studio.generator is not None and window.studio.generator.path == model
    assert window.studio.generator.info.epochs == 2
    assert json.loads(model.with_suffix(".eval.json").read_text())["n"] == 2000
    assert "evaluated and loaded" in panel.status_label.text()


@pytest.mark.slow
def test_stop_then_resume_continues_from_the_checkpointed_epoch(window, qtbot, tiny_mnist, tmp_path):
    panel = window.show_training()
    out = tmp_path / "run"
    _set_form(panel, tiny_mnist, out, epochs=500)  # far more than it gets to: Stop ends it
    panel.start()
    qtbot.waitUntil(lambda: (out / "checkpoint.npz").is_file(), timeout=TRAIN_MS)
    with qtbot.waitSignal(panel.runEnded, timeout=TRAIN_MS) as ended:
        panel.form.stop_button.click()
    assert ended.args == [130], panel.log.toPlainText()
    # The offer comes from the child's status line, and names the epoch its checkpoint holds.
    assert isinstance(panel.status.ended, Interrupted)
    n = panel.hint.epoch
    assert n >= 1 and f"Epoch {n} is checkpointed" in panel.status_label.text()
    assert np.load(out / "checkpoint.npz")["epoch"] == n
    assert panel.hint.argv[:3] == ("-m", "training", "train") and panel.hint.argv[-1] == "--resume"
    assert panel.form.resume_button.isEnabled()
    panel.form.epochs_box.setValue(n + 2)
    with qtbot.waitSignal(panel.runEnded, timeout=TRAIN_MS) as ended:
        panel.form.resume_button.click()
    log = panel.log.toPlainText()
    assert ended.args == [0], log
    assert f"resuming {out} after epoch {n}" in log
    assert panel.status.started == Started(str(out), n + 2, n, True)
    epochs = [json.loads(ln)["epoch"] for ln in (out / "metrics.jsonl").read_text().splitlines()]
    assert epochs == list(range(1, n + 3))  # no epoch lost, none twice
    assert panel.shown_epochs() == epochs
