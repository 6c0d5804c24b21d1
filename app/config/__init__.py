"""Settings: defaults, the GATEHOUSE_* environment variables, and their validation.

Everything is read when `create_app` runs, never at import time. A bad value raises
`ConfigError` with one line naming the variable, which start-up prints and exits on.
The instance folder's files are in instance_files.py, secret keys read from files (or
systemd credentials) in secret_files.py.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from app.config.errors import ConfigError
from app.config.instance_files import (
    check_folder, check_sqlite_file, create_private_file, ensure_instance_dir, load_or_create_secret,
    read_private_file, sqlite_path, write_private_file,
)
from app.config.notify_urls import parse_notify_urls
from app.config.secret_files import read_secret_file, secrets_from_files
from app.security.redirects import is_domain_name

__all__ = [
    "ConfigError", "PREFIX", "access_file", "check_folder", "create_private_file", "ensure_instance_dir", "host_port",
    "load_or_create_secret", "load_settings", "read_private_file", "read_secret_file", "sqlite_path",
    "write_private_file",
]

PREFIX = "GATEHOUSE_"


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


def _email(raw: str) -> str:
    """An address for OIDC's `email` claim: plain `local@domain`, no spaces or display name."""
    if raw and not re.fullmatch(r"[^@\s<>\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z0-9-]{2,63}", raw):
        raise ValueError("must be a plain e-mail address like admin@example.org")
    return raw


def _remote_user(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._@+-]{1,64}", raw):
        raise ValueError("must be 1-64 letters, digits or . _ @ + -")
    return raw


def _issuer(raw: str) -> str:
    """The name an authenticator app files the account under; a colon would split its label."""
    if raw and (len(raw) > 64 or ":" in raw or not raw.isprintable() or raw != raw.strip()):
        raise ValueError("must be 1-64 printable characters without a colon, like auth.example.org")
    return raw


# name (without prefix) -> (default as the environment would spell it, parser)
SETTINGS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "INSTANCE_DIR": ("instance", _text),
    "DATABASE_URL": ("", _text),
    "SECRET_KEY": ("", _text),
    "SECRET_KEY_PREVIOUS": ("", _text),
    "SESSION_LIFETIME_MINUTES": ("720", _int(1)),
    "SESSION_IDLE_MINUTES": ("30", _int(1)),
    "REMEMBER_DAYS": ("30", _int(0, 3650)),  # "keep me signed in" (SPEC §17); 0 turns the choice off
    "REMEMBER_IDLE_DAYS": ("7", _int(1, 3650)),
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
    "TOTP_ISSUER": ("", _issuer),  # empty: the host of PUBLIC_URL, else "Gatehouse" (_derive)
    "OIDC": ("0", _bool),
    "EMAIL": ("", _email),
    "ACCESS_FILE": ("", _text),
    "NOTIFY_URLS": ("", parse_notify_urls),  # Apprise URLs (SPEC §17); empty: no notifications
    "EDGE": ("on", _bool),  # off: every shortcut before Flask's dispatch is off (app/edge/stack.py)
}


# Settings whose value is never repeated in a message: an address there holds its token or password.
QUIET = frozenset({"NOTIFY_URLS"})


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
            shown = key if name in QUIET else f"{key}={raw!r}"
            raise ConfigError(f"{shown} is invalid: {exc}") from None
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
    if not settings["GATEHOUSE_TOTP_ISSUER"]:
        settings["GATEHOUSE_TOTP_ISSUER"] = urlsplit(settings["GATEHOUSE_PUBLIC_URL"]).hostname or "Gatehouse"
    if settings["GATEHOUSE_OIDC"] and not settings["GATEHOUSE_PUBLIC_URL"]:
        raise ConfigError("GATEHOUSE_OIDC=1 needs GATEHOUSE_PUBLIC_URL (the issuer apps see, e.g. https://auth.example.org)")
    if not settings["GATEHOUSE_SECRET_KEY"]:
        settings["GATEHOUSE_SECRET_KEY"] = load_or_create_secret(instance / "secret_key")
    for name in ("SECRET_KEY", "SECRET_KEY_PREVIOUS"):
        key = settings[PREFIX + name]
        if key and len(key) < 32:  # the previous key still verifies cookies: the same bar
            raise ConfigError(f"{PREFIX}{name} is invalid: must be at least 32 characters")
    check_sqlite_file(settings["GATEHOUSE_DATABASE_URL"])
    _check_metrics_bind(settings)
    settings["GATEHOUSE_ACCESS_FILE"] = access_file(settings["GATEHOUSE_ACCESS_FILE"], instance)


def access_file(raw: str | Path | None, instance: Path) -> Path | None:
    """The access rules file (docs/access.md): the one named, which must exist, else
    `<instance>/access.toml` when it exists, else None (no rules: every request needs a session).
    Its contents are read by app/web/access.py."""
    if not raw:
        default = instance / "access.toml"
        return default if default.is_file() else None
    path = Path(raw).resolve()
    if not path.is_file():
        raise ConfigError(
            f"GATEHOUSE_ACCESS_FILE={str(raw)!r} is invalid: no such file "
            f"(unset it to use {instance / 'access.toml'} when that exists)"
        )
    return path


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
