"""Find the generator's latent for pictures of digits, for scripts and tests.

    python -m desktop_app.find_latent IMAGE... [--model M.onnx] [--encoder E.onnx]
                                      [--no-refine] [--refine-ms 300]

Prints one JSON object per image, one per line:

    {"image": PATH, "z": [...], "class_weights": [...] or null, "seconds": S,
     "reconstruction_error": E}

`reconstruction_error` is the mean squared pixel error between the preprocessed image
(MNIST-like, see desktop_app/core/preprocess.py) and the generator's drawing of the
latent found; `seconds` covers reading, preprocessing and the search. The default model is
the shipped exported_models/generator.onnx, and its encoder is looked for beside it as
`<model stem>.encoder.onnx`. A file that is not a usable picture (not an image, empty, all
one colour, gigantic) gets one line on stderr and the others go on; the exit code is then
2. A model or encoder that cannot be loaded is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from desktop_app.core.contract import ContractError
from desktop_app.core.encoder import TRAIN, Encoder, encoder_path_for
from desktop_app.core.generator import Generator
from desktop_app.core.inversion import find_latent
from desktop_app.core.paths import default_generator
from digit_contract.preprocess import ImageError, load_digit

EXIT_FAILED = 2
PROG = "find_latent"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_FAILED, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG, BMP or WebP files")
    p.add_argument("--model", type=Path, default=None, help="generator (default: the shipped generator.onnx)")
    p.add_argument("--encoder", type=Path, default=None, help="its encoder (default: MODEL's stem + .encoder.onnx)")
    p.add_argument("--no-refine", action="store_true", help="the encoder's guess only")
    p.add_argument("--refine-ms", type=float, default=300.0, help="refinement budget per image (ms)")
    p.add_argument("--seed", type=int, default=0, help="seed of the refinement's search")
    return p


def _load(model: Path, encoder: Path | None) -> tuple[Generator, Encoder]:
    generator = Generator.from_path(model)
    encoder = encoder or encoder_path_for(model)
    if not encoder.exists():
        raise ContractError(encoder, f"there is no encoder for {model.name}; train one with "
                                     f"`{TRAIN.format(name=encoder)}`")
    return generator, Encoder.from_path(encoder, generator=generator)


def _round(values) -> list[float]:
    return [round(float(v), 6) for v in values]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 0 <= args.refine_ms <= 60_000:
        print(f"{PROG}: error: --refine-ms must be between 0 and 60000", file=sys.stderr)
        return EXIT_FAILED
    try:
        generator, encoder = _load(args.model or default_generator(), args.encoder)
    except ContractError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    failed = 0
    for name in args.images:
        started = time.perf_counter()
        try:
            image = load_digit(name)
        except ImageError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr, flush=True)
            failed += 1
            continue
        found = find_latent(generator, encoder, image, 0.0 if args.no_refine else args.refine_ms,
                            seed=args.seed)
        line = {"image": name, "z": _round(found.z),
                "class_weights": None if found.class_weights is None else _round(found.class_weights),
                "seconds": round(time.perf_counter() - started, 4),
                "reconstruction_error": round(found.error, 6)}
        print(json.dumps(line), flush=True)
    generator.close()
    return EXIT_FAILED if failed else 0


if __name__ == "__main__":
    sys.exit(main())
