"""The one thing the two packages share: how their files are written, locked and read.

`training` (TensorFlow, Keras, tf2onnx) and `desktop_app` (Qt, ONNX Runtime) never import
each other; both import this small package, which needs only the standard library and
NumPy. It holds the rules for files the program owns (`atomic`, `lock`), the layout of a
training run's folder (`run_folder`) and the status lines a training run prints for the
app (`status`).
"""
