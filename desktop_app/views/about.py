"""Help → About: the app, and the metadata of the models it is showing.

The rows come from `core.model_card`; every value is escaped here, because metadata is
text from a file and the box shows rich text.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QMessageBox

from .. import __version__
from ..core.models.model_card import model_rows
from .files.settings import APPLICATION
from .widgets.boxes import show_info


def about_html(generator_info, classifier_info) -> str:
    """The About text for these models (`ModelInfo` or None each)."""
    rows = []
    for title, info in (("Generator", generator_info), ("Classifier", classifier_info)):
        if info is None:
            rows.append(f"<tr><td colspan=2><br><b>{title}:</b> none loaded</td></tr>")
            continue
        # One table for both models, so their two columns line up.
        rows.append(f"<tr><td colspan=2><br><b>{title}</b></td></tr>")
        rows += [f"<tr><td style='color:gray;padding-right:12px'>{escape(name)}</td>"
                 f"<td>{escape(value)}</td></tr>" for name, value in model_rows(info)]
    return (f"<h3>{APPLICATION} {__version__}</h3>"
            "<p>Explore how a GAN imagines handwritten digits, in real time.</p>"
            f"<table cellspacing=2>{''.join(rows)}</table>")


def show_about(window) -> QMessageBox:
    """Open the About box for `window`'s models (non-modal); returns it."""
    studio = window.studio
    html = about_html(studio.generator.info if studio.generator else None,
                      studio.classifier.info if studio.classifier else None)
    box = show_info(window, f"About {APPLICATION}", html)
    # QMessageBox wraps text narrowly; two-column tables of metadata read better wider.
    box.setStyleSheet("QLabel { min-width: 520px; }")
    return box
