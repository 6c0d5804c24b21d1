"""First-run setup: the one-time code that proves the person at /setup owns the host."""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path

from app.config import ensure_instance_dir, write_private_file
from app.extensions import limiter
from app.services import master_password

log = logging.getLogger("gatehouse.setup")
CODE_FILE = "setup-code"


def code_path(instance_dir: Path) -> Path:
    return instance_dir / CODE_FILE


def ensure_code(instance_dir: Path) -> Path | None:
    """While no password is set, make sure a setup code file exists and say where it is.

    Returns the file's path, or None once setup is done (the file is then removed).
    An existing code is kept, so a restart does not invalidate the one just printed.
    """
    path = code_path(instance_dir)
    if master_password.is_set():
        path.unlink(missing_ok=True)
        return None
    if not _read(path):
        ensure_instance_dir(instance_dir)
        write_private_file(path, secrets.token_urlsafe(16) + "\n")
    log.warning("setup required: open /setup and enter the code from %s", path, extra={"event": "setup_required"})
    return path


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return ""


def code_matches(instance_dir: Path, code: str) -> bool:
    expected = _read(code_path(instance_dir))
    return bool(expected) and hmac.compare_digest(expected.encode(), code.strip().encode("utf-8", "replace"))


def complete(instance_dir: Path, code: str, password: str, confirm: str) -> bool:
    """Set the first password if `code` is right. False for a wrong code or a finished setup.

    Raises PasswordRejected (nothing stored, the code stays valid) for a bad password.
    """
    if not limiter.run_check(lambda: code_matches(instance_dir, code)):
        return False
    if not master_password.set_first(password, confirm):
        return False
    code_path(instance_dir).unlink(missing_ok=True)
    log.info("setup completed", extra={"event": "setup_completed"})
    return True
