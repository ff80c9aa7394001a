"""Find the generator's latent for pictures of digits, for scripts and tests.

    python -m desktop_app.find_latent IMAGE... [--model M.onnx] [--encoder E.onnx]
                                      [--no-refine] [--refine-ms 400] [--no-classifier]

Prints one JSON object per image, one per line:

    {"image": PATH, "z": [...], "class_weights": [...] or null, "seconds": S,
     "reconstruction_error": E, "digit": D or null}

`reconstruction_error` is the mean squared pixel error between the preprocessed image
(MNIST-like, see digit_contract/preprocess.py) and the generator's drawing of the
latent found; `digit` is the classifier's verdict on that drawing; `seconds` covers
reading, preprocessing and the search. The default model is the shipped
exported_models/generator.onnx, and its encoder is looked for beside it as
`<model stem>.encoder.onnx`. The search is the app's: the reader (`reader.onnx`) reads the
input and the classifier (`classifier.onnx`) judges the drawings, each looked for beside
the model, then among the shipped models. A classifier that is missing or will not load
is said on stderr and the search goes by pixels alone (as with `--no-classifier`); a
reader that will not load is said, and the classifier reads the input instead. A file
that is not a usable picture (not an image, empty, all one colour, gigantic), or one for
which the models answer NaN or infinity, gets one line on stderr and the others go on;
the exit code is then 2. A model or encoder that cannot
be loaded (the contract, or its trial run: see desktop_app/core/models/probe.py) is one line on
stderr and exit code 2. A file whose name starts with '-' is given as ./-NAME or after --.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from desktop_app.core.models.classifier import Classifier
from desktop_app.core.models.contract import ContractError, ModelRunError
from desktop_app.core.find.encoder import TRAIN, Encoder, encoder_path_for
from desktop_app.core.models.generator import Generator
from desktop_app.core.find.inversion import find_latent
from desktop_app.core.models.model_loading import load_classifier, load_reader
from desktop_app.core.models.paths import CLASSIFIER_NAME, classifier_for, default_generator
from digit_contract.preprocess import ImageError, load_digit

EXIT_FAILED = 2
PROG = "find_latent"


MAX_SEED = 2**32 - 1


class _Parser(argparse.ArgumentParser):
    argv: list[str] = []

    def error(self, message):
        # A file named "-dash.png" reads as an option; say how to name it instead of
        # saying that IMAGE is missing.
        options = {s for a in self._actions for s in a.option_strings}
        dashed = [a for a in self.argv if a.startswith("-") and a not in ("-", "--")
                  and not any(o.startswith(a.split("=")[0]) for o in options)
                  and not _is_number(a) and ("." in a or os.path.lexists(a))]
        if dashed:
            name = dashed[0]
            message = (f"{name!r} is not an option; for a file whose name starts with '-', "
                       f"write ./{name} or put -- before it")
        self.exit(EXIT_FAILED, f"{self.prog}: error: {message} (see --help)\n")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _seed(text: str) -> int:
    """A seed for NumPy's generator: a whole number from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_SEED}, "
                                         f"not {text[:30]!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__.split("\n\n")[0],
                epilog="A file whose name starts with '-' is named ./-NAME or given after --.")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG, BMP or WebP files")
    p.add_argument("--model", type=Path, default=None, help="generator (default: the shipped generator.onnx)")
    p.add_argument("--encoder", type=Path, default=None, help="its encoder (default: MODEL's stem + .encoder.onnx)")
    p.add_argument("--no-refine", action="store_true", help="the encoder's guess only")
    p.add_argument("--refine-ms", type=float, default=400.0, help="refinement budget per image (ms)")
    p.add_argument("--no-classifier", action="store_true",
                   help="search by pixels alone, without the reader and the classifier")
    p.add_argument("--seed", type=_seed, default=0,
                   help=f"seed of the refinement's search, 0 to {MAX_SEED}")
    return p


def _load(model: Path, encoder: Path | None) -> tuple[Generator, Encoder]:
    generator = Generator.from_path(model)
    encoder = encoder or encoder_path_for(model)
    if not encoder.exists():
        raise ContractError(encoder, f"there is no encoder for {model.name}; train one with "
                                     f"`{TRAIN.format(name=encoder)}`")
    return generator, Encoder.from_path(encoder, generator=generator)


def _classifier(model: Path) -> Classifier | None:
    """The classifier the app would pair with `model`, or None (said on stderr)."""
    path = classifier_for(model)
    if path is None:
        print(f"{PROG}: no {CLASSIFIER_NAME} beside the model or shipped; searching by pixels "
              f"alone", file=sys.stderr, flush=True)
        return None
    classifier, problem = load_classifier(path, "Searching by pixels alone.")
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr, flush=True)
    return classifier


def _reader(model: Path) -> Classifier | None:
    """The reader the app would use with `model`, or None (a refused one said on stderr)."""
    reader, problem = load_reader(model)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr, flush=True)
    return reader


def _digit(classifier: Classifier | None, image) -> int | None:
    """The classifier's verdict on the redrawn digit; None without one (or if it fails)."""
    if classifier is None:
        return None
    try:
        return classifier.verdict(image).digit
    except ContractError:
        return None


def _round(values) -> list[float]:
    return [round(float(v), 6) for v in values]


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str]) -> int:
    parser = build_parser()
    parser.argv = argv
    args = parser.parse_args(argv)
    if not 0 <= args.refine_ms <= 60_000:
        print(f"{PROG}: error: --refine-ms must be between 0 and 60000", file=sys.stderr)
        return EXIT_FAILED
    try:
        generator, encoder = _load(args.model or default_generator(), args.encoder)
    except ContractError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    model = Path(generator.path)
    classifier = None if args.no_classifier else _classifier(model)
    reader = None if classifier is None else _reader(model)
    failed = 0
    for name in args.images:
        started = time.perf_counter()
        try:
            image = load_digit(name)
        except ImageError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr, flush=True)
            failed += 1
            continue
        try:
            found = find_latent(generator, encoder, image,
                                0.0 if args.no_refine else args.refine_ms, seed=args.seed,
                                classifier=classifier, reader=reader)
            digit = _digit(classifier, found.reconstruction)
            line = {"image": name, "z": _round(found.z),
                    "class_weights": None if found.class_weights is None else _round(found.class_weights),
                    "seconds": round(time.perf_counter() - started, 4),
                    "reconstruction_error": round(found.error, 6), "digit": digit}
            # Strict JSON: a NaN that got this far is refused, never printed as `NaN`.
            text = json.dumps(line, allow_nan=False)
        except (ModelRunError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, ModelRunError) else \
                "the latent found is not finite, so it is not printed."
            print(f"{PROG}: {name}: {reason}", file=sys.stderr, flush=True)
            failed += 1
            continue
        print(text, flush=True)
    generator.close()
    return EXIT_FAILED if failed else 0


if __name__ == "__main__":
    sys.exit(main())
