"""The access rules this app has in force (docs/access.md): read at start-up, re-read on reload.

`init_app` reads the file named by GATEHOUSE_ACCESS_FILE (app/config) and stops start-up with
one line naming the file, the line and the fault; `reload_rules` reads it again and, when the
new file cannot be used, keeps the rules in force and logs one error. Sessions are untouched
either way: a rules change signs nobody out.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app

from app.access.current import CurrentRules
from app.access.errors import AccessFileError
from app.access.rules import Rules
from app.config import ConfigError

log = logging.getLogger("gatehouse.access")
_KEY = "gatehouse.access_rules"


def init_app(app: Flask) -> None:
    path = app.config["GATEHOUSE_ACCESS_FILE"]
    try:
        app.extensions[_KEY] = CurrentRules(path)
    except AccessFileError as exc:
        raise ConfigError(f"GATEHOUSE_ACCESS_FILE: {exc}") from None
    if path is not None:
        rules = app.extensions[_KEY].rules
        log.info("access rules from %s: %d rules, default %s", path, len(rules.rules), rules.default,
                 extra={"event": "access_rules_loaded", "rules": len(rules.rules)})


def rules() -> Rules:
    """The rules in force for this request (a reload swaps them whole)."""
    return current_app.extensions[_KEY].rules


def reload_rules(app: Flask) -> bool:
    """Read the file again (SIGHUP, app/runtime/reload.py): True when the new rules are in force;
    else the old ones stay and one error is logged."""
    current: CurrentRules = app.extensions[_KEY]
    error = current.reload()
    if error is not None:
        log.error("access rules not reloaded, the previous rules stay in force: %s", error,
                  extra={"event": "access_reload_failed"})
        return False
    if current.path is None:
        log.info("reload: no access rules file (GATEHOUSE_ACCESS_FILE); nothing to read",
                 extra={"event": "access_rules_loaded", "rules": 0})
    else:
        log.info("access rules reloaded from %s: %d rules, default %s", current.path, len(current.rules.rules),
                 current.rules.default, extra={"event": "access_rules_loaded", "rules": len(current.rules.rules)})
    return True
