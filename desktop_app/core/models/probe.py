"""The trial a model passes before the app uses it: every batch size and class, on budget.

A file that passes the contract's static checks can still hang (a `Loop` of 10**15 steps),
take seconds per digit, need gigabytes per call, answer only the first four rows of a
batch, or draw NaN for one pure digit. So before the app uses a model it runs `cases_for`
its kind, the calls the app will make:

- generators: one digit (batch 1), a directions batch and a search population (16), half
  the grid (32, each half runs on its own thread) and the whole grid (64); conditional
  ones also every one-hot class and two blends, one row each;
- encoders and classifiers: one picture (Find and the verdict take one) and 16;

and refuses it, in one sentence, when a call fails, gives the wrong number of rows, a
non-finite value or (for images and weights) a value outside [0, 1], or takes longer than
its budget. `trial` measures time; the child process of probe_process.py also measures
memory and is killed when a single node runs past every deadline.

Budgets are generous: the shipped width-64 generator takes 0.3 ms for one digit and 9 ms
for 64 on one core (see the README), 150x and 50x under them. A model over them would
freeze the window for a large part of a second per frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..explore.weights import class_noun, mix, one_hot
from .contract import ContractError
from .deadline import Timeout
from .messages import first_line

SINGLE_S = 0.05  # one digit: a 20-frames-per-second drag at worst
PER_ROW_S = 0.006  # each further row of a batch: the whole grid gets 0.43 s
ATTEMPTS = 3  # a call over budget is tried again: one slow attempt may be the machine's
HARD_MIN_S = 1.0  # a call is stopped after max(this, 4 x its budget): it has failed anyway
MEMORY_BUDGET_MB = 512  # peak memory one call may add (the app's whole budget is 200 MB)
BATCHES = {1: "one digit", 16: "a batch of 16", 32: "half the grid (32)",
           64: "the whole grid (64)"}
PICTURES = {1: "one picture", 16: "16 pictures"}


@dataclass(frozen=True)
class Case:
    """One call of the trial: its feeds, each output's expected shape (None: any size),
    the outputs that must lie in [0, 1], and a name for each row (for the sentence)."""

    what: str
    feeds: dict[str, np.ndarray]
    shapes: dict[str, tuple]
    unit: tuple[str, ...] = ()
    rows: tuple[str, ...] = field(default=())
    weights: tuple[str, ...] = ()  # outputs whose rows are normalised: some weight > 0

    @property
    def budget_s(self) -> float:
        return budget_s(len(next(iter(self.feeds.values()))))

    @property
    def hard_s(self) -> float:
        return max(HARD_MIN_S, 4 * self.budget_s)


def budget_s(rows: int) -> float:
    """Seconds a call of `rows` samples may take in the trial."""
    return SINGLE_S + PER_ROW_S * (max(1, rows) - 1)


def call_seconds(rows: int) -> float:
    """The deadline of a call once the model is in use: ten times its trial budget and
    2 s more for a busy machine. Past it, the call stops and says so (deadline.py)."""
    return 2.0 + 10 * budget_s(rows)


def pictures() -> list[np.ndarray]:
    """(28, 28) float32 pictures like the ones Find feeds an encoder (MNIST-like: ink
    bright on black, inside the central 20 x 20): a blank canvas, a thin "1" and a "0"."""
    blank = np.zeros((28, 28), np.float32)
    one = blank.copy()
    one[5:23, 13:16] = 1.0
    zero = blank.copy()
    zero[5:23, 9:19] = 1.0
    zero[8:20, 12:16] = 0.0
    return [blank, one, zero]


def _latents(n: int, latent_dim: int, seed: int) -> np.ndarray:
    # Seeded, so the verdict on a file never changes; row 0 is z = 0, the easy case, and
    # the rest are random, because a graph can be finite at z = 0 only.
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
    z[0] = 0.0
    return z


def generator_cases(latent_dim: int, num_classes: int, clusters: bool = False) -> list[Case]:
    k = num_classes
    noun = class_noun(clusters)
    blends = ([mix(3 % k, 8 % k, 0.5, k), np.full(k, 1.0 / k, np.float32)] if k else [])
    cases = []
    for n, what in BATCHES.items():
        feeds = {"z": _latents(n, latent_dim, n)}
        names: tuple[str, ...] = ()
        if k:  # one-hot rows in turn, the last a blend
            rows = [one_hot(i % k, k) for i in range(n)]
            names = tuple(f"{noun} {i % k}" for i in range(n))
            if n > 1:
                rows[-1], names = blends[-1], names[:-1] + ("a blend",)
            feeds["class_weights"] = np.stack(rows)
        cases.append(Case(what, feeds, {"image": (n, 28, 28)}, ("image",), names))
    if k:
        rows = [one_hot(i, k) for i in range(k)] + blends
        names = tuple(f"{noun} {i}" for i in range(k)) + ("a blend", "a blend")
        cases.append(Case(f"every {noun}",
                          {"z": _latents(len(rows), latent_dim, 7), "class_weights": np.stack(rows)},
                          {"image": (len(rows), 28, 28)}, ("image",), names))
    return cases


def _pictures(n: int) -> np.ndarray:
    """n pictures: the blank canvas, then the others at fading ink (1, 0.9, ...)."""
    base = pictures()
    rows = [base[0]] + [base[1 + i % 2] * (1.0 - 0.05 * (i // 2)) for i in range(n - 1)]
    return np.stack(rows).astype(np.float32)


def encoder_cases(latent_dim: int, num_classes: int) -> list[Case]:
    cases = []
    for n, what in PICTURES.items():
        shapes = {"z": (n, latent_dim)}
        if num_classes:
            shapes["class_weights"] = (n, num_classes)
        cases.append(Case(what, {"image": _pictures(n)}, shapes, ("class_weights",),
                          weights=("class_weights",)))
    return cases


def classifier_cases() -> list[Case]:
    return [Case(what, {"image": _pictures(n)}, {"probs": (n, 10), "features": (n, None)},
                 ("probs",)) for n, what in PICTURES.items()]


def cases_for(kind: str, latent_dim: int, num_classes: int, clusters: bool = False) -> list[Case]:
    if kind == "generator":
        return generator_cases(latent_dim, num_classes, clusters)
    if kind == "encoder":
        return encoder_cases(latent_dim, num_classes)
    return classifier_cases()


def check(path: Path, case: Case, outputs: list) -> None:
    """Raise `ContractError` unless each output has its shape, is float32, is finite and,
    where asked, lies in [0, 1]."""
    for (name, shape), array in zip(case.shapes.items(), outputs):
        got = getattr(array, "shape", None)
        if got is None or len(got) != len(shape) or any(
                want is not None and g != want for g, want in zip(got, shape)):
            if got and shape and got[0] != shape[0]:
                raise ContractError(path, f"a probe run gave {got[0]} rows of '{name}' for "
                                          f"{case.what}, not {shape[0]}: the app needs every "
                                          f"batch size")
            raise ContractError(path, f"a probe run gave '{name}' of shape {got} for {case.what}, "
                                      f"expected {tuple('F' if s is None else s for s in shape)}")
        if str(array.dtype) != "float32":
            raise ContractError(path, f"a probe run gave '{name}' as {array.dtype}, not float32")
        flat = array.reshape(len(array), -1)
        problem = _problem(flat, name in case.unit, name in case.weights)
        if problem is not None:
            row, what = problem
            where = f"for {case.rows[row]}" if case.rows else f"for {case.what}"
            raise ContractError(path, f"a probe run gave '{name}' {where} with {what}")


def _problem(flat: np.ndarray, unit: bool, weights: bool) -> tuple[int, str] | None:
    """The first bad row of `flat` (n, m) and what is wrong with it, or None."""
    bad = ~np.isfinite(flat).all(axis=1)
    if bad.any():
        return int(np.argmax(bad)), "NaN or infinite values"
    if unit:
        # A hair of slack: float32 tanh can round (t + 1) / 2 a ulp past 1.
        bad = (flat.min(axis=1) < -1e-5) | (flat.max(axis=1) > 1 + 1e-5)
        if bad.any():
            row = int(np.argmax(bad))
            lo, hi = float(flat[row].min()), float(flat[row].max())
            extreme = f"down to {lo:.3g}" if lo < -1e-5 else f"up to {hi:.3g}"
            return row, f"values {extreme}, outside the contract's [0, 1]"
    if weights:
        bad = flat.sum(axis=1) <= 1e-6
        if bad.any():
            return int(np.argmax(bad)), "every weight zero"
    return None


Run = Callable[[dict, list, float], list]  # (feeds, output names, seconds) -> outputs
Measure = Callable[[Callable[[], None]], float]  # runs its argument; returns MB it added


def trial(path: Path, run: Run, cases: list[Case], measure: Measure | None = None) -> dict:
    """Run every case (each up to ATTEMPTS times while over budget); raise `ContractError`
    on the first failure. Returns {case: best seconds} and, with `measure`, {case + " MB"}."""
    report: dict[str, float] = {}
    for case in cases:
        best = [np.inf]

        def attempts(case=case, best=best) -> None:
            for attempt in range(ATTEMPTS):
                seconds = _call(path, run, case, check_outputs=attempt == 0)
                best[0] = min(best[0], seconds)
                if best[0] <= case.budget_s or seconds > case.hard_s:
                    return

        used = measure(attempts) if measure is not None else attempts()
        if used is not None and used > MEMORY_BUDGET_MB:
            raise ContractError(path, f"it needs {used:.0f} MB of memory for {case.what}, "
                                      f"more than the {MEMORY_BUDGET_MB} MB a model call may use")
        if best[0] > case.budget_s:
            raise ContractError(path, f"it takes {_duration(best[0])} for {case.what}, and the "
                                      f"app allows {_duration(case.budget_s)} (it would freeze "
                                      f"the window)")
        report[case.what] = round(best[0], 6)
        if used is not None:
            report[case.what + " MB"] = round(used, 1)
    return report


def _call(path: Path, run: Run, case: Case, check_outputs: bool) -> float:
    import time

    start = time.perf_counter()
    try:
        outputs = run(case.feeds, list(case.shapes), case.hard_s)
    except Timeout:
        raise ContractError(path, f"it did not finish {case.what} within {_duration(case.hard_s)} "
                                  f"(the app allows {_duration(case.budget_s)})") from None
    except Exception as exc:  # noqa: BLE001 - any ORT failure means "cannot be used"
        if is_out_of_memory(exc):
            raise ContractError(path, f"it runs out of memory for {case.what} (the app allows "
                                      f"{MEMORY_BUDGET_MB} MB per call)") from None
        raise ContractError(path, f"a probe run of {case.what} failed ({first_line(exc)})"
                            ) from None
    seconds = time.perf_counter() - start
    if check_outputs:
        check(path, case, outputs)
    return seconds


def is_out_of_memory(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, MemoryError) or "bad_alloc" in text or "Failed to allocate" in text \
        or "Available memory of" in text


def _duration(seconds: float) -> str:
    return f"{seconds:.3g} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"
