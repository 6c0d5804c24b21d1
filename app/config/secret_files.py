"""Secrets from files (docs/operations.md, "Secrets in files"): Docker's `_FILE` convention and
systemd's LoadCredential=, so the key never sits in the environment (`systemctl show`, /proc)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Collection, Mapping

from app.config.errors import ConfigError

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
            found[key] = read_secret_file(sources[0], path, systemd=not sources[0].endswith("_FILE"))
    return found


def read_secret_file(name: str, path: Path, systemd: bool = False) -> str:
    """The one line of text in `path`, checked like the variable; ConfigError names `name`, never the secret.

    Like the instance files (app/config/instance_files.py), a secret file is for its owner only:
    one that its group or every user may read or change is refused. A systemd credential is
    refused only when every user may read it: systemd gives the service's user read access with
    an ACL where the file system has them, and an ACL's mask shows as the group's bits (0440),
    while the credentials folder itself is the service's alone.
    """
    where = f"{name} ({path})"
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if mode & 0o007:
                raise ConfigError(f"{where} is readable by every user (mode {mode & 0o777:04o}): chmod go-rwx it")
            if mode & 0o070 and not systemd:
                raise ConfigError(f"{where} is open to its group (mode {mode & 0o777:04o}): chmod go-rwx it, "
                                  "owned by the user Gatehouse runs as")
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
