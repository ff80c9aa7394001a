#!/usr/bin/env bash
# The GPU check: the shipped default recipe, trained on a GPU with Keras' JAX
# backend (the lent H200 machine has JAX, onnxruntime and no TensorFlow), the run written
# into $OUT, steps per second printed. Export and evaluate the run afterwards on a machine
# with TensorFlow (export goes through tf2onnx):
#   python -m training export RUN --out /tmp/gpu.onnx && python -m training evaluate /tmp/gpu.onnx
#
# Once, here, in the repository's root (both folders are ignored by git):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
#       --platform manylinux2014_x86_64 -d .whl keras==3.15.1 namex==0.1.0 optree==0.20.0
#   mkdir -p .mnist && cp ../shared/data/*-ubyte.gz .mnist/     # ../shared does not travel; .mnist/ does
# Then with the device tool: command "bash scripts/gpu_check.sh", carry [".whl", ".mnist"],
# timeout_s 540 (the whole check is meant to fit in 8 minutes of a fresh machine).
#
# Here, on the CPU, a short rehearsal of the same path:
#   OUT=/tmp/gpu_check EPOCHS=1 TRAIN_SAMPLES=2048 DATA=../shared/data bash scripts/gpu_check.sh
#
# What comes back under $OUT (the device tool returns at most 8 files): run/ with
# checkpoint.npz, best.npz, best.json, config.json, metrics.jsonl and progress.gif, then
# train.log and summary.json (steps/s, seconds per epoch, wall time, devices).
set -euo pipefail

OUT=${OUT:?set OUT to the folder the results go to}
EPOCHS=${EPOCHS:-30}
DECAY=${DECAY:-$(( EPOCHS >= 30 ? 10 : EPOCHS / 3 ))}  # the recipe decays the last 10 of 30 epochs
TRAIN_SAMPLES=${TRAIN_SAMPLES:-0}                        # 0: all 60,000 images
if [ -z "${DATA:-}" ]; then
    if [ -d .mnist ]; then DATA=.mnist; else DATA=../shared/data; fi
fi
PYTHON=${PYTHON:-python3}
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1

# Keras, namex and optree travel as wheels; install them only where Keras is missing.
if ! "$PYTHON" -c "import keras" 2>/dev/null; then
    ls .whl/*.whl >/dev/null 2>&1 || { echo "gpu_check: no Keras here and no wheels in .whl/ (see the header)" >&2; exit 2; }
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L || true

RUN=$(mktemp -d)/run  # the run folder stays here; what comes back is copied to $OUT
mkdir -p "$OUT/run"
"$PYTHON" -m training train --arch cdcgan --width 48 --precision float32 --epochs "$EPOCHS" \
    --lr-decay-epochs "$DECAY" --ema 0.995 --seed 1 --batch-size 128 --backend jax \
    --train-samples "$TRAIN_SAMPLES" --data "$DATA" --out "$RUN" 2>&1 | tee "$OUT/train.log"

for f in checkpoint.npz best.npz best.json config.json metrics.jsonl progress.gif; do
    if [ -f "$RUN/$f" ]; then cp "$RUN/$f" "$OUT/run/"; fi
done

"$PYTHON" - "$RUN" "$OUT/summary.json" <<'PY'
import json, statistics, sys
from pathlib import Path

run, out = Path(sys.argv[1]), Path(sys.argv[2])
cfg = json.loads((run / "config.json").read_text())
rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
n = cfg["train_samples"] or 60000
steps = n // cfg["batch_size"]
seconds = [r["seconds"] for r in rows]
later = seconds[1:] or seconds  # epoch 1 includes compiling the step
import jax, keras
summary = {
    "backend": cfg["backend"], "keras": keras.__version__, "jax": jax.__version__,
    "devices": [str(d) for d in jax.devices()], "precision": cfg["precision"],
    "epochs": len(rows), "steps_per_epoch": steps, "batch_size": cfg["batch_size"],
    "first_epoch_seconds": seconds[0],
    "median_epoch_seconds": statistics.median(later),
    "steps_per_s": round(steps / statistics.median(later), 1),
    "ms_per_step": round(1000 * statistics.median(later) / steps, 3),
    "training_seconds": round(sum(seconds), 1),
    "wall_seconds": json.loads((run / "wall_time.json").read_text())["seconds"],
    "last_fid_estimate": rows[-1].get("fid_estimate"),
}
out.write_text(json.dumps(summary, indent=2) + "\n")
print(f"gpu_check: {summary['steps_per_s']} steps/s ({summary['ms_per_step']} ms a step at batch "
      f"{summary['batch_size']}), {summary['training_seconds']} s of training for {summary['epochs']} epochs "
      f"({summary['wall_seconds']} s with estimates, grids and checkpoints), on {', '.join(summary['devices'])}")
print(json.dumps(summary))
PY
