"""Cluster buttons say which digit each cluster mostly draws: the classifier reads a few
dozen samples of every cluster, once per model load, off the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop_app.core.explore import cluster_digits as cd
from desktop_app.core.models.classifier import Classifier
from desktop_app.core.models.generator import Generator
from desktop_app.core.studio import Studio

from . import onnx_models as om

K = 20  # the fixture's cluster c pulls towards digit c % 10 (onnx_models._embedding)


@pytest.fixture(scope="module")
def cluster_dir(tmp_path_factory) -> Path:
    """clusters.onnx (20 clusters) with a classifier beside it."""
    folder = tmp_path_factory.mktemp("cluster_digits")
    om.save(om.generator_model(8, clusters=K, seed=4), folder / "clusters.onnx")
    om.save(om.classifier_model(), folder / "classifier.onnx")
    return folder


def test_each_cluster_is_named_by_the_digit_its_samples_are_read_as(cluster_dir):
    gen = Generator.from_path(cluster_dir / "clusters.onnx")
    digits = cd.cluster_digits(gen, Classifier.from_path(cluster_dir / "classifier.onnx"))
    assert [d.digit for d in digits] == [c % 10 for c in range(K)]
    assert all(0.5 < d.share <= 1.0 for d in digits)
    assert digits[13].hint() == "≈3"
    assert digits[13].sentence(13).startswith("Cluster 13 mostly draws 3 (")


def test_the_search_stops_when_asked(cluster_dir):
    gen = Generator.from_path(cluster_dir / "clusters.onnx")
    clf = Classifier.from_path(cluster_dir / "classifier.onnx")
    with pytest.raises(cd.Cancelled):
        cd.cluster_digits(gen, clf, should_stop=lambda: True)


def test_a_result_for_another_model_or_classifier_is_refused(cluster_dir, model_dir):
    studio = Studio()
    studio.load_model(cluster_dir / "clusters.onnx")
    serial, gen, clf = studio.cluster_digits_wanted()
    digits = cd.cluster_digits(gen, clf)
    studio.set_classifier(Classifier.from_path(cluster_dir / "classifier.onnx"))
    assert not studio.offer_cluster_digits(serial, digits)  # the classifier changed since
    serial = studio.cluster_digits_wanted()[0]
    assert studio.offer_cluster_digits(serial, digits)
    assert studio.cluster_digits == digits and studio.cluster_digits_wanted() is None
    studio.load_model(model_dir / "conditional.onnx")  # digits, not clusters
    assert studio.cluster_digits is None and studio.cluster_digits_wanted() is None


def test_the_buttons_show_the_digit_once_per_load_computed_off_the_gui_thread(
        window, qtbot, cluster_dir, monkeypatch):
    runs = []
    real = cd.cluster_digits

    def spy(*args, **kwargs):
        runs.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr("desktop_app.views.explore.cluster_digits.cluster_digits", spy)
    assert window.open_model(cluster_dir / "clusters.onnx")
    qtbot.waitUntil(lambda: window.studio.cluster_digits is not None, timeout=20_000)
    chooser = window.ui.digit_chooser
    assert [chooser.group.button(c).hint for c in range(K)] == [f"≈{c % 10}" for c in range(K)]
    assert "mostly draws 7" in chooser.group.button(17).toolTip()
    assert runs == [False]  # once, and not on the GUI thread
    window.scheduler.flush()
    assert chooser.caption.text().startswith("cluster ")  # it still names the cluster


def test_digit_models_get_no_hints(cond_window):
    chooser = cond_window.ui.digit_chooser
    assert cond_window.studio.cluster_digits is None
    assert not any(b.hint for b in chooser.group.buttons())
    assert "mostly" not in chooser.group.button(3).toolTip()


def test_without_a_classifier_the_buttons_name_only_the_cluster(window, cluster_dir,
                                                               tmp_path):
    lone = tmp_path / "clusters.onnx"
    lone.write_bytes((cluster_dir / "clusters.onnx").read_bytes())
    assert window.open_model(lone)
    assert window.studio.classifier is None and window.studio.cluster_digits_wanted() is None
    assert not any(b.hint for b in window.ui.digit_chooser.group.buttons())
