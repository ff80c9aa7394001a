"""Digit Studio's training side: build, train, export and evaluate MNIST GANs (Keras 3).

Run `python -m training --help`. Nothing here imports Qt; the app never imports this.
"""
