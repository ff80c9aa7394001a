"""Self-conditioning without labels: k-means on pixels, a cluster-conditioned GAN, its two exports
(classes that are clusters, or z-only)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from training.clusters import kmeans


def _blobs(n_per: int = 200, seed: int = 0):
    """Three kinds of image (a bar left, a bar right, a bar across) with noise."""
    rng = np.random.default_rng(seed)
    kinds = []
    for kind in range(3):
        img = np.zeros((n_per, 28, 28), np.float32)
        if kind == 0:
            img[:, 4:24, 4:8] = 200
        elif kind == 1:
            img[:, 4:24, 20:24] = 200
        else:
            img[:, 12:16, 4:24] = 200
        kinds.append(np.clip(img + rng.normal(0, 20, img.shape), 0, 255).astype(np.uint8))
    order = rng.permutation(3 * n_per)
    return np.concatenate(kinds)[order], np.repeat(np.arange(3), n_per)[order]


def test_kmeans_finds_the_kinds_from_pixels_alone_and_is_reproducible():
    images, truth = _blobs()
    assign, clustering = kmeans(images, 3, seed=0)  # labels are never passed in
    assert clustering.k == 3 and sum(clustering.priors) == pytest.approx(1.0)
    # Every true kind lands in exactly one cluster: the partition is recovered up to names.
    pairs = {(int(a), int(t)) for a, t in zip(assign, truth)}
    assert len(pairs) == 3
    again, _ = kmeans(images, 3, seed=0)
    np.testing.assert_array_equal(assign, again)
    assert clustering.priors == pytest.approx([1 / 3] * 3, abs=0.01)


KINDS = 4


def _bar_kinds(folder, n: int = 2048, seed: int = 0):
    """MNIST files of four kinds of image (an upright bar at one of four places across) whose
    digit labels are random: only the pixels say which kind an image is."""
    from tests.conftest import write_idx

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    starts = np.linspace(2, 22, KINDS).round().astype(int)
    for split, m in (("train", n), ("t10k", 128)):
        images = np.zeros((m, 28, 28), np.uint8)
        for i, kind in enumerate(rng.integers(0, KINDS, m)):
            left = starts[kind] + rng.integers(0, 2)
            images[i, 4:24, left:left + 3] = 255
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images, 2051)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, m), 2049)
    return folder


def _ink_column(images) -> float:
    """The mean column of the ink in (n, 28, 28) images: where across the picture they draw."""
    ink = np.asarray(images, np.float64).reshape(-1, 28, 28).sum((0, 1))
    return float((ink * np.arange(28)).sum() / ink.sum())


def _draws_each_cluster_where_its_images_are(drawn: list[float], real: list[float]) -> None:
    """Cluster by cluster, the drawn pictures sit across the frame in the order of the
    clusters' real images, and far apart. A generator that ignores its class input draws
    the same mixture for every cluster: about the same column, in no particular order."""
    assert list(np.argsort(drawn)) == list(np.argsort(real)), (drawn, real)
    assert max(drawn) - min(drawn) > 2.0, (drawn, real)


@pytest.fixture(scope="module")
def bar_kinds_run(tmp_path_factory):
    """A 4-cluster run on the four kinds (short, at a high learning rate: about 130 steps),
    and the mean ink column of each cluster's real images, as k-means, run again here, assigns them."""
    from training.config import TrainConfig
    from training.data import load_mnist
    from training.train import train

    root = tmp_path_factory.mktemp("bar_kinds")
    data = _bar_kinds(root / "mnist")
    run = train(TrainConfig(arch="cdcgan", clusters=KINDS, width=8, latent_dim=8, epochs=4, batch_size=64, lr=2e-3,
                            ema=0.0, estimate_every=0, data=str(data), out=str(root / "run")), verbose=0)
    images = load_mnist(data).train_images
    assign, clustering = kmeans(images, KINDS, seed=0)
    return run, [_ink_column(images[assign == c]) for c in range(KINDS)], clustering


@pytest.mark.slow
def test_each_cluster_draws_its_own_kind_of_image(bar_kinds_run, tmp_path):
    """The digit labels say nothing here; the clusters do. Trained on the clusters, the
    generator's class input chooses the kind: one-hot cluster c draws cluster c's images."""
    from desktop_app.core.models.generator import Generator
    from training.export import export_run

    run, real, clustering = bar_kinds_run
    saved = json.loads((run / "clusters.json").read_text())
    assert saved["k"] == KINDS and saved["priors"] == pytest.approx(clustering.priors)
    assert max(real) - min(real) > 15  # k-means found the kinds: they lie apart across the frame

    gen = Generator.from_path(export_run(run, tmp_path / "clusters.onnx"))
    assert gen.conditional and gen.num_classes == KINDS  # class_weights is k wide, not 10
    assert gen.clusters and gen.class_priors == pytest.approx(clustering.priors, abs=1e-6)
    z = np.random.default_rng(1).standard_normal((256, 8)).astype(np.float32)
    drawn = [_ink_column(gen.generate(z, np.eye(KINDS, dtype=np.float32)[c])) for c in range(KINDS)]
    _draws_each_cluster_where_its_images_are(drawn, real)


