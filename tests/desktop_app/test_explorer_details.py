"""Small things a new user meets: Stop Comparing only while
comparing, each pane named while comparing, an export typed without an extension gets the
chosen format's, file dialogs start in the models folder (then the last one used), the
Training panel starts from the shipped recipe in the user's data folder and counts
epochs of what it would train, and Quit asks before it stops a training run."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from desktop_app.views.train.runner import TrainingRunner


def _action(window, text: str):
    for menu in window.menuBar().findChildren(QMenu):
        for action in menu.actions():
            if action.text().replace("&", "") == text:
                return action
    raise AssertionError(f"no menu entry {text!r}")


def test_stop_comparing_only_while_comparing_and_each_pane_named(loaded, qtbot, model_dir):
    w = loaded
    stop = _action(w, "Stop Comparing")
    assert not stop.isEnabled()
    assert w.compare.open(model_dir / "generator_b.onnx")
    assert stop.isEnabled()
    assert w.ui.compare.main_title.isVisibleTo(w)
    assert w.ui.compare.main_title.text() == "generator.onnx"
    assert "generator_b.onnx" in w.ui.compare.title.text()
    stop.trigger()
    assert w.studio.compare_generator is None and not stop.isEnabled()
    assert not w.ui.compare.main_title.isVisibleTo(w)


def test_an_export_named_without_an_extension_gets_the_formats(loaded, qtbot, tmp_path,
                                                              monkeypatch):
    w = loaded
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (4, True))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "my digit"), "PNG images (*.png)"))
    w.files.export_png_dialog()
    assert (tmp_path / "my digit.png").is_file()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "mine"), ""))
    w.files.save_latents_dialog()
    assert (tmp_path / "mine.json").is_file()
    assert not (tmp_path / "mine").exists()


def test_file_dialogs_start_in_the_models_folder_then_the_last_used(loaded, tmp_path,
                                                                   monkeypatch,
                                                                   isolated_app_env):
    w = loaded
    w.settings.remove("last_folder")
    assert Path(w.files.folder()) == isolated_app_env  # the (shipped) models folder
    starts = []

    def chosen(parent, title, folder, *filters, **kwargs):
        starts.append(folder)
        return str(tmp_path / "saved.json"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", chosen)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", chosen)
    w.files.save_latents_dialog()
    assert Path(starts[0]).parent == isolated_app_env
    w.compare.open_dialog()  # Compare starts where the last dialog ended
    assert Path(starts[1]) == tmp_path


def test_the_training_panel_starts_from_the_shipped_recipe(window, qtbot):
    panel = window.show_training()
    form = panel.form
    assert form.arch_box.currentText() == "cdcgan" and form.epochs_box.value() == 30
    assert form.extra_edit.text() == "--recipe default"  # the shipped recipe, whole (digit_contract.run_folder.RECIPES)
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    assert Path(form.out_folder()).is_relative_to(Path(data))
    assert panel.progress.text() == "epoch 0 of 30"
    form.epochs_box.setValue(12)
    assert panel.progress.text() == "epoch 0 of 12"


def test_quit_during_a_training_run_asks_first(window, qtbot, monkeypatch):
    window.show_training()
    monkeypatch.setattr(TrainingRunner, "running", property(lambda self: True))
    asked = []

    def answer(reply):
        def question(*args, **kwargs):
            asked.append(args[2])
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    assert not window.close()
    assert window.isVisible() and "training run" in asked[0]
    monkeypatch.setattr(TrainingRunner, "running", property(lambda self: False))
    assert window.close()  # the run is over: nothing to ask
