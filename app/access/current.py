"""The rules a running process uses, and reloading them (docs/access.md, "Reloading").

One object per app holds the compiled `Rules`; a reload reads the file again and swaps them
in one assignment, which threads serving requests see whole or not at all. A file that
cannot be used keeps the rules in force: `reload` says why, and the caller logs it once.
"""

from __future__ import annotations

from pathlib import Path

from app.access.errors import AccessFileError
from app.access.loader import load
from app.access.rules import NO_RULES, Rules


def default_path(instance_dir: Path) -> Path:
    """`<instance>/access.toml`: used when it exists and GATEHOUSE_ACCESS_FILE is not set."""
    return Path(instance_dir) / "access.toml"


class CurrentRules:
    def __init__(self, path: Path | None) -> None:
        """`path` None: no rules file (every request needs a session). :raise AccessFileError:."""
        self.path = path
        self.rules: Rules = load(path) if path is not None else NO_RULES

    def reload(self) -> AccessFileError | None:
        """Read the file again: None when the new rules are in force, else the error (old rules kept)."""
        if self.path is None:
            return None
        try:
            self.rules = load(self.path)
        except AccessFileError as exc:
            return exc
        return None
