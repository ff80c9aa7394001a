"""Generators whose classes are clusters (docs/model-contract.md, "Classes that are
clusters"): the metadata is checked strictly, such a model opens with one button per
cluster and says "cluster c" everywhere, what is chosen or mixed is what the generator
draws, random samples follow `class_priors`, latent files carry any width, and encoders
must match the kind of class. Digit models keep their words and behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from desktop_app.core.files import latent_files as files
from desktop_app.core.models.contract import ContractError, parse_metadata
from desktop_app.core.find.encoder import Encoder
from desktop_app.core.pixels import to_uint8
from desktop_app.core.explore.frames import why_not_side_by_side
from desktop_app.core.models.generator import Generator
from desktop_app.core.morph.keyframes import Keyframe
from desktop_app.core.explore.latent import LatentState, seed_digit
from desktop_app.core.models.model_card import model_rows
from desktop_app.core.explore.weights import describe, mix, one_hot

from . import onnx_models as om

K = 20
# Strongly unequal: cluster 7 holds 90 % of the training images, the others share 10 %.
PRIORS = [0.9 if c == 7 else 0.1 / (K - 1) for c in range(K)]


@pytest.fixture(scope="module")
def cluster_dir(tmp_path_factory) -> Path:
    """clusters.onnx (20 clusters, 8-d, PRIORS) with clusters.encoder.onnx, and
    clusters10.onnx (10 classes that are clusters, the width of a digit model)."""
    folder = tmp_path_factory.mktemp("clusters")
    om.save(om.generator_model(8, clusters=K, seed=4, priors=PRIORS), folder / "clusters.onnx")
    om.save(om.encoder_model(8, K, generator="clusters.onnx", clusters=True, priors=PRIORS),
            folder / "clusters.encoder.onnx")
    om.save(om.generator_model(8, clusters=10, seed=5), folder / "clusters10.onnx")
    return folder


def _frame(window, qtbot, action) -> np.ndarray:
    with qtbot.waitSignal(window.frameRendered, timeout=5000):
        action()
    return window.ui.digit_view.pixels()


def _drawn(window, weights) -> np.ndarray:
    """The generator's own image of the current z at `weights`."""
    state = window.studio.state
    return to_uint8(window.studio.generator.generate(state.z, weights))[0]


@pytest.fixture
def clusters(window, qtbot, cluster_dir):
    with qtbot.waitSignal(window.directionsReady, timeout=10_000):
        assert window.open_model(cluster_dir / "clusters.onnx")
    qtbot.waitUntil(lambda: window.ui.digit_view.pixels() is not None, timeout=5000)
    return window


# --- the contract ------------------------------------------------------------------------

def _meta(num_classes: int = K, **overrides) -> dict:
    base = {"classes": "clusters", "class_priors": json.dumps(om.default_priors(num_classes))}
    return om.metadata("generator", 8, num_classes, {**base, **overrides})


@pytest.mark.parametrize("meta, words", [
    (_meta(classes="letters"), "metadata 'classes' is 'letters', not 'digits' or 'clusters'"),
    (_meta(classes="Clusters"), "metadata 'classes' is 'Clusters'"),
    (_meta(class_priors=None), "lacks 'class_priors'"),
    (_meta(class_priors='{"0": 1}'), "'class_priors' must be a JSON list"),
    (_meta(class_priors="0.05, 0.95"), "'class_priors' must be a JSON list"),
    (_meta(class_priors="[" * 100_000), "'class_priors' must be a JSON list"),
    (_meta(class_priors=json.dumps([1 / 19] * 19)), "'class_priors' has 19 values, but "
                                                    "'num_classes' is 20"),
    (_meta(class_priors=json.dumps([0.0] + [1 / 19] * 19)), "positive finite"),
    (_meta(class_priors=json.dumps([-0.05, 0.1] + [0.05] * 18)), "positive finite"),
    (_meta(class_priors="[NaN" + ", 0.05" * 19 + "]"), "not NaN or Infinity"),
    (_meta(class_priors="[Infinity" + ", 0.05" * 19 + "]"), "not NaN or Infinity"),
    (_meta(class_priors="[1e400" + ", 0.05" * 19 + "]"), "positive finite"),
    (_meta(class_priors="[" + "9" * 400 + ", 0.05" * 19 + "]"), "positive finite"),
    (_meta(class_priors=json.dumps([True] + [0.05] * 19)), "only numbers"),
    (_meta(class_priors=json.dumps(["0.05"] * 20)), "only numbers"),
    (_meta(class_priors=json.dumps([0.045] * 20)), "sums to 0.9, not 1"),
    (_meta(class_priors=json.dumps([0.05] * 19 + [0.052])), "sums to 1.002"),
    (_meta(1, class_priors="[1]"), "'num_classes' is 1, but a generator whose classes are "
                                   "clusters has 2..100"),
    (_meta(0, class_priors="[]"), "'num_classes' is 0"),
    (_meta(101), "outside 0..100"),
    (om.metadata("generator", 8, 20), "must be one of (0, 10) when the classes are digits, "
                                      "not 20"),
    (om.metadata("generator", 8, 20, {"classes": "digits"}), "when the classes are digits"),
    (om.metadata("generator", 8, 5, {"class_priors": "[0.2, 0.2, 0.2, 0.2, 0.2]"}),
     "when the classes are digits"),
])
def test_broken_cluster_metadata_is_refused_with_one_sentence(meta, words):
    with pytest.raises(ContractError) as err:
        parse_metadata(Path("model.onnx"), meta, "generator")
    text = str(err.value)
    assert words in text
    assert text.startswith("Cannot load model.onnx: ") and text.count(". ") == 0


