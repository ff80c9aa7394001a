"""How good is a generator? FID, an Inception-score analogue and class balance, by classifier.

`python -m training evaluate MODEL.onnx [--n 10000]` prints a table and writes JSON.
All numbers use the project's MNIST classifier (exported_models/classifier.onnx):
- FID on its penultimate features, generated vs the MNIST test set, N samples each;
- the real-data floor: the same FID between N MNIST train and N test images;
- the Inception-score analogue exp(E_x KL(p(y|x) || p(y))), at most 10;
- the histogram of predicted classes and its KL divergence to uniform;
- for conditional models, how often the classifier sees the digit that was asked for;
- path smoothness: along 64-step slerp paths between random latents, the largest image
  step over the median step, per path (p50, p95, p99, share of paths above 5x); a
  staircase (a digit that switches abruptly) shows up as a large ratio;
- perceptual path length (StyleGAN's definition, epsilon 1e-4, in classifier-feature
  space, 1 %/99 % trimmed mean).
Conditional models get both measures within one digit and across digits (z and class
weights interpolated together); a model whose classes are clusters (docs/model-contract.md)
draws each sample's cluster from its `class_priors`, and gets both measures within one
cluster and across clusters, and no "requested digit" score (a cluster names no digit).
Only ONNX Runtime and NumPy run here: an evaluation never needs TensorFlow.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from digit_contract.metadata import NUM_DIGITS as NUM_CLASSES
from digit_contract.metadata import ContractError, parse_metadata
from training import onnx_calls
from training.data import load_mnist

BATCH = 500
PROBE_S = 5.0  # one call of the probe; the shipped generator takes 0.3 ms for one sample, 30 ms for 500
CALL_S = 60.0  # any later call of BATCH samples (generator or classifier)
MAX_SEED = 2**31 - 1  # the command line's bound for every --seed (training/__main__.py)
PATH_STEPS = 64
PPL_EPSILON = 1e-4


class EvaluationError(Exception):
    pass


def _session(path: Path, what: str = "model"):
    return onnx_calls.open_session(Path(path), what, EvaluationError)


def _run(session, names: list[str], feeds: dict, seconds: float, path: Path, what: str) -> list:
    return onnx_calls.checked_run(session, names, feeds, seconds, f"{path}: the {what}", EvaluationError)


def _rows(array, rows: int, tail: tuple, path: Path, what: str, name: str) -> None:
    onnx_calls.check_rows(array, rows, tail, f"{path}: the {what} gave '{name}'", EvaluationError)


def _metadata(session) -> dict[str, str]:
    return dict(session.get_modelmeta().custom_metadata_map)


def classify(clf, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """images (n, 28, 28) in [0, 1] -> (probs (n, 10), features (n, F))."""
    probs, feats = [], []
    for i in range(0, len(images), BATCH):
        p, f = clf.run(["probs", "features"], {"image": images[i:i + BATCH].astype(np.float32)})
        probs.append(p)
        feats.append(f)
    return np.concatenate(probs), np.concatenate(feats).astype(np.float64)


class _Generator:
    """An ONNX generator under contract v2: z[, class_weights] -> (n, 28, 28) in [0, 1]."""

    def __init__(self, session, model: Path):
        meta = _metadata(session)
        try:  # the app's own rules, from the one parser both sides share
            self.info = parse_metadata(Path(model), meta, "generator")
        except ContractError as e:
            raise EvaluationError(f"{model}: {e.rule}") from None
        self.session, self.model, self.meta = session, model, meta
        self.latent_dim = self.info.latent_dim
        self.num_classes = self.info.num_classes
        self.conditional = self.info.conditional
        self.clusters = self.info.clusters
        self.priors = np.asarray(self.info.class_priors, np.float64) if self.clusters else None

    def draw_classes(self, rng, n: int) -> np.ndarray:
        """n class indices: a cluster model's by its priors, a digit model's uniformly."""
        return rng.choice(self.num_classes, n, p=self.priors) if self.clusters else rng.integers(0, NUM_CLASSES, n)

    def __call__(self, z: np.ndarray, weights: np.ndarray | None = None, seconds: float | None = None
                 ) -> np.ndarray:
        """Images (n, 28, 28) for z (n, latent_dim); every call bounded by `seconds` (CALL_S),
        and its answer checked: n images, finite, in [0, 1]."""
        out = []
        for i in range(0, len(z), BATCH):
            feeds = {"z": z[i:i + BATCH].astype(np.float32)}
            if self.conditional:
                feeds["class_weights"] = weights[i:i + BATCH].astype(np.float32)
            image = _run(self.session, ["image"], feeds, seconds or CALL_S, self.model, "generator")[0]
            _rows(image, len(feeds["z"]), (28, 28), self.model, "generator", "image")
            out.append(image)
        images = np.concatenate(out)
        if not np.isfinite(images).all():
            raise EvaluationError(f"{self.model}: the generator draws non-finite values (NaN or inf)")
        return images

    def probe(self) -> None:
        """One sample, then a full batch of every class, each within PROBE_S: a model that
        loops, refuses a batch of BATCH, or draws NaN or grey levels outside [0, 1] is
        refused before the real work."""
        for n in (1, BATCH):
            z = np.random.default_rng(n).standard_normal((n, self.latent_dim)).astype(np.float32)
            w = None
            if self.conditional:
                w = np.eye(self.num_classes, dtype=np.float32)[np.arange(n) % self.num_classes]
            images = self(z, w, seconds=PROBE_S)
            if images.min() < -1e-5 or images.max() > 1 + 1e-5:
                raise EvaluationError(f"{self.model}: the generator draws values from {images.min():.3g} to "
                                      f"{images.max():.3g}, outside the contract's [0, 1]")


def generate(gen: _Generator, n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """n samples with z ~ N(0, I). Digit models get one-hot digits 0..9 in equal shares
    (returned as the labels asked for); cluster models one-hot clusters drawn by their
    priors (no labels returned: a cluster asks for no digit)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, gen.latent_dim)).astype(np.float32)
    if not gen.conditional:
        return gen(z), None
    if gen.clusters:
        classes = gen.draw_classes(np.random.default_rng([seed, 1]), n)
        return gen(z, np.eye(gen.num_classes, dtype=np.float32)[classes]), None
    labels = (np.arange(n) % NUM_CLASSES).astype(np.int64)
    return gen(z, np.eye(NUM_CLASSES, dtype=np.float32)[labels]), labels


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Rows of a to rows of b along great circles; t (m,) or (n, m) -> (n, m, d).

    The direction turns on the great circle while the norm goes linearly, as in the app.
    """
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    na, nb = np.linalg.norm(a64, axis=1, keepdims=True), np.linalg.norm(b64, axis=1, keepdims=True)
    ua, ub = a64 / na, b64 / nb
    omega = np.arccos(np.clip(np.sum(ua * ub, axis=1, keepdims=True), -1.0, 1.0))[:, None]  # (n, 1, 1)
    t = np.atleast_2d(np.asarray(t, np.float64))[:, :, None]  # (1 or n, m, 1)
    so = np.sin(omega)
    direction = (np.sin((1 - t) * omega) * ua[:, None] + np.sin(t * omega) * ub[:, None]) / so
    norm = (1 - t) * na[:, None] + t * nb[:, None]
    return direction * norm


def _endpoints(gen: _Generator, n: int, rng, across: bool):
    """Random (z_a, z_b, w_a, w_b): the same one-hot class at both ends, or two different ones."""
    za = rng.standard_normal((n, gen.latent_dim))
    zb = rng.standard_normal((n, gen.latent_dim))
    if not gen.conditional:
        return za, zb, None, None
    a = gen.draw_classes(rng, n)
    b = a.copy()
    if across:  # redraw b where it equals a: two different classes, each drawn as samples are
        same = np.ones(n, bool)
        while same.any():
            b[same] = gen.draw_classes(rng, int(same.sum()))
            same = b == a
    eye = np.eye(gen.num_classes)
    return za, zb, eye[a], eye[b]


def path_smoothness(gen: _Generator, paths: int, seed: int, across: bool = False) -> dict:
    """Largest over median image step along 64-step slerp paths (weights go linearly)."""
    rng = np.random.default_rng(seed)
    za, zb, wa, wb = _endpoints(gen, paths, rng, across)
    t = np.linspace(0.0, 1.0, PATH_STEPS + 1)
    z = slerp(za, zb, t).reshape(-1, gen.latent_dim)
    w = None if wa is None else ((1 - t)[None, :, None] * wa[:, None] + t[None, :, None] * wb[:, None]).reshape(-1, gen.num_classes)
    images = gen(z, w).reshape(paths, PATH_STEPS + 1, -1).astype(np.float64)
    steps = np.linalg.norm(np.diff(images, axis=1), axis=2)  # (paths, 64)
    ratio = steps.max(1) / np.maximum(np.median(steps, 1), 1e-12)
    return {"paths": paths, "p50": round(float(np.percentile(ratio, 50)), 3),
            "p95": round(float(np.percentile(ratio, 95)), 3), "p99": round(float(np.percentile(ratio, 99)), 3),
            "share_above_5": round(float(np.mean(ratio > 5)), 4)}


def perceptual_path_length(gen: _Generator, clf, samples: int, seed: int, across: bool = False) -> float:
    """StyleGAN's PPL (slerp in z, epsilon 1e-4) with classifier features as the metric.

    E[ |f(G(p(t))) - f(G(p(t + eps)))|^2 / eps^2 ], the 1 % and 99 % tails trimmed.
    """
    rng = np.random.default_rng(seed)
    za, zb, wa, wb = _endpoints(gen, samples, rng, across)
    t = rng.uniform(0.0, 1.0 - PPL_EPSILON, samples)
    pair = np.stack([t, t + PPL_EPSILON], axis=1)  # (n, 2)
    z = slerp(za, zb, pair).reshape(-1, gen.latent_dim)
    w = None
    if wa is not None:
        w = ((1 - pair)[:, :, None] * wa[:, None] + pair[:, :, None] * wb[:, None]).reshape(-1, gen.num_classes)
    _, feats = classify(clf, gen(z, w))
    feats = feats.reshape(samples, 2, -1)
    d = np.sum((feats[:, 0] - feats[:, 1]) ** 2, axis=1) / PPL_EPSILON ** 2
    lo, hi = np.percentile(d, [1, 99])
    return round(float(np.mean(d[(d >= lo) & (d <= hi)])), 3)


def smoothness_report(gen: _Generator, clf, paths: int, ppl_samples: int, seed: int) -> dict:
    """The smoothness and PPL entries of a result: flat for unconditional models, else split."""
    if not gen.conditional:
        return {"smoothness": path_smoothness(gen, paths, seed),
                "ppl": perceptual_path_length(gen, clf, ppl_samples, seed)}
    within, across = ("within_cluster", "across_clusters") if gen.clusters else ("within_digit", "across_digits")
    return {
        "smoothness": {within: path_smoothness(gen, paths, seed),
                       across: path_smoothness(gen, paths, seed + 1, across=True)},
        "ppl": {within: perceptual_path_length(gen, clf, ppl_samples, seed),
                across: perceptual_path_length(gen, clf, ppl_samples, seed + 1, across=True)},
    }


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FID between two feature sets (n, F): |mu_a - mu_b|^2 + Tr(Sa + Sb - 2 (Sa Sb)^1/2)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr((Sa Sb)^1/2) = Tr((Sa^1/2 Sb Sa^1/2)^1/2), and the latter is symmetric PSD,
    # so eigh is exact and stable where a general sqrtm would go complex.
    w, v = np.linalg.eigh(sa)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root_a @ sb @ root_a
    tr_cross = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(sa) + np.trace(sb) - 2 * tr_cross)


def inception_score(probs: np.ndarray) -> float:
    eps = 1e-12
    marginal = probs.mean(0)
    kl = np.sum(probs * (np.log(probs + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl.mean()))


def class_balance(probs: np.ndarray) -> tuple[list[float], float]:
    """Share of samples predicted as each digit, and KL(shares || uniform) in nats."""
    counts = np.bincount(np.argmax(probs, 1), minlength=10).astype(np.float64)
    shares = counts / counts.sum()
    nz = shares > 0
    return [round(float(s), 4) for s in shares], float(np.sum(shares[nz] * np.log(shares[nz] * 10)))


class _Classifier:
    """The evaluation classifier: `run(names, feeds)` as a session's, bounded and checked
    (one row of probabilities and of features per image)."""

    def __init__(self, session, path: Path):
        self.session, self.path = session, path

    def run(self, names: list[str], feeds: dict) -> list:
        rows = len(feeds["image"])
        probs, feats = _run(self.session, names, feeds, CALL_S, self.path, "classifier")
        _rows(probs, rows, (NUM_CLASSES,), self.path, "classifier", "probs")
        _rows(feats, rows, tuple(getattr(feats, "shape", (0, -1))[1:2]) or (-1,), self.path, "classifier",
              "features")
        return [probs, feats]


def _classifier(path: Path) -> _Classifier:
    clf = _session(path, "classifier")
    meta = _metadata(clf)
    outputs = {o.name for o in clf.get_outputs()}
    if meta.get("kind") != "classifier" or not {"probs", "features"} <= outputs:
        raise EvaluationError(f"{path}: not a Digit Studio classifier (kind {meta.get('kind', '?')[:20]!r}, "
                              "outputs probs and features needed)")
    return _Classifier(clf, Path(path))


def evaluate(model: Path, classifier: Path, data, n: int, seed: int = 0,
             paths: int = 1000, ppl_samples: int = 10_000) -> dict:
    if n < 200 or n > 60_000:
        raise EvaluationError("--n must be between 200 and 60000")
    if not 20 <= paths <= 100_000 or not 100 <= ppl_samples <= 1_000_000:
        raise EvaluationError("--paths must be in 20..100000 and --ppl-samples in 100..1000000")
    if not 0 <= seed <= MAX_SEED:  # a caller other than argparse: still one sentence
        raise EvaluationError(f"--seed must be in 0..{MAX_SEED}, not {seed}")
    gen = _Generator(_session(model), Path(model))
    gen.probe()
    clf = _classifier(classifier)
    mnist = load_mnist(data)
    n_test = min(n, len(mnist.test_images))
    test = mnist.test_images[:n_test].astype(np.float32) / 255
    train = mnist.train_images[:n].astype(np.float32) / 255

    images, labels = generate(gen, n, seed)
    probs, feats = classify(clf, images)
    test_probs, test_feats = classify(clf, test)
    _, train_feats = classify(clf, train)
    shares, kl = class_balance(probs)
    result = {
        "model": str(model),
        "architecture": gen.meta.get("architecture"),
        "epochs": gen.info.epochs,
        "n": n,
        "fid": round(frechet_distance(feats, test_feats), 4),
        "fid_real_floor": round(frechet_distance(train_feats, test_feats), 4),
        "inception_score": round(inception_score(probs), 4),
        "inception_score_mnist_test": round(inception_score(test_probs), 4),
        "class_shares": shares,
        "class_kl_to_uniform": round(kl, 5),
    }
    if labels is not None:
        result["conditional_accuracy"] = round(float(np.mean(np.argmax(probs, 1) == labels)), 5)
    result.update(smoothness_report(gen, clf, paths, ppl_samples, seed + 100))
    return result


def _smoothness_rows(r: dict) -> list[tuple[str, str]]:
    def one(s):
        return f"p50 {s['p50']:.2f}  p95 {s['p95']:.2f}  p99 {s['p99']:.2f}  above 5x {100 * s['share_above_5']:.1f} %"

    sm, ppl = r["smoothness"], r["ppl"]
    for noun, within, across in (("digit", "within_digit", "across_digits"),
                                 ("cluster", "within_cluster", "across_clusters")):
        if within in sm:
            return [(f"path smoothness within a {noun}", one(sm[within])),
                    (f"path smoothness across {noun}s", one(sm[across])),
                    ("perceptual path length within / across", f"{ppl[within]:.1f} / {ppl[across]:.1f}")]
    return [("path smoothness, max/median step", one(sm)), ("perceptual path length", f"{ppl:.1f}")]


def format_table(r: dict) -> str:
    rows = [
        ("model", r["model"]),
        ("architecture / epochs", f"{r['architecture']} / {r['epochs']}"),
        ("samples (N)", r["n"]),
        ("FID (classifier features)", r["fid"]),
        ("FID real-data floor (train vs test)", r["fid_real_floor"]),
        ("Inception-score analogue (of 10)", r["inception_score"]),
        ("  the same for the MNIST test set", r["inception_score_mnist_test"]),
        ("class KL to uniform (nats)", r["class_kl_to_uniform"]),
        ("class shares 0..9", " ".join(f"{s:.3f}" for s in r["class_shares"])),
    ]
    if "conditional_accuracy" in r:
        rows.append(("requested digit recognised", r["conditional_accuracy"]))
    if "smoothness" in r:
        rows += _smoothness_rows(r)
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(args) -> int:
    from exported_models import CLASSIFIER

    result = evaluate(Path(args.model), Path(args.classifier or CLASSIFIER), args.data, args.n, args.seed,
                      paths=args.paths, ppl_samples=args.ppl_samples)
    print(format_table(result))
    out = Path(args.json) if args.json else Path(args.model).with_suffix(".eval.json")
    try:
        out.write_text(json.dumps(result, indent=2) + "\n")
    except OSError as e:
        raise EvaluationError(f"{out}: cannot write results ({e.strerror})") from None
    print(f"results written to {out}")
    if args.embed:
        from training.metadata import with_metrics

        with_metrics(Path(args.model), {k: v for k, v in result.items() if k != "model"})
        print(f"results embedded in {args.model}'s metadata")
    return 0
