"""Command line of the training package: `python -m training {train,export,encoder,evaluate,classifier,reader,bench,plot}`.

Examples:
    python -m training train --arch dcgan --epochs 20 --data ../shared/data --out runs/dcgan
    python -m training train --out runs/dcgan --epochs 30 --resume      # continue a run
    python -m training export runs/dcgan --out exported_models/generator.onnx
    python -m training encoder runs/dcgan --out exported_models/generator.encoder.onnx
    python -m training evaluate exported_models/generator.onnx --n 10000
    python -m training reader --fonts /usr/share/fonts --out exported_models/reader.onnx
    python -m training plot runs/dcgan                                  # runs/dcgan/curves.png

Every user error (bad option, bad data, bad file) is one line on stderr and exit code 2,
with any control character (a newline in a file name) escaped, so it stays one line.
`train --status json` also prints status lines for a program (digit_contract/status.py):
the run's start, each checkpointed epoch with the command that resumes it, its end.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import unicodedata

from digit_contract.run_folder import DEFAULT_RECIPE

EXIT_USAGE = 2
MAX_SEED = 2**31 - 1


def one_line(text: str) -> str:
    """`text` with every control or format character escaped (a newline as \\n), so a
    message that quotes a hostile file name or option is still exactly one line."""
    return "".join(ascii(c)[1:-1] if unicodedata.category(c)[0] == "C" else c for c in str(text))


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one line, not a usage block, and takes options
    only as spelled in full (`--epoch 1` is refused, never read as --epochs)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see --help)\n")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:21] + "...")


def _whole(low: int, high: int):
    """An argparse type: a whole number in low..high, refused at parse time otherwise."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:  # also a number too long to convert
            raise argparse.ArgumentTypeError(f"expects a whole number, not {_shown(text)}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in {low}..{high}, not {_shown(text)}")
        return value

    return parse


def _int(text: str) -> int:
    """argparse's int with a short message for text that is not one (or is thousands of
    digits); the range is checked where the option is used."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a whole number, not {_shown(text)}") from None


# What a field left unset (None) means, where it is not the architecture's default.
_UNSET_MEANS = {"data": "MNIST_DIR, else Keras' download", "d_width": "--width",
                "backend": "KERAS_BACKEND, else tensorflow"}

TRAIN_DESCRIPTION = """Train a GAN, or continue one (--resume).

With no --recipe, --config or --arch, it trains --recipe default: the recipe of the shipped
generator.onnx, exactly. Options given on the command line override a recipe or a replayed
config; the defaults listed below are those of a plain config (used when --arch is given)."""


def _default_text(name: str, default) -> str:
    """What `train --help` says a field defaults to: its value, or each architecture's, and
    the default recipe's where that differs."""
    from training.config import ARCH_DEFAULTS, RECIPES

    if default is None and name in ARCH_DEFAULTS["mlp"] | ARCH_DEFAULTS["cdcgan"]:
        text = "per architecture: " + ", ".join(f"{arch} {values.get(name, '-')}"
                                               for arch, values in ARCH_DEFAULTS.items())
    elif default is None:
        text = _UNSET_MEANS.get(name, "none")
    else:
        text = str(default)
    recipe = RECIPES[DEFAULT_RECIPE].get(name)
    if recipe is not None and recipe != default:
        text += f"; --recipe {DEFAULT_RECIPE}: {recipe}"
    return text


def _add_train(sub) -> None:
    from training.config import RECIPES, TrainConfig, field_help, field_parsers

    p = sub.add_parser("train", help="train a GAN (resumable)", description=TRAIN_DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", choices=list(RECIPES), default=argparse.SUPPRESS,
                   help="a named recipe: default (the shipped generator), label-free (the shipped "
                        "unconditional model), reference (the tutorial's MLP GAN)")
    p.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                   help="replay a run's config.json; options given here override it")
    p.add_argument("--status", choices=["text", "json"], default="text",
                   help="json: also print one JSON status line per event for a program (the start, each "
                        "checkpointed epoch with the command that resumes it, the end; "
                        "docs/run-folder.md) (default: text, sentences only)")
    reasons = field_help()
    for name, (typ, nullable) in field_parsers().items():
        flag = "--" + name.replace("_", "-")
        default = TrainConfig.__dataclass_fields__[name].default
        text = f"{reasons.get(name, '')} (default: {_default_text(name, default)})".strip()
        if typ is bool:
            p.add_argument(flag, action="store_true", default=argparse.SUPPRESS, help=text)
        else:
            p.add_argument(flag, type=_int if typ is int else typ, default=argparse.SUPPRESS,
                           metavar=typ.__name__.upper(), help=text)


def train_config(args):
    """The TrainConfig a `train` command line asks for: a replayed --config, a --recipe
    (the default one when neither they nor --arch are given), or a plain config, with the
    options given on the command line on top."""
    import dataclasses
    import json

    from training.config import ConfigError, TrainConfig, field_parsers, from_recipe, with_overrides

    given = {k: v for k, v in vars(args).items() if k in field_parsers()}
    recipe, config = getattr(args, "recipe", None), getattr(args, "config", None)
    if recipe and config:
        raise ConfigError("--recipe and --config both say what to train; give one of them")
    if config:
        base = TrainConfig.load(config)
        return TrainConfig(**with_overrides(json.loads(base.to_json()), given)) if given else base
    if recipe or "arch" not in given:
        return from_recipe(recipe or DEFAULT_RECIPE, given)
    return dataclasses.replace(TrainConfig(), **given) if given else TrainConfig()