def test_valid_cluster_metadata_gives_the_kind_and_the_priors():
    info = parse_metadata(Path("m.onnx"), _meta(class_priors=json.dumps(PRIORS)), "generator")
    assert (info.num_classes, info.classes, info.clusters, info.class_noun) == \
        (K, "clusters", True, "cluster")
    assert len(info.class_priors) == K and abs(sum(info.class_priors) - 1) < 1e-12
    assert info.class_priors[7] == pytest.approx(0.9)
    # Within ±0.001 of 1 is accepted and renormalised; 2 and 100 clusters are the bounds.
    loose = parse_metadata(Path("m.onnx"), _meta(class_priors=json.dumps([0.05] * 19 + [0.0509])),
                           "generator")
    assert abs(sum(loose.class_priors) - 1) < 1e-12
    for k in (2, 10, 100):
        assert parse_metadata(Path("m.onnx"), _meta(k), "generator").num_classes == k
    # Digits, said or not: the old rules, no priors (a stray priors key is ignored).
    for meta in (om.metadata("generator", 8, 10), om.metadata("generator", 8, 10,
                                                             {"classes": "digits"}),
                 om.metadata("generator", 8, 10, {"class_priors": "[oops"})):
        digits = parse_metadata(Path("m.onnx"), meta, "generator")
        assert (digits.classes, digits.clusters, digits.class_priors, digits.class_noun) == \
            ("digits", False, None, "digit")
    assert not parse_metadata(Path("m.onnx"), om.metadata("generator", 8, 0), "generator").clusters


def test_a_cluster_file_with_broken_priors_is_refused_at_load(tmp_path):
    path = om.save(om.generator_model(8, clusters=K, meta={"class_priors": "[0.5, 0.5]"}),
                   tmp_path / "broken.onnx")
    with pytest.raises(ContractError, match=r"^Cannot load broken.onnx: metadata "
                                            r"'class_priors' has 2 values"):
        Generator.from_path(path)


def test_a_valid_cluster_file_loads_and_draws_each_cluster(cluster_dir):
    gen = Generator.from_path(cluster_dir / "clusters.onnx")
    try:
        assert (gen.num_classes, gen.clusters, gen.conditional) == (K, True, True)
        assert gen.class_priors[7] == pytest.approx(0.9)
        z = np.zeros((K, 8), np.float32)
        images = gen.generate(z, np.eye(K, dtype=np.float32))
        assert len({to_uint8(im).tobytes() for im in images}) == K  # 20 distinct pictures
        with pytest.raises(ValueError, match=r"shape \(n, 20\)"):
            gen.generate(z[:1], one_hot(3, 10))
    finally:
        gen.close()


# --- encoders -------------------------------------------------------------------------------

def test_an_encoder_for_a_cluster_generator_loads_and_gives_k_weights(cluster_dir):
    gen = Generator.from_path(cluster_dir / "clusters.onnx")
    try:
        enc = Encoder.from_path(cluster_dir / "clusters.encoder.onnx", generator=gen)
        assert (enc.num_classes, enc.info.clusters) == (K, True)
        z, w = enc.encode(np.zeros((3, 28, 28), np.float32))
        assert z.shape == (3, 8) and w.shape == (3, K)
        assert np.allclose(w.sum(1), 1, atol=1e-6)
    finally:
        gen.close()


