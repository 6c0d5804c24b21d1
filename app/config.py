"""Settings: defaults, the GATEHOUSE_* environment variables, and their validation.

Everything is read when `create_app` runs, never at import time. A bad value raises
`ConfigError` with one line naming the variable, which start-up prints and exits on.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from pathlib import Path
from typing import Any, Callable, Mapping
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
    settings.update(overrides)
    _derive(settings)
    return settings


def _derive(settings: dict[str, Any]) -> None:
    """Fill the values that depend on others: paths, database URL, secret keys."""
    instance = Path(settings["GATEHOUSE_INSTANCE_DIR"]).resolve()
    settings["GATEHOUSE_INSTANCE_DIR"] = instance
    if not settings["GATEHOUSE_DATABASE_URL"]:
        settings["GATEHOUSE_DATABASE_URL"] = f"sqlite:///{instance / 'gatehouse.db'}"
    if settings["GATEHOUSE_CACHE"] == "redis" and not settings["GATEHOUSE_REDIS_URL"]:
        raise ConfigError("GATEHOUSE_CACHE=redis needs GATEHOUSE_REDIS_URL")
    _check_forward_auth(settings)
    if not settings["GATEHOUSE_SECRET_KEY"]:
        settings["GATEHOUSE_SECRET_KEY"] = load_or_create_secret(instance / "secret_key")
    elif len(settings["GATEHOUSE_SECRET_KEY"]) < 32:
        raise ConfigError("GATEHOUSE_SECRET_KEY is invalid: must be at least 32 characters")


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
    """Create the data folder readable by its owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to a file that only its owner can read (mode 0600 from the first byte)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def load_or_create_secret(path: Path) -> str:
    """Return the generated secret key, creating it once (mode 0600) on first start."""
    ensure_instance_dir(path.parent)
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        secret = ""
    if len(secret) < 32:
        secret = secrets.token_urlsafe(48)
        write_private_file(path, secret + "\n")
    return secret
