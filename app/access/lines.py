"""Where something is in a rules file, for error messages: tomllib gives a position for syntax
errors only, so a fault found after parsing (a bad policy, an unknown network) is located by
reading the text for the rule's `[[rule]]` header and the key's `key =` line.

A plain line scan: it is only ever wrong (pointing at the rule's first line instead of the
key) for files written with inline tables or keys inside multi-line strings.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"\s*\[")
_RULE = re.compile(r"\s*\[\[\s*rule\s*\]\]")
_NETWORKS = re.compile(r"\s*\[\s*networks\s*\]")


class Lines:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.rule_starts = [n for n, line in enumerate(self.lines, 1) if _RULE.match(line)]

    def rule(self, index: int) -> int | None:
        """The line of the `index`-th (0-based) `[[rule]]` header."""
        return self.rule_starts[index] if index < len(self.rule_starts) else None

    def key(self, key: str, start: int | None = None) -> int | None:
        """The line of `key = …` in the table that starts at `start` (None: the top of the file)."""
        pattern = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
        first = start or 0  # 1-based header line: the next line is its first key
        for number in range(first + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if pattern.match(line):
                return number
            if _HEADER.match(line):
                break
        return start

    def rule_key(self, index: int, key: str) -> int | None:
        return self.key(key, self.rule(index))

    def networks(self) -> int | None:
        """The line of the `[networks]` header."""
        return next((n for n, line in enumerate(self.lines, 1) if _NETWORKS.match(line)), None)

    def network(self, name: str) -> int | None:
        return self.key(name, self.networks())