@pytest.mark.parametrize("generator, encoder, words", [
    # The same width, another kind of class: refused.
    ("clusters10.onnx", om.encoder_model(8, 10, generator="clusters10.onnx"),
     "its classes are digits, but clusters10.onnx's are clusters; train one with"),
    ("conditional.onnx", om.encoder_model(8, 10, generator="conditional.onnx", clusters=True),
     "its classes are clusters, but conditional.onnx's are digits"),
    # Another width or latent size: refused as before.
    ("clusters.onnx", om.encoder_model(8, 19, generator="clusters.onnx", clusters=True),
     "num_classes 19, but clusters.onnx has 8 and 20"),
    ("clusters.onnx", om.encoder_model(16, K, generator="clusters.onnx", clusters=True),
     "latent_dim 16"),
    ("clusters.onnx", om.encoder_model(8, 0, generator="clusters.onnx"), "num_classes 0"),
    # Another clustering of the same size.
    ("clusters.onnx", om.encoder_model(8, K, generator="clusters.onnx", clusters=True),
     "cluster priors differ from clusters.onnx's"),
    # An encoder's own cluster keys follow the generator's rules.
    ("clusters.onnx", om.encoder_model(8, K, generator="clusters.onnx", clusters=True,
                                       meta={"class_priors": None}), "lacks 'class_priors'"),
])
def test_an_encoder_of_another_kind_of_class_is_refused(cluster_dir, model_dir, tmp_path,
                                                        generator, encoder, words):
    folder = cluster_dir if (cluster_dir / generator).exists() else model_dir
    gen = Generator.from_path(folder / generator)
    try:
        path = om.save(encoder, tmp_path / "x.encoder.onnx")
        with pytest.raises(ContractError, match=words):
            Encoder.from_path(path, generator=gen)
    finally:
        gen.close()


# --- words --------------------------------------------------------------------------------

def test_words_name_clusters_for_cluster_models_and_digits_as_before():
    assert describe(one_hot(3, 10)) == "digit 3"
    assert describe(mix(3, 8, 0.3, 10)) == "70 % 3 + 30 % 8"
    assert describe(one_hot(13, K), clusters=True) == "cluster 13"
    assert describe(mix(4, 15, 0.3, K), clusters=True) == "70 % cluster 4 + 30 % cluster 15"


def test_the_model_card_says_clusters_and_their_shares(cluster_dir):
    info = parse_metadata(cluster_dir / "clusters.onnx",
                          _meta(class_priors=json.dumps(PRIORS),
                                metrics=json.dumps({"ppl": {"within_cluster": 10.5,
                                                            "across_clusters": 30.25}})),
                          "generator")
    rows = dict(model_rows(info))
    assert "20 clusters" in rows["Kind"] and "you choose the cluster" in rows["Kind"]
    assert rows["Classes"] == "20 k-means clusters of the training images"
    assert "90.0%" in rows["Cluster shares"] and "cluster 7" in rows["Cluster shares"]
    assert rows["Perceptual path length, within a cluster"] == "10.5"
    assert rows["Perceptual path length, across clusters"] == "30.25"


def test_compare_refuses_another_kind_of_class(cluster_dir, model_dir):
    gens = [Generator.from_path(p) for p in (cluster_dir / "clusters.onnx",
                                             model_dir / "conditional.onnx",
                                             cluster_dir / "clusters10.onnx")]
    try:
        clusters, digits, clusters10 = gens
        why = why_not_side_by_side(digits, clusters)
        assert "clusters.onnx has 20 clusters and conditional.onnx 10 digit classes" in why
        assert "same class side by side" in why
        why = why_not_side_by_side(digits, clusters10)  # same width, another kind
        assert why and "10 clusters" in why and "10 digit classes" in why
        assert why_not_side_by_side(clusters, clusters) is None
    finally:
        for g in gens:
            g.close()


# --- random samples follow the priors ----------------------------------------------------

def test_random_classes_follow_the_priors_deterministically():
    drawn = [seed_digit(s, K, PRIORS) for s in range(200)]
    assert drawn == [seed_digit(s, K, PRIORS) for s in range(200)]  # per seed, always
    assert drawn.count(7) >= 160  # a 0.9 prior: most of 200 seeds
    assert all(0 <= c < K for c in drawn) and len(set(drawn)) > 3  # the others too
    # Uniform priors spread evenly; a digit model stays uniform over 0..9 as before.
    uniform = [seed_digit(s, K, [1 / K] * K) for s in range(2000)]
    assert set(uniform) == set(range(K)) and max(uniform.count(c) for c in range(K)) < 160
    assert [seed_digit(s, 10) for s in range(50)] == \
        [int(np.random.default_rng([s, 0xD161]).integers(10)) for s in range(50)]
    # The latent of a seed is the same whatever its class is drawn by.
    state = LatentState(8, seed=5, num_classes=K, class_priors=PRIORS)
    plain = LatentState(8, seed=5)
    assert np.array_equal(state.z, plain.z)
    for s in range(30):
        state.set_seed(s)
        assert np.array_equal(state.class_weights, one_hot(seed_digit(s, K, PRIORS), K))


