"""Draw docs/samples.png from the shipped models: `python docs/samples.py [--reference MLP.onnx]`.

Rows: ten label-free samples (each cluster drawn by the model's `class_priors`); the
default generator's digits 0-9 at one z; a 3 -> 8 morph drawn by the generator (slerp z,
lerp class weights); a label-free morph between two random latents (and two clusters).
Every tile is one generator call; nothing is blended.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "exported_models"
TILE, GAP, COLS = 56, 4, 10


def _session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _draw(session, z, weights=None) -> np.ndarray:
    feeds = {"z": z.astype(np.float32)}
    if weights is not None:
        feeds["class_weights"] = weights.astype(np.float32)
    return session.run(["image"], feeds)[0]


def _slerp(a, b, t):
    omega = np.arccos(np.clip(np.dot(a / np.linalg.norm(a), b / np.linalg.norm(b)), -1, 1))
    return np.stack([(np.sin((1 - s) * omega) * a + np.sin(s * omega) * b) / np.sin(omega) for s in t])


def _clusters(session) -> np.ndarray | None:
    """A label-free model's cluster priors, or None when it takes z only."""
    meta = session.get_modelmeta().custom_metadata_map
    return np.asarray(json.loads(meta["class_priors"])) if meta.get("classes") == "clusters" else None


def rows(reference: Path | None) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    gen, free = _session(MODELS / "generator.onnx"), _session(MODELS / "unconditional.onnx")
    priors = _clusters(free)
    out = []
    if reference is not None:
        out.append((f"reference recipe ({reference.name})", _draw(_session(reference), rng.standard_normal((COLS, 100)))))
    z = rng.standard_normal((COLS, 100))
    if priors is None:
        out.append(("unconditional.onnx (no labels)", _draw(free, z)))
    else:
        eye = np.eye(len(priors))
        picked = rng.choice(len(priors), COLS, p=priors / priors.sum())
        drawn = _draw(free, z, eye[picked])
        out.append(("unconditional.onnx (no labels; clusters drawn by their shares)", drawn))
    z = np.repeat(rng.standard_normal((1, 100)), COLS, 0)
    out.append(("generator.onnx, digits 0-9, one z", _draw(gen, z, np.eye(10))))
    t = np.linspace(0, 1, COLS)
    a, b = rng.standard_normal(100), rng.standard_normal(100)
    w = np.outer(1 - t, np.eye(10)[3]) + np.outer(t, np.eye(10)[8])
    out.append(("morph 3 -> 8: G(slerp z, lerp weights)", _draw(gen, _slerp(a, b, t), w)))
    if priors is None:
        out.append(("unconditional.onnx: G(slerp z)", _draw(free, _slerp(a, b, t))))
    else:
        # From the first sample's cluster to that of the sample that looks least like it.
        far = int(np.argmax(((drawn - drawn[0]) ** 2).sum((1, 2))))
        ca, cb = picked[0], picked[far]
        w = np.outer(1 - t, eye[ca]) + np.outer(t, eye[cb])
        out.append((f"unconditional.onnx: cluster {ca} -> {cb}, G(slerp z, lerp weights)",
                    _draw(free, _slerp(a, b, t), w)))
    return out


def figure(named_rows) -> Image.Image:
    font = ImageFont.load_default(size=16)
    label_h = 22
    width = COLS * TILE + (COLS - 1) * GAP
    img = Image.new("L", (width, len(named_rows) * (label_h + TILE + GAP)), 255)
    pen = ImageDraw.Draw(img)
    for r, (label, images) in enumerate(named_rows):
        y = r * (label_h + TILE + GAP)
        pen.text((0, y), label, fill=0, font=font)
        for c, im in enumerate(images[:COLS]):
            tile = Image.fromarray(np.uint8(255 - np.clip(im, 0, 1) * 255)).resize((TILE, TILE), Image.BICUBIC)
            img.paste(tile, (c * (TILE + GAP), y + label_h))
    return img


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reference", type=Path, default=None, help="an exported reference-recipe (mlp) generator")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "samples.png")
    args = p.parse_args()
    figure(rows(args.reference)).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
