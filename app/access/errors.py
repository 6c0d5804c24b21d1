"""The error a rules file that cannot be used raises: one line naming the file, the line and the fault."""

from __future__ import annotations


class AccessFileError(ValueError):
    def __init__(self, path: str, line: int | None, fault: str) -> None:
        super().__init__(f"{path}:{line}: {fault}" if line else f"{path}: {fault}")
        self.path, self.line, self.fault = path, line, fault
