"""The ID-token signing keys (docs/oidc.md, "Keys"): RS256, generated into the instance folder.

`<instance>/oidc-keys.json` is an owner-only file (0600, refused when others can read it, like
the secret key: app/config/instance_files.py) holding every key with when it was made and when
it was retired. The newest live key signs; `gatehouse oidc rotate-key` retires it and adds a
new one, and a retired key's public half stays in the JWKS until the last ID token it signed
has expired (`ID_TOKEN_SECONDS`). The file is read again when it changes on disk, so a rotation
made from the command line reaches the running server without a restart.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from joserfc.jwk import KeySet, RSAKey

from app.config import ConfigError, ensure_instance_dir, read_private_file, write_private_file

FILE_NAME = "oidc-keys.json"
ID_TOKEN_SECONDS = 3600  # an ID token's lifetime, and how long a retired key stays published
ALGORITHM = "RS256"
KEY_BITS = 2048


@dataclass(frozen=True)
class StoredKey:
    jwk: dict  # the private JWK, with its `kid`
    created: float
    retired: float | None = None


def _new_key(now: float) -> StoredKey:
    key = RSAKey.generate_key(KEY_BITS, parameters={"kid": secrets.token_urlsafe(12), "use": "sig", "alg": ALGORITHM},
                              private=True)
    return StoredKey(key.as_dict(private=True), now)


def _load(path: Path) -> list[StoredKey] | None:
    text = read_private_file(path)  # ConfigError when others can read it or it is a link
    if text is None:
        return None
    try:
        return [StoredKey(item["jwk"], float(item["created"]), item.get("retired")) for item in json.loads(text)["keys"]]
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{path} is not a Gatehouse key file: move it away and start again (a new key is made)") from None


def _save(path: Path, keys: list[StoredKey]) -> None:
    data = {"keys": [{"jwk": k.jwk, "created": k.created, "retired": k.retired} for k in keys]}
    write_private_file(path, json.dumps(data, indent=1) + "\n")


def ensure(path: Path, now: float | None = None) -> None:
    """Make the first key unless the file exists (and check an existing one is private)."""
    ensure_instance_dir(path.parent)
    if not _load(path):
        _save(path, [_new_key(time.time() if now is None else now)])


def rotate(path: Path, now: float | None = None) -> str:
    """Retire the signing key and add a new one; drop keys retired longer than an ID token lives.
    Returns the new key's id."""
    now = time.time() if now is None else now
    keys = [k if k.retired is not None else StoredKey(k.jwk, k.created, now) for k in (_load(path) or [])]
    keys = [k for k in keys if now - k.retired < ID_TOKEN_SECONDS]
    new = _new_key(now)
    _save(path, [*keys, new])
    return new.jwk["kid"]


class KeyRing:
    """The keys of one instance folder, re-read when the file changes (a rotation from the CLI)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._keys: list[StoredKey] = []

    def _current(self) -> list[StoredKey]:
        stat = self.path.stat()
        if (stat.st_mtime_ns, stat.st_ino) != self._seen:
            self._keys = _load(self.path) or []
            self._seen = (stat.st_mtime_ns, stat.st_ino)
        return self._keys

    def signing_key(self) -> RSAKey:
        live = [k for k in self._current() if k.retired is None]
        return RSAKey.import_key(live[-1].jwk)

    def public_jwks(self, now: float | None = None) -> dict:
        """The JWKS to publish: the signing key and keys retired less than an ID token's life ago."""
        now = time.time() if now is None else now
        keys = [RSAKey.import_key(k.jwk) for k in self._current() if k.retired is None or now - k.retired < ID_TOKEN_SECONDS]
        return KeySet(keys).as_dict(private=False)
