"""First-run setup: the one-time code that proves the person at /setup owns the host."""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path

from app.config import ensure_instance_dir, write_private_file
from app import signals
from app.services import master_password, secret_checks
from app.signals import AccountChange

log = logging.getLogger("gatehouse.setup")
CODE_FILE = "setup-code"


def code_path(instance_dir: Path) -> Path:
    return instance_dir / CODE_FILE


def ensure_code(instance_dir: Path, replace_older_than: float | None = None) -> Path | None:
    """While no password is set, make sure a setup code file exists and return its path.

    Returns None once setup is done (the file is then removed). At start-up
    (`replace_older_than` = when the server started) a code written before then is replaced:
    one left from an earlier run, or put there by another local user, is never trusted.
    Within one run the code stays, so a restarted worker does not invalidate the one printed.
    """
    path = code_path(instance_dir)
    if master_password.is_set():
        path.unlink(missing_ok=True)
        return None
    stale = replace_older_than is not None and _written_at(path) < replace_older_than
    if stale or not _read(path):
        ensure_instance_dir(instance_dir)
        write_private_file(path, secrets.token_urlsafe(16) + "\n")
    return path


def announce(instance_dir: Path, started_at: float) -> None:
    """At start-up: a fresh code and one "setup required" line (not one per GET /setup)."""
    path = ensure_code(instance_dir, replace_older_than=started_at)
    if path is not None:
        log.warning("setup required: open /setup and enter the code from %s", path, extra={"event": "setup_required"})


def _written_at(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return ""


def code_matches(instance_dir: Path, code: str) -> bool:
    expected = _read(code_path(instance_dir))
    return bool(expected) and hmac.compare_digest(expected.encode(), code.strip().encode("utf-8", "replace"))


def complete(instance_dir: Path, code: str, password: str, confirm: str,
             ip: str | None = None, user_agent: str | None = None) -> bool:
    """Set the first password if `code` is right. False for a wrong code or a finished setup.

    Raises PasswordRejected (nothing stored, the code stays valid) for a bad password.
    """
    if not secret_checks.check(lambda: code_matches(instance_dir, code), step=signals.SETUP_CODE, ip=ip,
                               user_agent=user_agent):
        return False
    if not master_password.set_first(password, confirm):
        return False
    code_path(instance_dir).unlink(missing_ok=True)
    log.info("setup completed", extra={"event": "setup_completed"})
    signals.publish(signals.account_changed, change=AccountChange(AccountChange.PASSWORD, "first setup", ip, user_agent))
    return True
