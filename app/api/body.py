"""Strict JSON request bodies: an object with known string fields, or a clear reason why not.

Python's `json` module is lenient where an authentication API must not be: it accepts
NaN and Infinity, lets a later duplicate key silently win, and decodes "\\ud800" into a
lone surrogate that later crashes `.encode()`. Each of those is refused here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Mapping


class BadBody(ValueError):
    """The body is not what the endpoint accepts; the message says why (for a 422)."""


@dataclass(frozen=True)
class Field:
    max_length: int
    required: bool = True
    no_controls: bool = False  # labels are shown on a page and in logs: no control characters
    in_bytes: bool = False  # count max_length in UTF-8 bytes (the password rule), not characters


@dataclass(frozen=True)
class Flag:
    """An optional JSON boolean (`true` or `false`, nothing else); absent means false."""

    required: bool = False


CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def _no_duplicates(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise BadBody("The body repeats a field.")
    return dict(pairs)


def _no_constants(name):
    raise BadBody(f"{name} is not valid JSON.")


def parse(raw: bytes, fields: Mapping[str, Field | Flag]) -> dict[str, str | bool]:
    """The body's fields (absent optional ones left out); raises BadBody for anything else."""
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except BadBody:
        raise
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, absurd nesting or numbers
        raise BadBody("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadBody("The body must be a JSON object.")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise BadBody(f"Unknown field: {unknown[0]!r}."[:200])
    values = {}
    for name, rule in fields.items():
        if name not in data:
            if rule.required:
                raise BadBody(f"The field {name!r} is required.")
            continue
        values[name] = _check(name, data[name], rule)
    return values


def _check(name: str, value, rule: Field | Flag) -> str | bool:
    if isinstance(rule, Flag):
        if not isinstance(value, bool):
            raise BadBody(f"The field {name!r} must be true or false.")
        return value
    if not isinstance(value, str):
        raise BadBody(f"The field {name!r} must be a string.")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise BadBody(f"The field {name!r} is not valid Unicode text.")
    length, unit = (len(value.encode("utf-8")), "bytes") if rule.in_bytes else (len(value), "characters")
    if length > rule.max_length:
        raise BadBody(f"The field {name!r} is too long (at most {rule.max_length} {unit}).")
    if rule.no_controls and CONTROLS.search(value):
        raise BadBody(f"The field {name!r} must not contain control characters.")
    return value
