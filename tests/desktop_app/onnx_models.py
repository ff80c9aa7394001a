"""Tiny contract-conforming ONNX models built with `onnx.helper` (no TensorFlow, no training).

The fixture generators draw seven-segment digits (a cluster generator, `clusters=k`, has
k classes that are clusters: class c pulls towards digit c % 10, and classes past the tenth
also towards a random pattern of their own): the conditional one adds a strong
embedding `class_weights @ E` (row k of E: digit k's segments) before the tanh, as contract
v2 requires, so one-hot weights for k really produce an image the classifier calls k, and
a blend is the generator's own non-linear drawing (tanh of the mixed embedding), not the
average of two images. The classifier is a matched filter on the same segments.
`dcgan_like_generator` and `cnn_classifier` have the shapes of the real exported models
(random weights) for benchmarking before trained models exist.

    python -m tests.desktop_app.onnx_models OUT_DIR   # writes the models for `desktop_app.bench`
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# ONNX Runtime 1.17 reads IR version 9; newer `onnx` would default to a newer IR version.
IR_VERSION = 9

# Seven segments as (row0, row1, col0, col1) boxes on the 28×28 canvas.
_SEGMENTS = {
    "a": (4, 7, 9, 19), "b": (5, 14, 17, 20), "c": (14, 23, 17, 20), "d": (21, 24, 9, 19),
    "e": (14, 23, 8, 11), "f": (5, 14, 8, 11), "g": (12, 15, 9, 19),
}
_DIGITS = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg",
           "abcdfg"]


def segment_templates() -> np.ndarray:
    """(10, 784) float32: 1 on the segments of each digit, 0 elsewhere."""
    out = np.zeros((10, 28, 28), np.float32)
    for k, segs in enumerate(_DIGITS):
        for s in segs:
            r0, r1, c0, c1 = _SEGMENTS[s]
            out[k, r0:r1, c0:c1] = 1.0
    return out.reshape(10, 784)


def metadata(kind: str, latent_dim: int = 8, num_classes: int = 0,
             overrides: dict | None = None) -> dict:
    """The contract's metadata; an override of None drops that key."""
    meta = {
        "contract_version": "2", "kind": kind, "num_classes": str(num_classes),
        "architecture": "fixture", "epochs": "0", "dataset": "synthetic",
        "created": "2025-01-01T00:00:00+00:00", "config": '{"fixture": true}',
    }
    if kind == "generator":
        meta["latent_dim"] = str(latent_dim)
    meta.update(overrides or {})
    return {k: v for k, v in meta.items() if v is not None}


def _model(nodes, inputs, outputs, inits, meta: dict) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "fixture", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    helper.set_model_props(model, meta)
    return model


def _const(name: str, array) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array), name)


def _rescale_tail(x: str) -> tuple[list, list]:
    """tanh -> (x + 1) / 2 -> reshape [b, 28, 28], named 'image'."""
    nodes = [
        helper.make_node("Tanh", [x], ["t"]),
        helper.make_node("Add", ["t", "one"], ["t1"]),
        helper.make_node("Mul", ["t1", "half"], ["flat01"]),
        helper.make_node("Reshape", ["flat01", "img_shape"], ["image"]),
    ]
    inits = [_const("one", np.float32(1)), _const("half", np.float32(0.5)),
             _const("img_shape", np.array([-1, 28, 28], np.int64))]
    return nodes, inits


def cluster_metadata(priors) -> dict:
    """The contract's keys for a generator (or encoder) whose classes are clusters."""
    return {"classes": "clusters", "class_priors": json.dumps([float(p) for p in priors])}


def default_priors(k: int) -> list[float]:
    """Unequal positive shares of k clusters summing to 1: cluster c gets (c + 1) parts."""
    parts = np.arange(1, k + 1, dtype=np.float64)
    return [float(p) for p in parts / parts.sum()]


def _embedding(k: int, rng) -> np.ndarray:
    """(k, 784): row c pulls towards digit c % 10's segments, rows past the tenth also
    towards a random pattern of their own, so every cluster draws its own picture."""
    templates = segment_templates()
    rows = 3.0 * (2 * templates[np.arange(k) % 10] - 1)
    extra = rng.normal(0, 1.5, (k, 784)) * (np.arange(k) >= 10)[:, None]
    return (rows + extra).astype(np.float32)


