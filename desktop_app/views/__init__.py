"""Thin Qt views over `desktop_app.core`: each widget shows one part of the core's state."""
