"""The settings file: Digit Studio's own INI file, read and written here, never by QSettings.

Why not QSettings: it opens whatever the path names (a FIFO blocks start-up for ever, a
device node is replaced by a regular file), it rewrites files it did not create, and it
decodes `@Variant(...)` values with QDataStream, where one crafted line aborts the process
(`std::bad_alloc`). Here the file is read once, by plain Python and capped in size, and only
strings, numbers, booleans, string lists and byte strings come out of it; `@Variant(` and
every other serialized Qt type is left out as a damaged entry.

The format is the part of QSettings' INI format the app needs, so files written by earlier
versions (through QSettings) read the same:

    [digit-studio]
    format=1                          <- the marker: a file without it is not the app's own
    [General]
    seed=42
    recent_models=/a/g.onnx, /b/g.onnx
    [keyframes]
    8d="{\\"format\\": ...}"

A key `group/name` lives in section `[group]`. Values are escaped as QSettings escapes them
(`\\n`, `\\"`, `\\xNN`), quoted when they hold `,` `;` or `=`; a list is its items joined by
", "; a string that begins with `@` is written `@@…`; bytes are `@ByteArray(…)`.
"""

from __future__ import annotations

import errno
import numbers
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

MARKER_SECTION, MARKER_KEY, FORMAT = "digit-studio", "format", "1"
MARKER = f"{MARKER_SECTION}/{MARKER_KEY}"
MAX_BYTES = 64 << 20  # a settings file holds keyframes (≤ 16 MB per latent size), no more
HEAD = f"[{MARKER_SECTION}]\n{MARKER_KEY}={FORMAT}\n"

# Keys an earlier Digit Studio wrote through QSettings (before the marker existed).
_LEGACY = re.compile(r"(grid|smooth|radius|variations|method|speed_percent|loop|pingpong|seed"
                     r"|truncation|class_weights|recent_models|last_model|last_folder"
                     r"|export_scale|geometry|keyframes/\d{1,4}d|animation/[a-z_]{1,20})")

# -- reading -------------------------------------------------------------------------------
_NAMED = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
          '"': '"', "?": "?", "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]*|[0-7]+|\r\n?|\n\r?|[\s\S]|$)")
# One token of a value: a quoted part (its closing quote may be missing), a comma, an
# escape outside quotes, or a run of plain characters.
_TOKEN = re.compile(r'"((?:[^"\\]+|\\[\s\S]?)*)"?|(,)|(\\(?:x[0-9A-Fa-f]*|[0-7]+|\r\n?|\n\r?'
                    r'|[\s\S]|$))|([^",\\]+)')
# A non-empty line; a backslash before the newline continues it.
_LINE = re.compile(r"(?:[^\\\r\n]+|\\(?:\r\n|\n\r|[\s\S])?)+")
_KEY_ESCAPE = re.compile(r"%U([0-9A-Fa-f]{4})|%([0-9A-Fa-f]{2})")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


# Work bounds: the app writes fewer than 100 lines of a few tokens each, but a 64 MB file of
# commas or backslashes would keep a Python loop busy for half a minute at start-up.
MAX_LINES = 10_000  # entries, sections and comments together
MAX_TOKENS = 100_000  # quoted parts, commas, escapes and plain runs, in all values
MAX_ESCAPES = 200_000  # backslashes (keyframes take about 10 per keyframe)


class _Damaged(ValueError):
    """An entry holding something the app never writes (a serialized Qt type)."""


class TooComplex(ValueError):
    """A file with far more lines, list items or escapes than settings ever have."""


class _Budget:
    def __init__(self):
        self.tokens = self.escapes = 0

    def spend(self, tokens: int = 0, escapes: int = 0) -> None:
        self.tokens += tokens
        self.escapes += escapes
        if self.tokens > MAX_TOKENS or self.escapes > MAX_ESCAPES:
            raise TooComplex("too many list items or escapes")


def _unescape_one(match: re.Match) -> str:
    code = match.group(1)
    if code[:1] == "x":
        return chr(int(code[1:][-4:], 16)) if len(code) > 1 else ""  # 16 bits, as a QChar
    if code[:1].isdigit():
        return chr(int(code[-6:], 8) & 0xFFFF)
    return _NAMED.get(code, "")  # an unknown escape, or a backslash-newline, is dropped


