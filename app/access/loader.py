"""Reading a rules file (TOML, with the standard library's tomllib) into compiled `Rules`.

Every fault raises `AccessFileError` with the file, the line and what is wrong, in one line:
start-up prints it and stops, a reload logs it and keeps the rules it had, and
`gatehouse access check` prints it (docs/access.md, "The file").
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from app.access.errors import AccessFileError
from app.access.hosts import Hosts
from app.access.lines import Lines
from app.access.networks import Networks, parse_named
from app.access.paths import normalise_pattern
from app.access.policies import POLICIES, SIGNED_IN, WITH_MAX_AGE, parse_duration
from app.access.rules import Paths, Rule, Rules

TOP_KEYS = ("default", "networks", "rule")
RULE_KEYS = ("name", "hosts", "paths", "methods", "networks", "policy", "max_age")
_METHOD = re.compile(r"[A-Za-z]{1,20}")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)|\s*\(at end of document\)")


def load(path: Path | str) -> Rules:
    """The rules in `path`. :raise AccessFileError: unreadable, not TOML, or a rule that is wrong."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise AccessFileError(str(path), None, f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise AccessFileError(str(path), None, "is not UTF-8 text") from None
    return parse(text, str(path))


def parse(text: str, source: str = "<rules>") -> Rules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        line = int(found.group(1)) if found and found.group(1) else len(text.splitlines()) or None
        fault = _TOML_POSITION.sub("", message)
        raise AccessFileError(source, line, f"not valid TOML: {fault[:1].lower()}{fault[1:]}") from None
    return _Reader(data, Lines(text), source).rules()


class _Reader:
    def __init__(self, data: dict[str, Any], lines: Lines, source: str) -> None:
        self.data, self.lines, self.source = data, lines, source

    def fail(self, line: int | None, fault: str) -> AccessFileError:
        return AccessFileError(self.source, line, fault)

    def rules(self) -> Rules:
        for key in self.data:
            if key not in TOP_KEYS:
                raise self.fail(self.lines.key(key) or self.lines.networks(),
                                f"unknown setting {key!r} (a rules file has default, [networks] and [[rule]])")
        default = self.data.get("default", SIGNED_IN)
        if default not in POLICIES:
            raise self.fail(self.lines.key("default"), f"default must be one of {', '.join(POLICIES)}, not {default!r}")
        named = self._networks()
        entries = self.data.get("rule", [])
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise self.fail(self.lines.key("rule"), "rules are written as [[rule]] tables")
        rules = tuple(self._rule(index, entry, named) for index, entry in enumerate(entries))
        seen: dict[str, int] = {}
        for index, rule in enumerate(rules):
            if rule.name in seen:
                raise self.fail(rule.line, f"rule name {rule.name!r} is used twice (also rule {seen[rule.name] + 1})")
            seen[rule.name] = index
        return Rules(default, rules, named, self.source)

    def _networks(self) -> dict:
        table = self.data.get("networks", {})
        if not isinstance(table, dict):
            raise self.fail(self.lines.key("networks"),
                            "networks are written as a [networks] table: name = [\"CIDR\", …]")
        for name, entries in table.items():
            try:
                parse_named({name: entries})
            except ValueError as exc:
                raise self.fail(self.lines.network(name), f"[networks] {exc}") from None
        return parse_named(table)

    def _rule(self, index: int, entry: dict[str, Any], named: dict) -> Rule:
        start = self.lines.rule(index)
        label = f"rule {index + 1}"
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 64 or not name.isprintable():
            raise self.fail(self.lines.rule_key(index, "name") if "name" in entry else start,
                            f"{label} needs a name: up to 64 printable characters "
                            "(it names the rule in logs and metrics)")
        label = f"rule {name!r}"
        for key in entry:
            if key not in RULE_KEYS:
                raise self.fail(self.lines.rule_key(index, key),
                                f"{label}: unknown key {key!r} (a rule has {', '.join(RULE_KEYS)})")
        try:
            return self._compile(entry, name, named, start)
        except _KeyFault as fault:
            raise self.fail(self.lines.rule_key(index, fault.key), f"{label}: {fault.message}") from None

    def _compile(self, entry: dict[str, Any], name: str, named: dict, start: int | None) -> Rule:
        policy = entry.get("policy")
        if policy not in POLICIES:
            raise _KeyFault("policy", f"policy must be one of {', '.join(POLICIES)}, not {policy!r}"
                            if policy is not None else f"needs a policy ({', '.join(POLICIES)})")
        max_age = None
        if "max_age" in entry:
            if policy not in WITH_MAX_AGE:
                raise _KeyFault("max_age", f"max_age needs policy signed_in or two_factor (not {policy})")
            max_age = _with_key("max_age", parse_duration, entry["max_age"])
        hosts = _criterion(entry, "hosts", Hosts)
        paths = _criterion(entry, "paths", lambda items: Paths([normalise_pattern(item) for item in items]))
        methods = _criterion(entry, "methods", _methods)
        networks = _criterion(entry, "networks", lambda items: Networks(items, named))
        return Rule(name, policy, max_age, hosts, paths, methods, networks, start or 0)


class _KeyFault(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


def _with_key(key: str, parse, value):
    try:
        return parse(value)
    except ValueError as exc:
        raise _KeyFault(key, str(exc)) from None


def _criterion(entry: dict[str, Any], key: str, build):
    """None when the rule does not name `key` (any value matches); else the compiled criterion."""
    if key not in entry:
        return None
    items = entry[key]
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list) or not items or not all(isinstance(item, str) for item in items):
        raise _KeyFault(key, f"{key} must be a non-empty list of strings (leave it out to match any)")
    return _with_key(key, build, items)


def _methods(items: list[str]) -> frozenset[str]:
    for item in items:
        if not _METHOD.fullmatch(item):
            raise ValueError(f"method {item!r} is not an HTTP method like GET or POST")
    return frozenset(item.upper() for item in items)
