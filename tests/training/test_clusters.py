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


@pytest.mark.slow
def test_self_conditioned_run_trains_on_clusters_and_exports_z_only(tiny_mnist, tmp_path):
    import onnx

    from desktop_app.core.generator import Generator
    from training.config import TrainConfig
    from training.export import export_run, load_run
    from training.train import train

    run = train(TrainConfig(arch="cdcgan", clusters=4, width=8, latent_dim=16, epochs=1, batch_size=64,
                            data=str(tiny_mnist), out=str(tmp_path / "sc")), verbose=0)
    clusters = json.loads((run / "clusters.json").read_text())
    assert clusters["k"] == 4 and len(clusters["priors"]) == 4
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert 0.05 < rows[0]["d_loss"] < 5 and 0.05 < rows[0]["g_loss"] < 10
    _, gan, _ = load_run(run)
    assert gan.conditional and gan.num_classes == 4
    out = export_run(run, tmp_path / "sc.onnx", cluster_temperature=3.0)
    model = onnx.load(out)
    assert [i.name for i in model.graph.input] == ["z"]  # the unconditional interface
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["num_classes"] == "0" and "without labels" in meta["self_conditioning"]
    gen = Generator.from_path(out)
    assert not gen.conditional
    z = np.random.default_rng(0).standard_normal((64, 16)).astype(np.float32)
    images = gen.generate(z)
    assert np.isfinite(images).all() and images.shape == (64, 28, 28)
    # Continuity: a tiny move in the cluster dimensions is a tiny change in the image.
    nudged = z.copy()
    nudged[:, :4] += 1e-3
    assert np.abs(gen.generate(nudged) - images).max() < 0.05


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