def resume_argv(argv: list[str]) -> tuple[str, ...]:
    """The argv after `python` that continues the run `argv` (the arguments after
    `python -m training`) trains: the same arguments, with --resume once, at the end."""
    return ("-m", "training", *(a for a in argv if a != "--resume"), "--resume")


def _send_status(status) -> None:
    from digit_contract.status import format_status

    # One write per line: merged with stderr in one pipe, a line is never split by another.
    sys.stdout.write(format_status(status) + "\n")
    sys.stdout.flush()


def _cmd_train(args) -> int:
    cfg = train_config(args)
    args.train_out = cfg.out  # the folder to name on Ctrl-C, wherever --out came from
    from training.distribute import is_chief, read_tf_config
    from training.train import StatusOut, train

    status = StatusOut(_send_status, resume_argv(args.argv)) if args.status == "json" else None
    run_dir = train(cfg, status=status)
    if is_chief(cfg.strategy):
        print(f"run saved in {one_line(run_dir)}")
    else:
        task = read_tf_config()
        print(f"this worker ({task.name}) trained its share of the run and wrote nothing; "
              f"the chief ({task.chief_name()}) saves the run in its --out")
    return 0


def _cmd_export(args) -> int:
    from training.export import export_run

    path = export_run(args.run_dir, args.out, cluster_temperature=args.cluster_temperature, best=args.best)
    print(f"exported {path}")
    return 0


def _cmd_encoder(args) -> int:
    from training.encoder import main as encoder_main

    return encoder_main(args)


def _cmd_evaluate(args) -> int:
    from training.evaluate import main as evaluate_main

    return evaluate_main(args)


def _cmd_classifier(args) -> int:
    from training.classifier import main as classifier_main

    return classifier_main(args)


def _cmd_reader(args) -> int:
    from training.reader import main as reader_main

    return reader_main(args)


def _cmd_bench(args) -> int:
    from training.bench import main as bench_main

    return bench_main(args)


def _cmd_plot(args) -> int:
    from training.plot import main as plot_main

    return plot_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="digit-train", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(sub)

    p = sub.add_parser("export", help="export a run's generator to ONNX (checked, atomic)")
    p.add_argument("run_dir")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument("--cluster-temperature", type=float, default=None,
                   help="self-conditioned runs: export z-only, z[:k] picking the cluster this sharply "
                        "(default: keep the class_weights input, one class per cluster)")
    p.add_argument("--best", action="store_true",
                   help="export the epoch with the lowest FID estimate (best.npz), not the last")

    p = sub.add_parser("encoder", help="train an encoder (image -> latent) for a run's generator, export it to ONNX")
    p.add_argument("run_dir")
    p.add_argument("--out", required=True, help="the .onnx file to write, named GENERATOR.encoder.onnx")
    p.add_argument("--epochs", type=_whole(1, 1000), default=2, help="passes over the real training digits")
    p.add_argument("--data", default=None, help="MNIST folder (default: the run's, else MNIST_DIR)")
    p.add_argument("--generator", default=None,
                   help="file name of the generator it belongs to (default: --out's name without .encoder)")
    p.add_argument("--cluster-temperature", type=float, default=None,
                   help="self-conditioned runs: the temperature the generator was exported z-only with "
                        "(default: as export's default)")
    p.add_argument("--train-samples", type=_whole(0, 1_000_000), default=0, help="real digits to train on (0: all)")
    p.add_argument("--best", action="store_true",
                   help="for the generator exported with export --best (the run's best.npz)")
    p.add_argument("--seed", type=_whole(0, MAX_SEED), default=0)

    p = sub.add_parser("evaluate", help="FID, Inception-score analogue and class balance of a generator")
    p.add_argument("model")
    p.add_argument("--n", type=_int, default=10_000, help="samples (and real images) to compare")
    p.add_argument("--classifier", default=None, help="classifier.onnx (default: the shipped one)")
    p.add_argument("--data", default=None, help="MNIST folder (default: MNIST_DIR)")
    p.add_argument("--json", default=None, help="where to write the results (default: beside the model)")
    p.add_argument("--seed", type=_whole(0, MAX_SEED), default=0)
    p.add_argument("--paths", type=_int, default=1000, help="slerp paths for the smoothness measure")
    p.add_argument("--ppl-samples", type=_int, default=10_000, help="samples for the perceptual path length")
    p.add_argument("--embed", action="store_true", help="also write the results into the model's metadata")

    p = sub.add_parser("classifier", help="train the evaluation classifier and export it to ONNX")
    p.add_argument("--epochs", type=_whole(1, 1000), default=5)
    p.add_argument("--data", default=None)
    p.add_argument("--out", default="exported_models/classifier.onnx")
    p.add_argument("--seed", type=_whole(0, MAX_SEED), default=0)

    p = sub.add_parser("reader", help="train the reader that Find a digit reads people's digits with")
    p.add_argument("--epochs", type=_whole(1, 1000), default=8)
    p.add_argument("--data", default=None)
    p.add_argument("--out", default="exported_models/reader.onnx")
    p.add_argument("--fonts", nargs="+", default=None, metavar="PATH",
                   help="font files or folders whose digits join MNIST's (drawn as pens, pads and photos)")
    p.add_argument("--font-digits", type=_whole(0, 1_000_000), default=20_000,
                   help="how many digits to draw from --fonts")
    p.add_argument("--seed", type=_whole(0, MAX_SEED), default=0)

    p = sub.add_parser("bench", help="training steps/s of each architecture vs the plain tf.function loop")
    p.add_argument("--steps", type=_whole(1, 100_000), default=234,
                   help="steps per timed round (234: an MNIST epoch at batch 256)")
    p.add_argument("--arch", nargs="*", default=None)
    p.add_argument("--width", type=_whole(1, 1024), default=None,
                   help="the DCGANs' width (default: per architecture; the shipped recipe's is 48)")
    p.add_argument("--precision", nargs="+", choices=["float32", "bf16"], default=None,
                   help="time each of these (default float32); 'float32 bf16' compares them")
    p.add_argument("--backend", choices=["tensorflow", "jax"], default=None,
                   help="Keras' backend (default: KERAS_BACKEND, else tensorflow); the reference loop is "
                        "TensorFlow's")

    p = sub.add_parser("plot", help="draw a run's losses, D's beliefs and estimated FID into curves.png")
    p.add_argument("run_dir")
    p.add_argument("--out", default=None, help="the PNG to write (default: RUN_DIR/curves.png)")
    return parser


