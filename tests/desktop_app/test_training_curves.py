"""The Training panel's curves: what a user reads off them."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from desktop_app.views.train.curves import TrainingCurvesWidget, log_ticks
from tests.conftest import REPO_ROOT


def test_log_ticks_are_readable_numbers_that_do_not_crowd():
    ticks = log_ticks(22.0, 980.0)
    labels = [label for _, label in ticks]
    assert labels == ["20", "50", "100", "200", "500", "1000"]
    assert all(math.isclose(v, math.log10(float(label))) for v, label in ticks)


def test_hover_reads_every_value_of_an_epoch_and_skips_what_a_log_axis_cannot_show(qtbot):
    w = TrainingCurvesWidget()
    qtbot.addWidget(w)
    w.set_series({"d_loss": [(1, 1.25), (2, 1.2)], "g_loss": [(1, 0.8), (2, float("nan"))],
                  "fid_estimate": [(1, 0.0), (2, 35.5)]})
    w.show()
    assert w.epochs() == [1, 2]
    assert w.values_at(2) == "epoch 2: D 1.2, FID (est.) 35.5"  # NaN G and FID 0 are not drawn
    assert w.values_at(1) == "epoch 1: D 1.25, G 0.8"


@pytest.mark.slow
def test_the_window_opens_without_loading_pyqtgraph():
    code = ("import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);\n"
            "from desktop_app.views.train.curves import TrainingCurvesWidget; w = TrainingCurvesWidget()\n"
            "assert 'pyqtgraph' not in sys.modules\n"
            "w.show(); app.processEvents(); assert 'pyqtgraph' in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr[-2000:]