def test_new_seeds_in_the_window_draw_clusters_by_their_priors(clusters, qtbot):
    w = clusters
    picked = []
    for s in range(40):
        w.latent.set_seed(s)
        picked.append(int(np.argmax(w.studio.state.class_weights)))
        assert picked[-1] == seed_digit(s, K, PRIORS)
    assert picked.count(7) >= 30
    shown = _frame(w, qtbot, w.ui.controls.draw_random)  # R: a random seed
    state = w.studio.state
    assert np.array_equal(state.class_weights, one_hot(seed_digit(state.seed, K, PRIORS), K))
    assert np.array_equal(shown, _drawn(w, state.class_weights))


# --- the window ---------------------------------------------------------------------------

def test_a_cluster_model_opens_with_one_button_per_cluster_and_cluster_words(clusters):
    w, chooser = clusters, clusters.ui.digit_chooser
    buttons = chooser.group.buttons()
    assert len(buttons) == K and sorted(chooser.group.id(b) for b in buttons) == list(range(K))
    assert w.ui.digit_group.isVisible() and w.ui.digit_group.title() == "Cluster"
    assert chooser.caption.text().startswith("cluster ")
    for b in buttons:
        assert "cluster" in b.toolTip() and "digit " not in b.toolTip()
    assert "(key 3)" in chooser.group.button(3).toolTip()
    assert "key" not in chooser.group.button(13).toolTip()
    for box in (chooser.mix_a, chooser.mix_b, chooser.morph_from, chooser.morph_to):
        assert (box.minimum(), box.maximum()) == (0, K - 1)
    assert "second cluster" in chooser.mix_slider.toolTip()
    assert "20 clusters" in w.ui.model_label.text()
    assert w.menus.classes.menu.title() == "&Cluster"
    assert [a.text() for a in w.menus.classes.actions] == [f"Cluster {c}" for c in range(K)]
    assert all(a.isEnabled() for a in w.menus.classes.actions)


def test_choosing_cluster_13_draws_the_generators_cluster_13(clusters, qtbot):
    w, chooser = clusters, clusters.ui.digit_chooser
    shown = _frame(w, qtbot, lambda: chooser.group.button(13).click())
    assert np.array_equal(w.studio.state.class_weights, one_hot(13, K))
    assert len(w.studio.state.class_weights) == K
    assert np.array_equal(shown, _drawn(w, one_hot(13, K)))
    assert chooser.group.checkedId() == 13 and chooser.caption.text() == "cluster 13"
    assert w.history.stack.undoText() == "Cluster 13"
    # The menu entry past the keys and the key 4 choose clusters too.
    shown = _frame(w, qtbot, w.menus.classes.actions[17].trigger)
    assert np.array_equal(shown, _drawn(w, one_hot(17, K)))
    w.activateWindow()
    w.ui.digit_view.setFocus()
    shown = _frame(w, qtbot, lambda: qtbot.keyClick(w.ui.digit_view, Qt.Key.Key_4))
    assert np.array_equal(w.studio.state.class_weights, one_hot(4, K))
    assert np.array_equal(shown, _drawn(w, one_hot(4, K)))


def test_a_mix_of_two_clusters_is_the_generators_own_blend(clusters, qtbot):
    w, chooser = clusters, clusters.ui.digit_chooser
    _frame(w, qtbot, lambda: chooser.group.button(4).click())
    chooser.mix_b.setValue(15)
    shown = _frame(w, qtbot, lambda: chooser.mix_slider.setValue(30))
    blend = mix(4, 15, 0.3, K)
    np.testing.assert_allclose(w.studio.state.class_weights, blend, atol=1e-6)
    assert np.array_equal(shown, _drawn(w, w.studio.state.class_weights))
    assert chooser.caption.text() == "70 % cluster 4 + 30 % cluster 15"
    assert chooser.group.checkedId() == -1
    state = w.studio.state
    pure = [w.studio.generator.generate(state.z, one_hot(c, K))[0] for c in (4, 15)]
    average = to_uint8(0.7 * pure[0] + 0.3 * pure[1])
    assert not np.array_equal(shown, average)  # drawn by the generator, not a cross-fade
    assert w.history.stack.undoText() == "Cluster mix"


