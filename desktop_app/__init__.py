"""Digit Studio's desktop app: a real-time explorer for GAN generators exported to ONNX.

Run it with `python -m desktop_app [MODEL]` or `digit-studio [MODEL]`. `core/` holds the
Qt-free parts (ONNX sessions, latent maths, directions, file formats); `views/` holds the
thin Qt widgets on top. Nothing here imports TensorFlow, Keras or tf2onnx.
"""

__version__ = "0.1.0"
