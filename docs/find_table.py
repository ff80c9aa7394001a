"""The Find-a-digit table of docs/results.md:
`python docs/find_table.py MODEL.onnx [--set mnist|heldout] [--count N] [--refine-ms MS] [--max-steps S]`.

`--set mnist`: the first N MNIST test digits (MNIST_DIR or ../shared/data). `--set heldout`:
the first N digits of one split of docs/results/heldout-digits.npz (typefaces, pens and
photos that are not MNIST's; see scripts/heldout_digits.py), `--split heldout` (default) or
`dev`. Each digit goes through `desktop_app.core.find.inversion.find_latent` as the app runs it,
with the shipped classifier (unless `--no-classifier`): the encoder's guess alone
(`--refine-ms 0`), or refined for MS milliseconds (or exactly S steps with `--max-steps`).
Prints one JSON line: how often the shipped classifier reads the redrawn digit as the true
label, how often the redrawn digit is closer to its own input than to any other input of
the set, the pixel MSE before and after refinement, the median time and steps, and with
`--breakdown` the agreement per typeface, stroke and kind of picture.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, not installed
from desktop_app.bench_find import _mnist_test, heldout_digits  # noqa: E402
from desktop_app.core.models.classifier import Classifier  # noqa: E402
from desktop_app.core.find.encoder import Encoder, encoder_path_for  # noqa: E402
from desktop_app.core.models.generator import Generator  # noqa: E402
from desktop_app.core.find.inversion import find_latent  # noqa: E402
from exported_models import CLASSIFIER, READER  # noqa: E402


def closest_to_own_input(redrawn: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """(n,) bool: each redrawn digit is nearer (pixel distance) its own input than any other."""
    flat_in = inputs.reshape(len(inputs), -1).astype(np.float64)
    flat_out = redrawn.reshape(len(redrawn), -1).astype(np.float64)
    d2 = (flat_out ** 2).sum(1)[:, None] - 2 * flat_out @ flat_in.T + (flat_in ** 2).sum(1)[None, :]
    return d2.argmin(1) == np.arange(len(inputs))


def _group(text: str, key: str) -> str:
    """The part of a description that names its group: the family, the stroke, pad or photo."""
    return text.split(" (")[0] if key == "font" else text.split()[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", type=Path)
    p.add_argument("--set", choices=("mnist", "heldout"), default="mnist")
    p.add_argument("--split", choices=("heldout", "dev"), default="heldout")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--refine-ms", type=float, default=0.0)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--no-classifier", action="store_true", help="search without the classifier")
    p.add_argument("--reader", default=None, help="the reader's ONNX file ('none': the classifier reads)")
    p.add_argument("--breakdown", action="store_true")
    args = p.parse_args()
    generator = Generator.from_path(args.model)
    encoder = Encoder.from_path(encoder_path_for(args.model), generator=generator)
    classifier = Classifier.from_path(CLASSIFIER)
    reader = None if args.reader == "none" else Classifier.from_path(args.reader or READER)
    if args.set == "mnist":
        images, labels = _mnist_test(args.count)
        info = {}
    else:
        images, labels, info = heldout_digits(args.split, args.count)
    refine_ms = args.refine_ms if args.max_steps is None else 1e9
    found, times = [], []
    for img in images:
        t = time.perf_counter()
        found.append(find_latent(generator, encoder, img, refine_ms=refine_ms, max_steps=args.max_steps,
                                 classifier=None if args.no_classifier else classifier,
                                 reader=None if args.no_classifier else reader))
        times.append((time.perf_counter() - t) * 1000)
    redrawn = np.stack([f.reconstruction for f in found])
    agree = np.argmax(classifier.probs(redrawn), 1) == labels
    row = {
        "model": str(args.model), "set": args.set if args.set == "mnist" else f"{args.set}:{args.split}",
        "digits": len(images), "refine_ms": args.refine_ms, "max_steps": args.max_steps,
        "classifier_in_search": not args.no_classifier,
        "reader": None if args.no_classifier or reader is None else str(reader.path),
        "digit_agreement": float(np.mean(agree)),
        "closest_to_own_input": float(np.mean(closest_to_own_input(redrawn, images))),
        "mse_encoder": float(np.mean([f.error_before for f in found])),
        "mse_result": float(np.mean([f.error for f in found])),
        "time_ms_p50": round(statistics.median(times), 2),
        "steps_p50": statistics.median([f.steps for f in found]),
    }
    if args.breakdown and info:
        for key in ("font", "stroke", "kind"):
            groups = collections.defaultdict(list)
            for text, ok in zip(info[key], agree):
                groups[_group(str(text), key)].append(bool(ok))
            row[f"agreement_by_{key}"] = {k: [round(float(np.mean(v)), 3), len(v)] for k, v in groups.items()}
    print(json.dumps(row))


if __name__ == "__main__":
    main()
