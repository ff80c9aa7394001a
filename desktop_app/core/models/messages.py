"""Turning a native library's error (ONNX Runtime's, mostly) into a clause for one sentence.

ONNX Runtime's messages run to several lines of C++ context; the user gets the first line,
shortened at a word boundary with an ellipsis, never cut mid-word.
"""

from __future__ import annotations

MAX_CHARS = 200


def first_line(error: BaseException | str, limit: int = MAX_CHARS) -> str:
    """The first non-empty line of `error`, at most `limit` characters (ending in "…" when
    shortened, at a word boundary where there is one); the exception's type name if empty."""
    text = str(error).strip()
    if not text:
        return type(error).__name__ if isinstance(error, BaseException) else ""
    line = text.splitlines()[0].strip()
    if len(line) <= limit:
        return line
    cut = line[:limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # a word boundary not too far back; else cut the long token
        cut = cut[:space]
    return cut.rstrip(" ,;:([{") + "…"