@pytest.mark.slow
def test_a_z_only_export_picks_the_cluster_from_z_smoothly(bar_kinds_run, tmp_path):
    """Exported with a temperature, the run takes z alone: its first k dimensions choose the
    cluster, so a move along them turns one kind into another gradually, never in one jump."""
    import onnx

    from desktop_app.core.models.generator import Generator
    from training.export import export_run

    run, real, _ = bar_kinds_run
    out = export_run(run, tmp_path / "z_only.onnx", cluster_temperature=3.0)
    model = onnx.load(out)
    assert [i.name for i in model.graph.input] == ["z"]  # the unconditional interface
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["num_classes"] == "0"
    assert f"without labels on {KINDS} k-means clusters" in meta["self_conditioning"]
    gen = Generator.from_path(out)
    assert not gen.conditional and gen.latent_dim == 8

    z = np.random.default_rng(2).standard_normal((256, 8)).astype(np.float32)
    drawn = []
    for c in range(KINDS):
        pick = z.copy()
        pick[:, :KINDS] = -3.0
        pick[:, c] = 3.0  # z[:, :k] strongly for cluster c
        drawn.append(_ink_column(gen.generate(pick)))
    _draws_each_cluster_where_its_images_are(drawn, real)

    # From the leftmost cluster to the rightmost in 200 steps of z: a softmax, not an arg-max staircase.
    a, b = int(np.argmin(real)), int(np.argmax(real))
    t = np.linspace(-2, 2, 200, dtype=np.float32)
    walk = np.repeat(z[:1], len(t), 0)
    walk[:, :KINDS] = -3.0
    walk[:, a], walk[:, b] = -t, t
    images = gen.generate(walk)
    steps = np.abs(np.diff(images, axis=0)).mean((1, 2))  # how far each step moves the picture
    assert steps.max() < 0.2 * steps.sum(), steps.max() / steps.sum()  # an arg-max: one step near all of it


@pytest.mark.slow
def test_a_hard_cluster_run_exports_its_clusters_as_classes_and_evaluates_by_their_priors(tiny_mnist, tmp_path):
    """The default export of a run trained on hard clusters keeps `class_weights`: k columns,
    `classes` "clusters" and the run's priors in the metadata (docs/model-contract.md).
    The evaluator draws clusters by those priors and names its measures after clusters."""
    import onnxruntime as ort

    from exported_models import CLASSIFIER
    from training.config import TrainConfig
    from training.evaluate import evaluate
    from training.export import export_run
    from training.train import train

    run = train(TrainConfig(arch="cdcgan", clusters=4, cluster_space="deskewed", width=8, latent_dim=16, epochs=1,
                            batch_size=64, data=str(tiny_mnist), out=str(tmp_path / "sc")), verbose=0)
    out = export_run(run, tmp_path / "clusters.onnx")
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [(i.name, i.shape[1]) for i in sess.get_inputs()] == [("z", 16), ("class_weights", 4)]
    meta = dict(sess.get_modelmeta().custom_metadata_map)
    priors = json.loads(meta["class_priors"])
    assert meta["num_classes"] == "4" and meta["classes"] == "clusters"
    assert priors == pytest.approx(json.loads((run / "clusters.json").read_text())["priors"], abs=1e-6)
    assert meta["architecture"] == "cdcgan-selfcond" and "deskewed" in meta["self_conditioning"]
    # A blend of two clusters is drawn by the generator: finite, in [0, 1], unlike both ends.
    z = np.zeros((3, 16), np.float32)
    w = np.array([[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0, 1, 0, 0]], np.float32)
    a, mid, b = sess.run(["image"], {"z": z, "class_weights": w})[0]
    assert np.isfinite(mid).all() and 0 <= mid.min() and mid.max() <= 1
    assert not np.allclose(mid, (a + b) / 2, atol=1e-4)

    result = evaluate(out, CLASSIFIER, tiny_mnist, n=200, paths=20, ppl_samples=100)
    assert "conditional_accuracy" not in result  # a cluster asks for no digit
    assert set(result["smoothness"]) == set(result["ppl"]) == {"within_cluster", "across_clusters"}
    assert result["smoothness"]["across_clusters"]["paths"] == 20 and np.isfinite(result["fid"])


def test_deskewing_straightens_a_slanted_stroke_and_leaves_a_blank_image_blank():
    from training.clusters import deskew

    slanted = np.zeros((28, 28), np.uint8)
    for r in range(4, 24):  # a stroke leaning right by one column every two rows
        slanted[r, 10 + (24 - r) // 2: 12 + (24 - r) // 2] = 255
    out = deskew(np.stack([slanted, np.zeros((28, 28), np.uint8)]))
    rows, cols = np.nonzero(out[0] > 64)
    lean = np.polyfit(rows, cols, 1)[0]  # columns per row along the stroke
    assert abs(lean) < 0.1 < abs(np.polyfit(*np.nonzero(slanted), 1)[0])
    assert abs(np.average(np.arange(28), weights=out[0].sum(0)) - 13.5) < 0.5  # centred
    assert not out[1].any()


def test_a_cluster_space_needs_clusters_and_a_known_name():
    from training.config import ConfigError, TrainConfig

    with pytest.raises(ConfigError, match="needs --clusters"):
        TrainConfig(arch="cdcgan", cluster_space="deskewed")
    with pytest.raises(ConfigError, match="pixels, deskewed"):
        TrainConfig(arch="cdcgan", clusters=4, cluster_space="hog")


def test_cluster_weights_follow_the_priors_and_stay_on_the_simplex():
    import tensorflow as tf

    from training.export import cluster_weights_function

    priors = [0.5, 0.3, 0.2]
    w = cluster_weights_function(priors, temperature=8.0)(
        tf.constant(np.random.default_rng(0).standard_normal((20000, 5)).astype(np.float32))).numpy()
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-5)
    shares = np.bincount(w.argmax(1), minlength=3) / len(w)
    assert shares == pytest.approx(priors, abs=0.01)
    assert shares[0] > shares[1] > shares[2]