def generator_model(latent_dim: int = 8, conditional: bool = False, seed: int = 0,
                    meta: dict | None = None, clusters: int = 0,
                    priors=None) -> onnx.ModelProto:
    """z [b, latent_dim] (+ class_weights [b, k]) -> MatMul -> (+ weights @ E) -> tanh.

    clusters : k > 0 makes a self-conditioned generator whose k classes are clusters
    (metadata `classes` "clusters" and `class_priors`, default `default_priors(k)`)."""
    rng = np.random.default_rng(seed)
    templates = segment_templates()
    k = clusters or (10 if conditional else 0)
    conditional = k > 0
    if conditional:
        w = rng.normal(0, 0.25, (latent_dim, 784)).astype(np.float32)
        bias = np.zeros(784, np.float32)
    else:
        # Each latent dim pulls towards a mix of digits, so sliders morph between digits.
        mix = rng.normal(0, 1.2, (latent_dim, 10)).astype(np.float32)
        w = mix @ (2 * templates - 1) + rng.normal(0, 0.1, (latent_dim, 784)).astype(np.float32)
        bias = (-0.5 - 2.0 * templates.mean(0)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["z", "w"], ["zw"]),
             helper.make_node("Add", ["zw", "bias"], ["pre"])]
    inits = [_const("w", w), _const("bias", bias)]
    inputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", latent_dim])]
    x = "pre"
    if conditional:
        inputs.append(helper.make_tensor_value_info("class_weights", TensorProto.FLOAT,
                                                    ["batch", k]))
        nodes += [helper.make_node("MatMul", ["class_weights", "emb"], ["e"]),
                  helper.make_node("Add", ["pre", "e"], ["pre_c"])]
        emb = (_embedding(k, rng) if clusters
               else (3.0 * (2 * templates - 1)).astype(np.float32))
        inits.append(_const("emb", emb))
        x = "pre_c"
    tail, tail_inits = _rescale_tail(x)
    out = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28])]
    if clusters:
        meta = {**cluster_metadata(default_priors(k) if priors is None else priors),
                **(meta or {})}
    return _model(nodes + tail, inputs, out, inits + tail_inits,
                  metadata("generator", latent_dim, k, meta))


def encoder_model(latent_dim: int = 8, num_classes: int = 0, generator: str = "generator.onnx",
                  seed: int = 0, meta: dict | None = None, clusters: bool = False,
                  priors=None) -> onnx.ModelProto:
    """image -> z = flat(image) @ P and, with num_classes k > 0, class_weights = softmax of
    a random projection (k columns); `clusters` adds the cluster keys (`priors`, default
    `default_priors(k)`)."""
    rng = np.random.default_rng(seed)
    nodes = [helper.make_node("Reshape", ["image", "flat_shape"], ["flat"]),
             helper.make_node("MatMul", ["flat", "p"], ["z"])]
    inits = [_const("flat_shape", np.array([-1, 784], np.int64)),
             _const("p", rng.normal(0, 0.05, (784, latent_dim)).astype(np.float32))]
    outputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", latent_dim])]
    if num_classes:
        nodes += [helper.make_node("MatMul", ["flat", "q"], ["score"]),
                  helper.make_node("Softmax", ["score"], ["class_weights"], axis=-1)]
        inits.append(_const("q", rng.normal(0, 0.05, (784, num_classes)).astype(np.float32)))
        outputs.append(helper.make_tensor_value_info("class_weights", TensorProto.FLOAT,
                                                     ["batch", num_classes]))
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28])]
    overrides = {"kind": "encoder", "latent_dim": str(latent_dim), "generator": generator,
                 "architecture": "cnn-encoder"}
    if clusters:
        overrides.update(cluster_metadata(default_priors(num_classes) if priors is None
                                          else priors))
    overrides.update(meta or {})
    return _model(nodes, inputs, outputs, inits,
                  metadata("encoder", latent_dim, num_classes, overrides))