def test_the_cluster_morph_and_keyframes_say_cluster(clusters, qtbot):
    w, chooser = clusters, clusters.ui.digit_chooser
    chooser.morph_from.setValue(2)
    chooser.morph_to.setValue(17)
    _frame(w, qtbot, chooser.morph_button.click)
    keys = w.studio.keyframes
    assert [int(np.argmax(k.class_weights)) for k in keys] == [2, 17]
    assert w.history.stack.undoText() == "Morph cluster 2 → cluster 17"
    listed = w.ui.interpolation.keyframe_list
    names = [listed.item(i).text() for i in range(listed.count())]
    assert names == ["A · cluster 2", "B · cluster 17"]
    shown = _frame(w, qtbot, lambda: w.path.set_t(0.5))
    assert np.array_equal(shown, _drawn(w, mix(2, 17, 0.5, K)))


def test_switching_between_cluster_and_digit_models_rebuilds_the_chooser(clusters, qtbot,
                                                                         model_dir,
                                                                         cluster_dir):
    w, chooser = clusters, clusters.ui.digit_chooser
    with qtbot.waitSignal(w.frameRendered, timeout=5000):
        assert w.open_model(model_dir / "conditional.onnx")
    assert len(chooser.group.buttons()) == 10 and w.ui.digit_group.title() == "Digit"
    assert chooser.group.button(3).toolTip() == "Draw the digit 3 (key 3)"
    assert chooser.mix_b.maximum() == 9 and chooser.caption.text().startswith("digit ")
    assert [a.text() for a in w.menus.classes.actions] == [f"Digit {d}" for d in range(10)]
    assert w.menus.classes.menu.title() == "&Digit"
    assert "clusters" not in w.ui.model_label.text()
    assert len(w.studio.state.class_weights) == 10
    # 10 clusters: the same width as digits, another kind: the words change anyway.
    with qtbot.waitSignal(w.frameRendered, timeout=5000):
        assert w.open_model(cluster_dir / "clusters10.onnx")
    assert len(chooser.group.buttons()) == 10 and w.ui.digit_group.title() == "Cluster"
    assert chooser.caption.text().startswith("cluster ")
    assert [a.text() for a in w.menus.classes.actions] == [f"Cluster {c}" for c in range(10)]


def test_the_class_layout_holds_at_800_by_600_with_20_buttons(clusters, qtbot, tmp_path):
    w, chooser = clusters, clusters.ui.digit_chooser
    w.resize(800, 600)
    qtbot.waitUntil(lambda: w.width() == 800 and w.height() == 600)
    w.ui.tabs.setCurrentIndex(0)
    qtbot.wait(1)  # one event-loop turn for the layout
    box = w.ui.digit_group
    area = chooser.buttons_scroll.viewport()
    for button in chooser.group.buttons():
        assert button.isVisible() and button.width() >= 22 and button.height() >= 16
        # Wholly inside the visible part of the chooser: nothing clipped or scrolled away.
        top_left = button.mapTo(area, QPoint(0, 0))
        assert top_left.x() >= 0 and top_left.y() >= 0
        assert top_left.x() + button.width() <= area.width()
        assert top_left.y() + button.height() <= area.height()
    rows = {b.mapTo(box, QPoint(0, 0)).y() for b in chooser.group.buttons()}
    assert len(rows) == 2  # rows of ten
    assert chooser.mix_slider.width() >= 40 and chooser.morph_button.isVisible()
    assert w.ui.tabs.height() >= 200  # the tabs below keep their room
    assert w.minimumWidth() <= 800 and w.minimumHeight() <= 600
    assert box.grab().save(str(tmp_path / "chooser.png"))


def test_a_hundred_clusters_scroll_instead_of_pushing_the_tabs_away(window, qtbot,
                                                                    tmp_path):
    path = om.save(om.generator_model(8, clusters=100, seed=6), tmp_path / "c100.onnx")
    with qtbot.waitSignal(window.frameRendered, timeout=5000):
        assert window.open_model(path)
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.width() == 800 and window.height() == 600)
    chooser = window.ui.digit_chooser
    assert len(chooser.group.buttons()) == 100
    assert chooser.buttons_scroll.height() < 4 * chooser.group.button(0).height() + 10
    assert window.ui.tabs.height() >= 150
    assert chooser.group.button(0).width() >= 18
    assert len(window.menus.classes.actions) == 100
    assert all(a.shortcut().isEmpty() for a in window.menus.classes.actions[10:])


