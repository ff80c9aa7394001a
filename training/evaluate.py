"""How good is a generator? FID, an Inception-score analogue and class balance, by classifier.

`python -m training evaluate MODEL.onnx [--n 10000]` prints a table and writes JSON.
All numbers use the project's MNIST classifier (exported_models/classifier.onnx):
- FID on its penultimate features, generated vs the MNIST test set, N samples each;
- the real-data floor: the same FID between N MNIST train and N test images;
- the Inception-score analogue exp(E_x KL(p(y|x) || p(y))), at most 10;
- the histogram of predicted classes and its KL divergence to uniform;
- for conditional models, how often the classifier sees the digit that was asked for.
Only ONNX Runtime and NumPy run here: an evaluation never needs TensorFlow.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training.data import load_mnist

BATCH = 500


class EvaluationError(Exception):
    pass


def _session(path: Path):
    import onnxruntime as ort

    if not Path(path).is_file():
        raise EvaluationError(f"{path}: no such model file")
    try:
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - ORT raises several unrelated types for bad files
        raise EvaluationError(f"{path}: not a loadable ONNX model ({str(e).splitlines()[0]})") from None


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


def generate(gen, n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """n samples with z ~ N(0, I); conditional models get labels 0..9 in equal shares."""
    meta = _metadata(gen)
    latent_dim = int(meta["latent_dim"])
    conditional = int(meta.get("num_classes", "0")) > 0
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent_dim)).astype(np.float32)
    labels = (np.arange(n) % 10).astype(np.int64) if conditional else None
    out = []
    for i in range(0, n, BATCH):
        feeds = {"z": z[i:i + BATCH]}
        if conditional:
            feeds["label"] = labels[i:i + BATCH]
        out.append(gen.run(["image"], feeds)[0])
    return np.concatenate(out), labels


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


def evaluate(model: Path, classifier: Path, data, n: int, seed: int = 0) -> dict:
    if n < 200 or n > 60_000:
        raise EvaluationError("--n must be between 200 and 60000")
    gen = _session(model)
    meta = _metadata(gen)
    if meta.get("kind") != "generator" or "latent_dim" not in meta:
        raise EvaluationError(f"{model}: not a Digit Studio generator (metadata kind/latent_dim missing)")
    clf = _session(classifier)
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
        "architecture": meta.get("architecture"),
        "epochs": int(meta.get("epochs", 0)),
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
    return result


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
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(args) -> int:
    from exported_models import CLASSIFIER

    result = evaluate(Path(args.model), Path(args.classifier or CLASSIFIER), args.data, args.n, args.seed)
    print(format_table(result))
    out = Path(args.json) if args.json else Path(args.model).with_suffix(".eval.json")
    try:
        out.write_text(json.dumps(result, indent=2) + "\n")
    except OSError as e:
        raise EvaluationError(f"{out}: cannot write results ({e.strerror})") from None
    print(f"results written to {out}")
    if args.embed:
        from training.export import with_metrics

        with_metrics(Path(args.model), {k: v for k, v in result.items() if k != "model"})
        print(f"results embedded in {args.model}'s metadata")
    return 0
