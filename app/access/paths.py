"""Request paths as the rules see them: normalised, or refused as ambiguous; and path globs.

Normalising follows what nginx and most servers do before routing (docs/access.md,
"Paths"): the query is dropped, percent-escapes of unreserved characters (letters, digits,
`-._~`) are decoded, other escapes are written in upper case, bytes that must be escaped are,
and repeated `/` become one. A path that servers may read in different ways is *ambiguous*
and gets no normalised form, so no path glob can decide it (the decision then takes the
strictest policy that could apply, app/access/decision.py): a backslash, an encoded `/` or
`\\`, a `.` or `..` segment, `;` parameters, NUL or other control characters, an encoded
`?` or `#`, a `%` that starts no escape, or bytes that are not UTF-8 — in the path as sent
or after any number of percent-decodings (double encoding, `%252e%252e`) — and a raw space,
which no request line carries.

The glob matcher is hand-written: `fnmatch` lets `*` cross `/`, and pathlib's matching
normalises the path first (a trailing `/` and `.` segments vanish), which must stay visible
here. Segments are compared one by one and `**` pieces are placed at their earliest
position, the usual linear glob algorithm, so no pattern can make a request backtrack for
long; the few `*` inside one segment go through `fnmatch.translate`, whose regular
expressions are built not to backtrack either.
"""

from __future__ import annotations

import fnmatch
import re
import string
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# Kept as they are in a normalised path (RFC 3986 pchar, and `/`); everything else is escaped.
_KEPT = UNRESERVED | frozenset("/!$&'()*+,=:@")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_DECODINGS = 4  # a path still changing after this many percent-decodings is ambiguous
# The common path (plain ASCII, no escape, nothing suspect) is read without the loops below:
# every proxied request comes through here.
_PLAIN = re.compile(r"[A-Za-z0-9\-._~/!$&'()*+,=:@]*")
_SUSPECT_DOTS = re.compile(r"/\.\.?(?:/|$)")


@dataclass(frozen=True, slots=True)
class PathReading:
    """`path`: the normalised path, or None when ambiguous (`why` says how); `segments` its parts
    after the leading `/`, split once for every rule; `lower`: it has no upper-case letter."""

    path: str | None
    why: str | None = None
    segments: tuple[str, ...] = ()
    lower: bool = True


def _reading(path: str) -> PathReading:
    return PathReading(path, None, tuple(path.split("/")[1:]), path == path.lower())


def read_path(raw: str | None) -> PathReading:
    """The path part of a request target (`/a/b?q`), normalised, or ambiguous.

    `raw` is as WSGI hands header values on: one character per byte received (latin-1).
    """
    if not raw:
        return PathReading(None, "no path")
    if "#" in raw:
        return PathReading(None, "a # in the request target")
    path = raw.split("?", 1)[0]
    if not path.startswith("/"):
        return PathReading(None, "not a path")
    why = _ambiguity(path)
    if why:
        return PathReading(None, why)
    return _reading(_normalise(path))


def _ambiguity(path: str) -> str | None:
    if _PLAIN.fullmatch(path) and not _SUSPECT_DOTS.search(path):
        return None
    slashes = path.count("/")
    text = path
    for decodings in range(MAX_DECODINGS + 1):
        if "\\" in text:
            return "a backslash" if decodings == 0 else "an encoded backslash"
        if ";" in text:
            return "a ; parameter"
        if _CONTROL.search(text):
            return "a control character"
        if decodings == 0 and " " in text:  # no request line carries one: not the path a proxy saw
            return "a raw space"
        if _LONE_PERCENT.search(text):
            return "a % that starts no escape"
        if any(segment in (".", "..") for segment in text.split("/")):
            return "a . or .. segment" + (" (encoded)" if decodings else "")
        if decodings and ("?" in text or "#" in text):
            return "an encoded ? or #"
        if text.count("/") != slashes:
            return "an encoded /"
        decoded = _bytes(text) if "%" in text else None
        if decoded is None:
            return None if _is_utf8(_raw_bytes(text)) else "bytes that are not UTF-8"
        text = decoded.decode("latin-1")  # one char per byte: control bytes stay visible
    return "percent-encoded too many times"


