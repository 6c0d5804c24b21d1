"""podman for the container tests (docs/container.md): the settings these machines need, a
Debian bookworm base image made from Debian's own packages, and images built on it.

No registry but Debian's and PyPI is reachable here, so every image a test runs starts from
`localhost/debian:bookworm`: `debootstrap --variant=minbase`, trimmed the way Debian's official
`-slim` images are (no documentation, man pages or translations, no package lists), then
`podman import`. It is built once and kept in podman's storage, so later runs only check that
it exists. The Gatehouse image itself is built by `make image`, as a user builds it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONF = Path(__file__).with_name("containers.conf")
BASE = "localhost/debian:bookworm"
MIRROR = "http://deb.debian.org/debian"

# What Debian's official images put in /etc/dpkg/dpkg.cfg.d/: packages installed later stay slim too.
SLIM_DPKG = """path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""
# And its /etc/apt/apt.conf.d/ files: no package caches or translations left in an image's layers.
SLIM_APT = """DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
"""
SOURCES = f"""deb {MIRROR} bookworm main
deb {MIRROR} bookworm-updates main
deb {MIRROR}-security bookworm-security main
"""


def missing_programs() -> list[str]:
    return [name for name in ("podman", "podman-compose", "debootstrap", "runc") if shutil.which(name) is None]


def env() -> dict[str, str]:
    """The environment for podman: this machine's containers.conf unless one is set already."""
    return {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF") or str(CONF)}


def podman(*args: str, timeout: float = 120, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(["podman", *args], env=env(), capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def image_exists(name: str) -> bool:
    return podman("image", "exists", name, check=False).returncode == 0


def ensure_base_image() -> str:
    """`localhost/debian:bookworm`, made with debootstrap the first time (about a minute)."""
    if image_exists(BASE):
        return BASE
    with tempfile.TemporaryDirectory(prefix="gatehouse-debootstrap-") as work:
        rootfs = Path(work) / "rootfs"
        subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), MIRROR],
                       check=True, capture_output=True, timeout=900)
        (rootfs / "etc/dpkg/dpkg.cfg.d/slim").write_text(SLIM_DPKG)
        (rootfs / "etc/apt/apt.conf.d/slim").write_text(SLIM_APT)
        (rootfs / "etc/apt/sources.list").write_text(SOURCES)
        for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*",
                        "usr/share/doc/*/*", "usr/share/man/*", "usr/share/info/*", "usr/share/locale/*"):
            for path in rootfs.glob(pattern):
                if path.name in ("copyright", "locale.alias", "partial", "lock"):
                    continue
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        podman("import", "--change", "CMD /bin/bash", "-", BASE, stdin=tar.stdout, timeout=300)
        assert tar.wait() == 0
    return BASE
