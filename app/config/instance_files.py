"""Instance files (docs/security.md, "Instance files"): the secret key, the SQLite database and
the setup code are readable by their owner only. A file another local user can read, or a
folder anyone can write to, is refused at start with one line that says how to fix it.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

from app.config.errors import ConfigError


def check_folder(path: Path) -> None:
    """Refuse an instance folder every user can write to: they could swap our files."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if mode & stat.S_IWOTH:
        raise ConfigError(f"{path} is writable by every user: run `chmod 700 {path}`")


def check_private(path: Path, mode: int) -> None:
    if stat.S_IMODE(mode) & 0o077:
        raise ConfigError(f"{path} is readable by other users: run `chmod 600 {path}`")


def ensure_instance_dir(path: Path) -> Path:
    """Create the data folder readable by its owner only (an existing one must not be world-writable)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_folder(path)
    return path


def write_private_file(path: Path, text: str) -> None:
    """Replace `path` with a new file only its owner can read (mode 0600 from the first byte).

    The text goes to a fresh file (O_EXCL, O_NOFOLLOW: never into a file or link someone
    else left there) that is then renamed over `path`, so whatever was at `path` before,
    a symbolic link included, is replaced rather than written through.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_private_file(path: Path) -> str | None:
    """The text of an owner-only file; None when there is none. Never follows a symbolic link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:  # ELOOP: a symbolic link where our own file belongs
        raise ConfigError(f"{path} cannot be opened ({exc.strerror}): remove it and start again") from None
    with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as handle:
        check_private(path, os.fstat(handle.fileno()).st_mode)
        return handle.read()


def load_or_create_secret(path: Path) -> str:
    """Return the generated secret key, creating it once (mode 0600) on first start."""
    ensure_instance_dir(path.parent)
    secret = (read_private_file(path) or "").strip()
    if len(secret) < 32:
        secret = secrets.token_urlsafe(48)
        write_private_file(path, secret + "\n")
    return secret


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def check_sqlite_file(url: str) -> None:
    """Refuse a SQLite database file other users can read (nothing is created here)."""
    path = sqlite_path(url)
    if path is None:
        return
    try:
        check_private(path, path.stat().st_mode)
    except FileNotFoundError:  # created 0600 on first connect (app/database.py)
        pass


def create_private_file(path: Path) -> None:
    """Create `path` empty and 0600 unless it exists; never through a symbolic link.

    For the SQLite file, before SQLite makes it: SQLite honours the umask (0644 under the
    usual 022) and its -wal and -shm files copy the database file's mode.
    """
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except OSError:  # there already, no folder, no descriptor left (EMFILE): SQLite's own open reports
        pass  # it as a database error, which a request answers with 503 (app/web/errors.py)
