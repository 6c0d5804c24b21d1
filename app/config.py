"""Settings: defaults, the GATEHOUSE_* environment variables, and their validation.

Everything is read when `create_app` runs, never at import time. A bad value raises
`ConfigError` with one line naming the variable, which start-up prints and exits on.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any, Callable, Collection, Mapping
from urllib.parse import urlsplit

from app.security.redirects import is_domain_name

PREFIX = "GATEHOUSE_"


class ConfigError(Exception):
    """A setting has a value Gatehouse cannot run with; the message names it."""


def _int(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if value < low or (high is not None and value > high):
            raise ValueError(f"must be between {low} and {high}" if high else f"must be at least {low}")
        return value

    return parse


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be 1 or 0")


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return raw

    return parse


def _delays(raw: str) -> tuple[float, ...]:
    values = tuple(float(part) for part in raw.split(","))
    if not values or any(v < 0 or v != v for v in values):
        raise ValueError("must be a comma list of non-negative seconds")
    return values


def _count_per_window(raw: str) -> tuple[int, int]:
    count, _, window = raw.partition("/")
    parsed = int(count), int(window)
    if parsed[0] < 1 or parsed[1] < 1:
        raise ValueError("must be COUNT/SECONDS with both at least 1")
    return parsed


def _networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())


def _text(raw: str) -> str:
    return raw


def host_port(raw: str) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 in brackets: `[::1]:9100`) as (host, port); ValueError says what is wrong."""
    host, sep, port = raw.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:9480 or [::1]:9480")
    return host, int(port)


def _optional_bind(raw: str) -> str:
    if raw.strip():
        host_port(raw)
    return raw.strip()


def _public_url(raw: str) -> str:
    """`scheme://host[:port]` as browsers reach the portal; a trailing `/` is dropped."""
    if not raw:
        return ""
    parts = urlsplit(raw.rstrip("/"))
    try:
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise ValueError("has a bad port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise ValueError("must be an http(s) URL with a host, like https://auth.example.org")
    if not re.fullmatch(r"[a-z0-9.-]+(:[0-9]+)?|\[[0-9a-f:.]+\](:[0-9]+)?", parts.netloc.lower()):
        raise ValueError("has a host that is not a plain name or address")
    if parts.path or parts.query or parts.fragment:
        raise ValueError("must be only scheme and host (the portal is served at the root of its host)")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _cookie_domain(raw: str) -> str:
    if raw and not is_domain_name(raw):
        raise ValueError("must be a lower-case domain name like example.org (no leading dot, no port)")
    return raw


def _remote_user(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._@+-]{1,64}", raw):
        raise ValueError("must be 1-64 letters, digits or . _ @ + -")
    return raw


# name (without prefix) -> (default as the environment would spell it, parser)
SETTINGS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "INSTANCE_DIR": ("instance", _text),
    "DATABASE_URL": ("", _text),
    "SECRET_KEY": ("", _text),
    "SECRET_KEY_PREVIOUS": ("", _text),
    "SESSION_LIFETIME_MINUTES": ("720", _int(1)),
    "SESSION_IDLE_MINUTES": ("30", _int(1)),
    "COOKIE_SECURE": ("1", _bool),
    "TRUSTED_PROXIES": ("", _networks),
    "CACHE": ("memory", _choice("memory", "none", "redis")),
    "CACHE_TTL_SECONDS": ("60", _int(0)),
    "CACHE_MAX_ENTRIES": ("100000", _int(1)),
    "REDIS_URL": ("", _text),
    "REDIS_PREFIX": ("gatehouse:", _text),
    "WORKERS": ("1", _int(1)),
    "THREADS": ("4", _int(2, 256)),
    "BIND": ("127.0.0.1:8000", _text),
    "BCRYPT_ROUNDS": ("12", _int(4, 31)),
    "LOGIN_BACKOFF": ("0.5,1,2,4,5", _delays),
    "LOGIN_BAN": ("10/900", _count_per_window),
    "LOGIN_GLOBAL": ("100/3600", _count_per_window),
    "LOG_FORMAT": ("json", _choice("json", "text")),
    "ACTIVITY_DAYS": ("90", _int(1, 36500)),
    "METRICS_BIND": ("", _optional_bind),
    "PUBLIC_URL": ("", _public_url),
    "COOKIE_DOMAIN": ("", _cookie_domain),
    "REMOTE_USER": ("admin", _remote_user),
}


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Parse every setting from `environ` (default: os.environ), then apply `overrides`.

    Overrides are already-typed values keyed by their full `GATEHOUSE_*` name (tests use
    them); environment values are text and go through their parser.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    overridden = set(overrides)
    settings: dict[str, Any] = {}
    for name, (default, parse) in SETTINGS.items():
        key = PREFIX + name
        if key in overrides:
            settings[key] = overrides.pop(key)
            continue
        raw = environ.get(key, default)
        try:
            settings[key] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{key}={raw!r} is invalid: {exc}") from None
    settings.update(secrets_from_files(environ, skip=overridden))
    settings.update(overrides)
    _derive(settings)
    return settings