def main(argv: list[str] | None = None) -> int:
    # TensorFlow's C++ log (its oneDNN and CPU-feature banners, "remapper failed" on every
    # cdcgan graph, which it then runs unfused) is noise to a user; Python errors still show.
    # TF_CPP_MIN_LOG_LEVEL=0 brings it back.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    args.argv = argv
    from training.checkpoint import CheckpointError
    from training.config import ConfigError
    from training.data import DataError

    from training.evaluate import EvaluationError
    from training.plot import PlotError

    from training.metadata import ExportError
    from training.reader import FontError

    user_errors: tuple[type[BaseException], ...] = (ConfigError, DataError, CheckpointError, EvaluationError,
                                                    PlotError, ExportError, FontError)
    handlers = {"train": _cmd_train, "export": _cmd_export, "encoder": _cmd_encoder, "evaluate": _cmd_evaluate,
                "classifier": _cmd_classifier, "reader": _cmd_reader, "bench": _cmd_bench, "plot": _cmd_plot}
    from training.quiet import filtered_stderr

    json_status = getattr(args, "status", "text") == "json"
    try:
        with filtered_stderr():  # TensorFlow's C++ banners never reach the terminal
            return handlers[args.command](args)
    except user_errors as e:
        return _failed(f"digit-train: error: {one_line(e)}", json_status)
    except KeyboardInterrupt:
        if sys.stdout.isatty():  # the progress bar's line has no newline yet
            print(flush=True)
        epoch, resume = _after_interrupt(args)
        if resume:
            said = f"epoch {epoch} is checkpointed; resume with: python {shlex.join(resume)}"
        else:
            said = ("nothing was written" if args.command != "train"
                    else "no epoch had finished, so there is nothing to resume")
        print(f"digit-train: interrupted; {one_line(said)}", file=sys.stderr)
        if json_status:
            from digit_contract.status import Interrupted

            _send_status(Interrupted(epoch=epoch, resume=resume, message=one_line(said)))
        return 130
    except OSError as e:  # disk full, a file cut away under us: one line, not a traceback
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        return _failed(f"digit-train: error: {one_line(where)}{one_line(e.strerror or e)}", json_status)
    except Exception as e:
        if json_status:  # a bug: the traceback follows for people, one line for the program
            from digit_contract.status import Failed

            _send_status(Failed(message=one_line(f"{type(e).__name__}: {e}")))
        raise


def _failed(line: str, json_status: bool) -> int:
    """Say `line` on stderr (and as a status line when asked); the exit code of a user error."""
    print(line, file=sys.stderr)
    if json_status:
        from digit_contract.status import Failed

        _send_status(Failed(message=line.removeprefix("digit-train: error: ")))
    return EXIT_USAGE


def _after_interrupt(args) -> tuple[int, tuple[str, ...]]:
    """What an interrupted command leaves behind, truthfully: (the last checkpointed epoch,
    the argv that resumes it), or (0, ()) when there is nothing to resume."""
    if getattr(args, "train_out", None) is None:  # not train, or before its config was read
        return 0, ()
    from pathlib import Path

    from training.checkpoint import CheckpointError, read

    try:
        _, epoch = read(Path(args.train_out))
    except CheckpointError:
        return 0, ()
    return epoch, resume_argv(args.argv)


if __name__ == "__main__":
    sys.exit(main())
