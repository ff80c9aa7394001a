"""The Find-a-digit table of docs/results.md: `python docs/find_table.py MODEL.onnx [--count N] [--refine-ms MS]`.

On the first N MNIST test digits (MNIST_DIR or ../shared/data): the encoder's guess alone,
or with refinement, through `desktop_app.core.find.inversion.find_latent`. Prints one JSON line:
how often the shipped classifier reads the redrawn digit as the true label, how often the
redrawn digit is closer to its own input than to any other input of the set, the pixel
MSE before and after refinement, and the median time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from desktop_app.bench_find import _mnist_test
from desktop_app.core.models.classifier import Classifier
from desktop_app.core.find.encoder import Encoder, encoder_path_for
from desktop_app.core.models.generator import Generator
from desktop_app.core.find.inversion import find_latent
from exported_models import CLASSIFIER


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", type=Path)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--refine-ms", type=float, default=0.0)
    args = p.parse_args()
    generator = Generator.from_path(args.model)
    encoder = Encoder.from_path(encoder_path_for(args.model), generator=generator)
    classifier = Classifier.from_path(CLASSIFIER)
    images, labels = _mnist_test(args.count)
    found, times = [], []
    for img in images:
        t = time.perf_counter()
        found.append(find_latent(generator, encoder, img, refine_ms=args.refine_ms))
        times.append((time.perf_counter() - t) * 1000)
    redrawn = np.stack([f.reconstruction for f in found])
    flat_in, flat_out = images.reshape(len(images), -1), redrawn.reshape(len(images), -1)
    d2 = ((flat_out ** 2).sum(1)[:, None] - 2 * flat_out @ flat_in.T + (flat_in ** 2).sum(1)[None, :])
    print(json.dumps({
        "model": str(args.model), "digits": len(images), "refine_ms": args.refine_ms,
        "digit_agreement": float(np.mean(np.argmax(classifier.probs(redrawn), 1) == labels)),
        "closest_to_own_input": float(np.mean(d2.argmin(1) == np.arange(len(images)))),
        "mse_encoder": float(np.mean([f.error_before for f in found])),
        "mse_result": float(np.mean([f.error for f in found])),
        "time_ms_p50": round(statistics.median(times), 2),
    }))


if __name__ == "__main__":
    main()