def _unescape(text: str, budget: _Budget) -> str:
    if "\\" in text:
        budget.spend(escapes=text.count("\\"))
        text = _ESCAPE.sub(_unescape_one, text)
    if _SURROGATE.search(text):  # join \x escapes of a UTF-16 pair; a lone half becomes �
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _split_value(raw: str, budget: _Budget) -> str | list[str]:
    """The string, or the list of strings, a value stands for (quotes and escapes undone).

    As in QSettings: an unquoted comma makes a list; spaces around an unquoted item are
    dropped, spaces from an escape or inside quotes are kept.
    """
    items: list[str] = []
    parts: list[str] = []
    quoted = is_list = skip_spaces = last_plain = False

    def item() -> str:
        if not quoted and last_plain:
            parts[-1] = parts[-1].rstrip(" \t")
        return "".join(parts)

    pos = len(raw) - len(raw.lstrip(" \t"))
    for match in _TOKEN.finditer(raw, pos):
        inner, comma, escape, plain = match.groups()
        budget.spend(tokens=1)
        if comma:
            items.append(item())
            parts, quoted, is_list, skip_spaces, last_plain = [], False, True, True, False
            continue
        if plain is not None:
            parts.append(plain.lstrip(" \t") if skip_spaces else plain)
        elif escape is not None:
            parts.append(_unescape(escape, budget))
        else:  # a quoted part
            parts.append(_unescape(inner, budget))
            quoted = True
        skip_spaces, last_plain = inner is not None, plain is not None
    text = item()
    return items + [text] if is_list else text


def _decode(text: str):
    """QSettings' own markup at the start of a string: `@@` (a literal @), `@Invalid()`,
    `@String(…)`, `@ByteArray(…)`. Anything else that begins with `@` is a serialized Qt type."""
    if not text.startswith("@"):
        return text
    if text.startswith("@@"):
        return text[1:]
    if text == "@Invalid()":
        return None
    if text.startswith("@String(") and text.endswith(")"):  # Qt's way to keep a \0
        return text[8:-1]
    if text.startswith("@ByteArray(") and text.endswith(")"):
        try:
            return text[11:-1].encode("latin-1")
        except UnicodeEncodeError:
            raise _Damaged(text[:20]) from None
    raise _Damaged(text[:20])


def _key(text: str) -> str:
    text = _KEY_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    return text.replace("\\", "/")


def parse(text: str) -> tuple[dict, int]:
    """The entries of an INI text -> ({key: value}, number of damaged entries left out).

    A value is a str, a list of str, bytes or None (`@Invalid()`); a section `[group]`
    prefixes its keys with `group/`, `[General]` with nothing. Raises `TooComplex` past the
    work bounds (MAX_LINES, MAX_TOKENS, MAX_ESCAPES).
    """
    # Counted first, at C speed: the regular expressions below are slow on such input.
    if text.count("\\") > MAX_ESCAPES:
        raise TooComplex("too many escapes")
    if text.count("\n") + text.count("\r") > 2 * MAX_LINES:
        raise TooComplex("too many lines")
    values: dict = {}
    damaged, section, budget = 0, "", _Budget()
    for count, match in enumerate(_LINE.finditer(text.removeprefix("\ufeff"))):
        if count >= MAX_LINES:
            raise TooComplex("too many lines")
        line = match.group().strip(" \t")
        if not line or line[0] in ";#":
            continue
        if line[0] == "[":
            name = _key(line[1:line.find("]")] if "]" in line else line[1:])
            section = "" if name.lower() == "general" else name.removeprefix("%")
            continue
        name, equals, raw = line.partition("=")
        name = _key(name.strip(" \t"))
        if not equals or not name:
            continue
        full = f"{section}/{name}" if section else name
        try:
            value = _split_value(raw, budget)
            values[full] = [_decode(v) for v in value] if isinstance(value, list) \
                else _decode(value)
        except _Damaged:
            values.pop(full, None)
            damaged += 1
    return values, damaged


# -- writing -------------------------------------------------------------------------------
# Characters written as \xNN (and \0): a hex digit right after one is escaped too, or a
# reader would take it as part of the escape. Named ones (\n, \t, \", \\) need no such care.
_HEX_ESCAPED = r"\x00-\x06\x0e-\x1f\ud800-\udfff"
_STRING_ESCAPE = re.compile(rf'([{_HEX_ESCAPED}])([0-9A-Fa-f]*)|([\a\b\t\n\v\f\r"\\])')
_BYTES_ESCAPE = re.compile(rf'([{_HEX_ESCAPED}\x7f-\xff])([0-9A-Fa-f]*)|([\a\b\t\n\v\f\r"\\])')
_NAMED_OUT = {v: f"\\{k}" for k, v in _NAMED.items() if k not in "?'"}


def _escape_one(match: re.Match) -> str:
    char, digits, named = match.groups()
    if named:
        return _NAMED_OUT[named]
    head = "\\0" if char == "\0" else f"\\x{ord(char):x}"
    return head + "".join(f"\\x{ord(d):x}" for d in digits)


def _escape(text: str, pattern: re.Pattern = _STRING_ESCAPE) -> str:
    out = pattern.sub(_escape_one, text)
    if any(c in text for c in ",;=") or out[:1] == " " or out[-1:] == " ":
        out = f'"{out}"'
    return out


def _encode(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, (bytes, bytearray)):
        return _escape(f"@ByteArray({bytes(value).decode('latin-1')})", _BYTES_ESCAPE)
    if isinstance(value, (list, tuple)):
        if not value:
            return "@Invalid()"
        if len(value) == 1:  # QSettings' habit: a one-item list reads back as its item
            return _encode(value[0])
        return ", ".join(_encode(v) for v in value)
    if value is None:
        return "@Invalid()"
    text = str(value)
    return _escape("@" + text if text.startswith("@") else text)