def _derive(settings: dict[str, Any]) -> None:
    """Fill the values that depend on others: paths, database URL, secret keys."""
    instance = Path(settings["GATEHOUSE_INSTANCE_DIR"]).resolve()
    settings["GATEHOUSE_INSTANCE_DIR"] = instance
    check_folder(instance)
    if not settings["GATEHOUSE_DATABASE_URL"]:
        settings["GATEHOUSE_DATABASE_URL"] = f"sqlite:///{instance / 'gatehouse.db'}"
    if settings["GATEHOUSE_CACHE"] == "redis" and not settings["GATEHOUSE_REDIS_URL"]:
        raise ConfigError("GATEHOUSE_CACHE=redis needs GATEHOUSE_REDIS_URL")
    _check_forward_auth(settings)
    if not settings["GATEHOUSE_SECRET_KEY"]:
        settings["GATEHOUSE_SECRET_KEY"] = load_or_create_secret(instance / "secret_key")
    for name in ("SECRET_KEY", "SECRET_KEY_PREVIOUS"):
        key = settings[PREFIX + name]
        if key and len(key) < 32:  # the previous key still verifies cookies: the same bar
            raise ConfigError(f"{PREFIX}{name} is invalid: must be at least 32 characters")
    check_sqlite_file(settings["GATEHOUSE_DATABASE_URL"])
    _check_metrics_bind(settings)


def _check_metrics_bind(settings: dict[str, Any]) -> None:
    """The metrics listener is private: never on the portal's own address."""
    metrics = settings["GATEHOUSE_METRICS_BIND"]
    if metrics and host_port(metrics)[1] == _port_of(settings["GATEHOUSE_BIND"]):
        raise ConfigError(
            f"GATEHOUSE_METRICS_BIND={metrics!r} is invalid: "
            "it must not share GATEHOUSE_BIND's port (metrics are private)"
        )


def _port_of(bind: str) -> int | None:
    try:
        return host_port(bind)[1]
    except ValueError:  # a unix socket or something gunicorn reads its own way
        return None


# Instance files (docs/security.md, "Instance files"): the secret key, the SQLite database and the
# setup code are readable by their owner only. A file another local user can read, or a
# folder anyone can write to, is refused at start with one line that says how to fix it.

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


def _check_forward_auth(settings: dict[str, Any]) -> None:
    """Public URL and cookie domain must fit each other and the Secure setting (docs/forward-auth.md)."""
    public_url, domain = settings["GATEHOUSE_PUBLIC_URL"], settings["GATEHOUSE_COOKIE_DOMAIN"]
    if public_url.startswith("http://") and settings["GATEHOUSE_COOKIE_SECURE"]:
        raise ConfigError("GATEHOUSE_PUBLIC_URL is invalid: must be https:// while GATEHOUSE_COOKIE_SECURE=1")
    if not domain:
        return
    if not public_url:
        raise ConfigError("GATEHOUSE_COOKIE_DOMAIN needs GATEHOUSE_PUBLIC_URL (the portal's address on that domain)")
    host = urlsplit(public_url).hostname or ""
    if host != domain and not host.endswith("." + domain):
        raise ConfigError(f"GATEHOUSE_COOKIE_DOMAIN={domain!r} does not contain the host of GATEHOUSE_PUBLIC_URL ({host!r})")


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


# Secrets from files (docs/operations.md, "Secrets in files"): Docker's `_FILE` convention and
# systemd's LoadCredential=, so the key never sits in the environment (`systemctl show`, /proc).
SECRET_FILE_MAX_BYTES = 4096
CREDENTIALS = {
    "GATEHOUSE_SECRET_KEY": "gatehouse-secret-key",
    "GATEHOUSE_SECRET_KEY_PREVIOUS": "gatehouse-secret-key-previous",
}


def secrets_from_files(environ: Mapping[str, str], skip: Collection[str] = ()) -> dict[str, str]:
    """The secret keys given as files: `<NAME>_FILE`, else `$CREDENTIALS_DIRECTORY/<credential>`.

    A key set in two places (the variable, its `_FILE`, a credential) is refused rather than
    guessed between; names in `skip` (typed overrides) are left alone.
    """
    found: dict[str, str] = {}
    for key, credential in CREDENTIALS.items():
        if key in skip:
            continue
        sources = [f"{key}_FILE"] if environ.get(f"{key}_FILE") else []
        credentials = environ.get("CREDENTIALS_DIRECTORY")
        if credentials and (Path(credentials) / credential).exists():
            sources.append(f"$CREDENTIALS_DIRECTORY/{credential}")
        if len(sources) + bool(environ.get(key)) > 1:
            named = ([key] if environ.get(key) else []) + sources
            raise ConfigError(f"{key} is set in more than one place ({', '.join(named)}): keep one")
        if sources:
            path = Path(environ[f"{key}_FILE"]) if sources[0].endswith("_FILE") else Path(credentials) / credential
            found[key] = read_secret_file(sources[0], path)
    return found


def read_secret_file(name: str, path: Path) -> str:
    """The one line of text in `path`, checked like the variable; ConfigError names `name`, never the secret."""
    where = f"{name} ({path})"
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if mode & 0o004:
                raise ConfigError(f"{where} is readable by every user (mode {mode & 0o777:04o}): chmod o-rwx it")
            raw = handle.read(SECRET_FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
    try:
        lines = raw.decode("utf-8").strip().splitlines()
    except UnicodeDecodeError:
        lines = []
    if len(raw) > SECRET_FILE_MAX_BYTES or len(lines) != 1 or len(lines[0].strip()) < 32:
        raise ConfigError(f"{where} is invalid: must hold one line of at least 32 characters")
    return lines[0].strip()


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases and in-memory ones)."""
    from sqlalchemy.engine import make_url

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
    except (FileExistsError, FileNotFoundError):  # there already, or no folder: SQLite reports it
        pass
