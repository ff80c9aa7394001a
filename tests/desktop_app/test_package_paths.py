"""Paths the app derives from where its own files sit: they must name this checkout, wherever
a module lives in the package (a module moved one folder deeper once pointed them elsewhere)."""

from __future__ import annotations

from pathlib import Path

import desktop_app
from desktop_app.core.models import probe_process
from desktop_app.core.train import jobs

REPO = Path(__file__).resolve().parents[2]


def test_the_trial_child_imports_the_same_app_as_its_parent():
    assert Path(probe_process._PACKAGE_ROOT, "desktop_app", "__init__.py").resolve() == \
        Path(desktop_app.__file__).resolve()


def test_the_training_panel_knows_it_runs_from_a_checkout():
    assert jobs.CHECKOUT_ROOT == REPO
    assert jobs.in_checkout()
    assert jobs.install_command() == 'pip install -e ".[train]"'
