"""The ONNX models shipped with Digit Studio; `MODELS_DIR` is where they live once installed."""

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
DEFAULT_GENERATOR = MODELS_DIR / "generator.onnx"  # conditional: z and class weights
UNCONDITIONAL_GENERATOR = MODELS_DIR / "unconditional.onnx"  # trained without labels
CLASSIFIER = MODELS_DIR / "classifier.onnx"
READER = MODELS_DIR / "reader.onnx"  # reads people's digits for Find a digit