def test_keys_past_a_small_models_clusters_do_nothing(window, qtbot, tmp_path):
    path = om.save(om.generator_model(8, clusters=5, seed=7), tmp_path / "c5.onnx")
    with qtbot.waitSignal(window.frameRendered, timeout=5000):
        assert window.open_model(path)
    before = window.studio.state.class_weights.copy()
    window.latent.choose_digit(7)  # no cluster 7: ignored, no exception, no undo step
    assert np.array_equal(window.studio.state.class_weights, before)
    assert [a.isEnabled() for a in window.menus.classes.actions] == [True] * 5 + [False] * 5
    assert len(window.ui.digit_chooser.group.buttons()) == 5


# --- latent files -------------------------------------------------------------------------

def test_a_latent_file_with_20_weights_round_trips(tmp_path):
    current = Keyframe(np.arange(8, dtype=np.float32) / 7, mix(4, 15, 0.3, K))
    keys = [Keyframe(np.ones(8, np.float32), one_hot(13, K), "A"),
            Keyframe(np.zeros(8, np.float32), one_hot(19, K), "B")]
    data = files.LatentFile(current, keys, seed=3, model="clusters.onnx")
    files.save(tmp_path / "c.json", data)
    back = files.load(tmp_path / "c.json", expected_dim=8)
    assert np.array_equal(back.current.class_weights, current.class_weights)
    assert [np.array_equal(a.class_weights, b.class_weights) for a, b in
            zip(back.keyframes, keys)] == [True, True]
    # Any width from 1 to 100 is read; more, none, or a label past 9 are refused.
    doc = json.loads(files.dumps(data))
    for bad, words in (([0.01] * 100 + [0.0], "101 values, not 1..100"),
                       ([], "0 values, not 1..100")):
        doc["current"]["class_weights"] = bad
        with pytest.raises(files.LatentFileError, match=words):
            files.loads(json.dumps(doc))
    doc["current"]["class_weights"] = [0.01] * 100
    assert len(files.loads(json.dumps(doc)).current.class_weights) == 100
    del doc["current"]["class_weights"]
    doc["current"]["label"] = 13
    with pytest.raises(files.LatentFileError, match="not a digit 0..9"):
        files.loads(json.dumps(doc))


def test_the_window_saves_and_loads_cluster_weights(clusters, qtbot, tmp_path):
    w, chooser = clusters, clusters.ui.digit_chooser
    _frame(w, qtbot, lambda: chooser.group.button(13).click())
    w.path.add_keyframe()
    _frame(w, qtbot, lambda: chooser.group.button(18).click())
    assert w.files.save_latents(tmp_path / "mine.json")
    saved = json.loads((tmp_path / "mine.json").read_text())
    assert len(saved["current"]["class_weights"]) == K
    _frame(w, qtbot, lambda: chooser.group.button(2).click())
    shown = _frame(w, qtbot, lambda: w.files.load_latents(tmp_path / "mine.json"))
    assert np.array_equal(w.studio.state.class_weights, one_hot(18, K))
    assert np.array_equal(w.studio.keyframes[0].class_weights, one_hot(13, K))
    assert np.array_equal(shown, _drawn(w, one_hot(18, K)))


def test_loading_weights_that_do_not_fit_says_so_and_keeps_the_class(cond_window, qtbot,
                                                                     tmp_path):
    w = cond_window
    data = files.LatentFile(Keyframe(np.zeros(8, np.float32), one_hot(13, K)),
                            [Keyframe(np.ones(8, np.float32), one_hot(2, K), "A")])
    files.save(tmp_path / "twenty.json", data)
    before = w.studio.state.class_weights.copy()
    assert w.files.load_latents(tmp_path / "twenty.json")
    message = w.statusBar().currentMessage()
    assert "hold 20 values but conditional.onnx has 10 digits" in message
    assert "1 keyframe(s) are kept but not drawable by this model" in message
    assert np.array_equal(w.studio.state.class_weights, before)
    # The keyframe keeps its cluster: a model of those 20 clusters draws it again.
    assert np.array_equal(w.studio.keyframes[0].class_weights, one_hot(2, K))
    assert w.studio.path_keys == ()
    assert np.array_equal(w.studio.state.z, np.zeros(8, np.float32))