def _escape_key(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-.") else
                   "\\" if c == "/" else f"%{ord(c):02X}" if ord(c) < 256 else
                   f"%U{ord(c):04X}" for c in name)


def dumps(values: dict) -> str:
    """The file's text for `values` ({key: str, number, bool, bytes, list or None}),
    the marker section first."""
    sections: dict[str, list[str]] = {"": []}
    for key in sorted(values):
        if key == MARKER:
            continue
        group, _, name = key.partition("/")
        if not name:
            group, name = "", key
        line = f"{_escape_key(name)}={_encode(values[key])}"
        sections.setdefault(group, []).append(line)
    out = [HEAD]
    for group, lines in sections.items():
        if lines:
            title = "General" if not group else (
                "%" + group if group.lower() == "general" else _escape_key(group))
            out.append(f"\n[{title}]\n" + "".join(f"{line}\n" for line in lines))
    return "".join(out)


# -- the file on disk ------------------------------------------------------------------------
@dataclass
class Reading:
    """What `read` found at a settings path.

    state : "absent" (the app may create it), "ours" (marked, or empty, or an earlier
        version's file in the app's own place), "foreign" (a regular file the app did not
        make: read, never written) or "refused" (not read at all).
    reason : for "foreign" and "refused", why, as a clause ("it is a link, …").
    identity : (device, inode, size, mtime) of the file read, to know it again at write time.
    """

    state: str
    values: dict = field(default_factory=dict)
    reason: str = ""
    damaged: int = 0
    identity: tuple | None = None


def _identity(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "it is a link, and Digit Studio never reads or writes settings through a link"
    if stat.S_ISDIR(mode):
        return "it is a folder"
    what = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
            if stat.S_ISSOCK(mode) else "not a regular file")
    return f"it is {what}, and settings live only in a regular file"


def _open_regular(path: Path) -> tuple[int, os.stat_result]:
    """A read descriptor on `path` if it is a regular file, never blocking, never through a
    link (the check is made again on the open file: `path` may change in between)."""
    flags = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
             | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    fd = os.open(path, flags)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise IsADirectoryError(errno.EINVAL, _kind(st.st_mode))
    return fd, st


def _read_capped(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read(path: Path, *, adopt_earlier: bool = False, limit: int = MAX_BYTES) -> Reading:
    """Look at `path` without following links or blocking, and read it if it is a regular
    file of at most `limit` bytes.

    adopt_earlier : take a file without the marker as the app's own when it holds only keys
        an earlier version wrote (True for the app's own settings folder only).
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return Reading("absent")
    except (OSError, ValueError) as exc:
        return Reading("refused", reason=f"it cannot be read ({_why(exc)})")
    if not stat.S_ISREG(mode):
        return Reading("refused", reason=_kind(mode))
    try:
        fd, st = _open_regular(path)
        try:
            data = _read_capped(fd, limit)
        finally:
            os.close(fd)
    except IsADirectoryError as exc:
        return Reading("refused", reason=str(exc.strerror))
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # became a link since the lstat
            return Reading("refused", reason=_kind(stat.S_IFLNK))
        return Reading("refused", reason=f"it cannot be read ({_why(exc)})")
    if len(data) > limit:
        return Reading("refused", reason=f"it is larger than {limit >> 20} MB, more than "
                                         "settings ever take")
    try:
        values, damaged = parse(data.decode("utf-8", "replace"))
    except TooComplex:
        return Reading("refused", reason="it holds far more lines, list items or escapes "
                                         "than settings ever have")
    marker = values.pop(MARKER, None)
    identity = _identity(st)
    if marker == FORMAT or not data.strip():
        return Reading("ours", values, damaged=damaged, identity=identity)
    if marker is not None:
        reason = "it was written by another version of Digit Studio"
    elif adopt_earlier and values and not damaged and all(map(_LEGACY.fullmatch, values)):
        return Reading("ours", values, identity=identity)
    else:
        reason = "it was not made by Digit Studio"
    return Reading("foreign", values, reason=reason, damaged=damaged, identity=identity)


def is_ours(path: Path, identity: tuple | None) -> bool:
    """True if the regular file at `path` carries the marker, or is the very file of
    `identity` (read, or written, by this process and unchanged since)."""
    try:
        fd, st = _open_regular(path)
        try:
            head = os.read(fd, len(HEAD) + 3)
        finally:
            os.close(fd)
    except OSError:
        return False
    return head.removeprefix(b"\xef\xbb\xbf").startswith(HEAD.encode()) \
        or identity is not None and _identity(st) == identity


def identity_of(path: Path) -> tuple | None:
    try:
        return _identity(os.lstat(path))
    except OSError:
        return None


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