def classifier_model(features: int = 16, meta: dict | None = None) -> onnx.ModelProto:
    """Matched filter on the segment templates: probs = softmax(4·<x - ½, t_k - ½>)."""
    templates = segment_templates()
    rng = np.random.default_rng(1)
    nodes = [
        helper.make_node("Reshape", ["image", "flat_shape"], ["flat"]),
        helper.make_node("Sub", ["flat", "half"], ["centred"]),
        helper.make_node("MatMul", ["centred", "t"], ["score"]),
        helper.make_node("Mul", ["score", "beta"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["flat", "r"], ["proj"]),
        helper.make_node("Relu", ["proj"], ["features"]),
    ]
    inits = [_const("flat_shape", np.array([-1, 784], np.int64)),
             _const("half", np.float32(0.5)), _const("beta", np.float32(4.0)),
             _const("t", (templates - 0.5).T.copy()),
             _const("r", rng.normal(0, 0.05, (784, features)).astype(np.float32))]
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28])]
    outputs = [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 10]),
               helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", features])]
    return _model(nodes, inputs, outputs, inits,
                  metadata("classifier", num_classes=10, overrides=meta))


def dcgan_like_generator(latent_dim: int = 100, width: int = 32, seed: int = 0
                         ) -> onnx.ModelProto:
    """The real DCGAN's shapes: Dense 7·7·64 -> ReLU -> ConvT 32 -> ReLU -> ConvT 1 -> tanh."""
    rng = np.random.default_rng(seed)
    c2 = 2 * width

    def w(*shape):
        return rng.normal(0, (2 / np.prod(shape[1:]) if len(shape) > 2 else 1 / shape[0]) ** 0.5,
                          shape).astype(np.float32)

    conv = {"kernel_shape": [4, 4], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    nodes = [
        helper.make_node("MatMul", ["z", "w1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["r1"]),
        helper.make_node("Reshape", ["r1", "s1"], ["m1"]),
        helper.make_node("ConvTranspose", ["m1", "w2"], ["h2"], **conv),
        helper.make_node("Relu", ["h2"], ["r2"]),
        helper.make_node("ConvTranspose", ["r2", "w3", "b3"], ["h3"], **conv),
    ]
    tail, tail_inits = _rescale_tail("h3")
    inits = [_const("w1", w(latent_dim, 49 * c2)),
             _const("s1", np.array([-1, c2, 7, 7], np.int64)),
             _const("w2", w(c2, width, 4, 4)), _const("w3", w(width, 1, 4, 4)),
             _const("b3", np.zeros(1, np.float32))]
    inputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", latent_dim])]
    out = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28])]
    return _model(nodes + tail, inputs, out, inits + tail_inits,
                  metadata("generator", latent_dim, 0, {"architecture": "dcgan"}))


def cnn_classifier(seed: int = 0) -> onnx.ModelProto:
    """A small CNN of a real classifier's size: Conv 32 -> Conv 64 -> Dense 128 -> 10."""
    rng = np.random.default_rng(seed)
    conv = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    nodes = [
        helper.make_node("Reshape", ["image", "s0"], ["x0"]),
        helper.make_node("Conv", ["x0", "k1"], ["c1"], **conv),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "k2"], ["c2"], **conv),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Reshape", ["r2", "s1"], ["f0"]),
        helper.make_node("MatMul", ["f0", "d1"], ["h"]),
        helper.make_node("Relu", ["h"], ["features"]),
        helper.make_node("MatMul", ["features", "d2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    inits = [_const("s0", np.array([-1, 1, 28, 28], np.int64)),
             _const("s1", np.array([-1, 64 * 49], np.int64)),
             _const("k1", rng.normal(0, 0.3, (32, 1, 3, 3)).astype(np.float32)),
             _const("k2", rng.normal(0, 0.08, (64, 32, 3, 3)).astype(np.float32)),
             _const("d1", rng.normal(0, 0.02, (64 * 49, 128)).astype(np.float32)),
             _const("d2", rng.normal(0, 0.1, (128, 10)).astype(np.float32))]
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 28, 28])]
    outputs = [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 10]),
               helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 128])]
    return _model(nodes, inputs, outputs, inits,
                  metadata("classifier", num_classes=10, overrides={"architecture": "cnn"}))


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench_models")
    out.mkdir(parents=True, exist_ok=True)
    save(dcgan_like_generator(), out / "generator.onnx")
    save(cnn_classifier(), out / "classifier.onnx")
    save(generator_model(), out / "fixture_generator.onnx")
    save(generator_model(conditional=True), out / "conditional.onnx")
    save(generator_model(clusters=20, seed=4), out / "clusters.onnx")
    print(out)
