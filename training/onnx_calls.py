"""Opening and running ONNX models for `evaluate`, where every read and every call has an end.

- `open_session(path, error)` reads the file under the shared reading rule (regular files
  only, size capped: a FIFO or a device is refused before it is opened) and says what a
  path is when it is not a model: a run folder gets the `export` command that makes one.
- `run(session, names, feeds, seconds)` is `session.run` stopped after `seconds`:
  a timer sets ONNX Runtime's `RunOptions.terminate`, which it reads between nodes and
  between loop iterations, so a 25 KB model with a `Loop` of 10**15 steps is refused in
  one sentence instead of hanging (and ignoring Ctrl-C, which Python sees only between
  calls into native code). `checked_run` and `check_rows` turn a failed, late or
  wrongly shaped answer into one sentence.

Only ONNX Runtime and the standard library run here (the app reads models through its own
desktop_app/core/, which training never imports).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from digit_contract import run_folder
from digit_contract.reading import read_capped

MAX_MODEL_BYTES = 64 << 20  # the contract's cap (docs/model-contract.md)
RUN_FOLDER_FILES = (run_folder.CONFIG, run_folder.CHECKPOINT, run_folder.METRICS)
EXPORT = "python -m training export {run} --out {out}"

Error = Callable[[str], Exception]


class RunTimeout(RuntimeError):
    pass


def open_session(path: Path, what: str, error: Error):
    """An `InferenceSession` for the model file `path` (`what`: "model", "classifier");
    `error(message)` for anything else, in one sentence naming the path."""
    import onnxruntime as ort

    path = Path(path)
    if path.is_dir():
        if any((path / name).is_file() for name in RUN_FOLDER_FILES):
            raise error(f"{path} is a training run folder, not a {what} file; export it first "
                        f"with `{EXPORT.format(run=path, out=path.name + '.onnx')}` and "
                        f"evaluate that file")
        raise error(f"{path} is a folder, not a {what} file; give the .onnx file itself")
    if not path.exists() and not path.is_symlink():
        raise error(f"{path}: no such {what} file")

    def refuse(p: Path, rule: str) -> Exception:
        return error(f"{p}: not a {what} file: {rule}")

    data = read_capped(path, MAX_MODEL_BYTES, refuse,
                       "it is larger than the {mib} MiB a model file may be")
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - ORT raises several unrelated types for bad files
        raise error(f"{path}: not a loadable ONNX model ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
                    ) from None


def run(session, names: list[str], feeds: dict, seconds: float) -> list:
    """`session.run(names, feeds)`, stopped after `seconds` (raises `RunTimeout`)."""
    import onnxruntime as ort

    options = ort.RunOptions()
    options.log_severity_level = 4  # our own terminate is no error worth a log line
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        options.terminate = True

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        return session.run(names, feeds, options)
    except Exception:
        if fired.is_set():
            raise RunTimeout(seconds) from None
        raise
    finally:
        timer.cancel()


def samples(rows: int) -> str:
    return f"{rows} sample{'' if rows == 1 else 's'}"


def checked_run(session, names: list[str], feeds: dict, seconds: float, who: str, error: Error) -> list:
    """`run`, with a failure or a timeout as `error("{who} did not finish ...")`: one sentence."""
    rows = len(next(iter(feeds.values())))
    try:
        return run(session, names, feeds, seconds)
    except RunTimeout:
        raise error(f"{who} did not finish {samples(rows)} within {seconds:g} s, so it is refused "
                    "(it loops, or is far too slow)") from None
    except Exception as e:  # noqa: BLE001 - ORT raises its own untyped pybind errors
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise error(f"{who} failed on {samples(rows)} ({first})") from None


def check_rows(array, rows: int, tail: tuple, who: str, error: Error) -> None:
    """Refuse an output whose shape is not (rows, *tail): a batch capped at 4 says so."""
    shape = getattr(array, "shape", None)
    if shape is None or tuple(shape)[1:] != tail or shape[0] != rows:
        raise error(f"{who} of shape {shape} for {samples(rows)}, not {(rows, *tail)} "
                    "(a model must take any batch size)")
