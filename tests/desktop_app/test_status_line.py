"""The status bar says one thing at a time: the newer of a passing note and the work
running in the background replaces the older, and a text too long for its room is cut
with "…" (the whole of it in the tooltip), never drawn under the next one."""

from __future__ import annotations

LONG = ("Loaded generator.onnx (latent kept) · direction sliders reset to 0, which changed "
        "the latent")
WORK = "Finding principal directions…"


def _texts_shown(w) -> list[str]:
    """The texts on the status bar's left, as a user sees them."""
    bar, busy = w.statusBar(), w.ui.busy
    shown = [bar.currentMessage()] if bar.currentMessage() else []
    return shown + ([busy.label.text()] if busy.label.isVisible() else [])


def test_work_that_starts_replaces_the_note(window, qtbot):
    window.resize(800, 600)
    window.show_status(LONG)
    window.ui.busy.start(WORK)
    assert _texts_shown(window) == [WORK]
    window.ui.busy.stop()
    assert _texts_shown(window) == []  # the note it replaced does not come back


def test_a_note_replaces_the_work_text_and_the_bar_keeps_moving(window, qtbot):
    window.resize(800, 600)
    window.ui.busy.start(WORK)
    window.show_status(LONG)
    assert _texts_shown(window) == [LONG]
    assert window.ui.busy.bar.isVisible()  # the work goes on, and shows it
    window.statusBar().clearMessage()  # the note's time is up (what its timer does)
    assert _texts_shown(window) == [WORK]
    window.ui.busy.stop()
    assert _texts_shown(window) == [] and not window.ui.busy.isVisible()


def test_a_long_note_is_cut_with_an_ellipsis_beside_the_model_name(loaded, qtbot):
    w = loaded
    w.resize(800, 600)
    qtbot.waitUntil(lambda: w.width() == 800)
    w.ui.busy.start(WORK)
    w.show_status(LONG)
    qtbot.wait(1)  # one event-loop turn for the layout
    note = w.statusBar().note
    shown = note.shown_text()
    assert shown != LONG and shown.endswith("…") and LONG.startswith(shown[:-1])
    assert note.fontMetrics().horizontalAdvance(shown) <= note.contentsRect().width()
    assert note.elided()  # so its tooltip holds the whole note
    boxes = [widget.geometry() for widget in (note, w.ui.busy, w.ui.model_label,
                                               w.ui.stats_label) if widget.isVisible()]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    w.resize(1600, 1000)
    qtbot.waitUntil(lambda: w.width() == 1600)
    qtbot.wait(1)
    assert note.shown_text() == LONG  # room enough: the whole note