def _raw_bytes(text: str) -> bytes:
    try:
        return text.encode("latin-1")  # a WSGI header value: one char per byte received
    except UnicodeEncodeError:
        return text.encode("utf-8")  # not from the wire: take it as the text it is


def _bytes(text: str) -> bytes:
    return unquote_to_bytes(_raw_bytes(text))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _normalise(path: str) -> str:
    if _PLAIN.fullmatch(path):
        return re.sub("/{2,}", "/", path) if "//" in path else path
    out: list[str] = []
    data = _raw_bytes(path)
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x25:  # "%": an escape (a lone % was refused as ambiguous)
            value = int(data[i + 1:i + 3], 16)
            out.append(chr(value) if chr(value) in UNRESERVED else f"%{value:02X}")
            i += 3
            continue
        char = chr(byte)
        out.append(char if char in _KEPT else f"%{byte:02X}")
        i += 1
    return re.sub("/{2,}", "/", "".join(out))


def normalise_pattern(pattern: str) -> str:
    """A rule's path glob in the form requests are compared in. :raise ValueError: not usable."""
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        raise ValueError(f"path {pattern!r} must start with /")
    if any(ch not in string.printable or ch in " \t\r\n\x0b\x0c" for ch in pattern):
        raise ValueError(f"path {pattern!r} must be printable ASCII without spaces (write others as %XX)")
    if any(ch in pattern for ch in "?#\\;"):
        raise ValueError(f"path {pattern!r} must not contain ? # \\ or ; (the query is never matched)")
    why = _ambiguity(pattern.replace("*", "x"))
    if why:
        raise ValueError(f"path {pattern!r} has {why}; requests with one are never matched by a path")
    normal = _normalise(pattern)
    for segment in normal.split("/")[1:]:
        if "**" in segment and segment != "**":
            raise ValueError(f"path {pattern!r}: ** must be a whole segment (/api/**)")
    return normal


class Glob:
    """One path glob: `*` within a segment, `**` any number of whole segments (also none, so
    `/admin/**` covers `/admin` itself), compared segment by segment."""

    def __init__(self, pattern: str, ignore_case: bool = False) -> None:
        self.pattern = pattern
        flags = re.IGNORECASE if ignore_case else 0
        pieces: list[list] = [[]]
        for segment in pattern.split("/")[1:]:
            if segment == "**":
                pieces.append([])
            else:
                pieces[-1].append(_segment_matcher(segment, flags))
        self.pieces = pieces

    def match(self, segments) -> bool:
        first, *middle_last = self.pieces
        if not middle_last:
            return len(segments) == len(first) and _run_matches(first, segments, 0)
        *middle, last = middle_last
        if len(segments) < len(first) + len(last) or not _run_matches(first, segments, 0):
            return False
        position, end = len(first), len(segments) - len(last)
        for piece in middle:  # each at its earliest place: `**` on both sides absorbs the rest
            while position + len(piece) <= end and not _run_matches(piece, segments, position):
                position += 1
            if position + len(piece) > end:
                return False
            position += len(piece)
        return _run_matches(last, segments, end)


def _run_matches(run: list, segments, start: int) -> bool:
    return all(matches(segments[start + k]) for k, matches in enumerate(run))


def _segment_matcher(segment: str, flags: int):
    if "*" not in segment:
        if flags:
            folded = segment.casefold()
            return lambda value: value.casefold() == folded
        return segment.__eq__
    # fnmatch knows [ ] and ? too: make them literal, leaving only *.
    literal = segment.replace("[", "[[]").replace("?", "[?]")
    return re.compile(fnmatch.translate(literal), flags).match
