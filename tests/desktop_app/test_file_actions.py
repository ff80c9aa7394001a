"""The File menu needs the studio, the settings and a few callbacks, not the window: it
can be built beside a bare widget, and what a loaded latent file changes reaches the views
through the studio's own announcement (no `refresh_model_state()` to remember)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QWidget

from desktop_app.core.events import Change
from desktop_app.core.studio import Studio
from desktop_app.views.files.file_actions import FileActions, FileHooks
from desktop_app.views.files.settings import make_settings


def test_the_file_menu_works_on_a_studio_and_callbacks_alone(qtbot, model_dir, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    studio = Studio()
    studio.load_model(model_dir / "conditional.onnx")
    said, recorded, opened = [], [], []

    def record(text, command):
        recorded.append(text)
        return command()

    hooks = FileHooks(open_model=lambda p: opened.append(Path(p)) or True, record=record,
                      pixels=lambda: studio.render().pixels, period_s=lambda: 2.0,
                      message=lambda text, kind: said.append((kind, text)),
                      status=lambda text, ms: said.append(("status", text)),
                      quit=parent.close)
    files = FileActions(studio, make_settings(), hooks, parent)
    assert files.menu.title() == "&File" and files.model_actions
    saved = studio.state.z.copy()
    assert files.save_latents(tmp_path / "l.json")
    assert files.export_png(tmp_path / "d.png", scale=2)
    heard = []
    studio.subscribe(heard.append)
    studio.set_seed(123)
    assert not np.allclose(studio.state.z, saved)
    assert files.load_latents(tmp_path / "l.json")
    assert recorded == ["Load l.json"] and Change.RESTORE in heard
    np.testing.assert_allclose(studio.state.z, saved)
    assert files.open_path(model_dir / "generator.onnx") and opened
    assert ("status", "Loaded l.json") in said and ("error", "") not in said
