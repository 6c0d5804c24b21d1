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


TEST_IMAGES = ROOT / "tests" / "e2e" / "images"
GATEHOUSE = "localhost/gatehouse:test"
CADDY = "localhost/gatehouse-test-caddy:latest"
WHOAMI = "localhost/gatehouse-test-whoami:latest"
_built: set[str] = set()


def gatehouse_image() -> str:
    """`make image` on the Debian base, once per test run (podman's layer cache keeps it quick)."""
    if GATEHOUSE not in _built:
        base = ensure_base_image()
        result = subprocess.run(["make", "--no-print-directory", "image", f"BASE={base}", f"IMAGE={GATEHOUSE}"],
                                cwd=ROOT, env=env(), capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        _built.add(GATEHOUSE)
    return GATEHOUSE


def stand_in_image(name: str, containerfile: str) -> str:
    """One of the stand-ins in tests/e2e/images/, built on the Debian base."""
    if name not in _built:
        podman("build", "--quiet", "--build-arg", f"BASE={ensure_base_image()}", "-f", str(TEST_IMAGES / containerfile),
               "-t", name, str(TEST_IMAGES), timeout=900)
        _built.add(name)
    return name


class Container:
    """A container known by name: what a test does with `podman exec`, `logs`, `stop`, `inspect`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def exec(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return podman("exec", *(["-i"] if stdin is not None else []), self.name, *args, input=stdin, check=check)

    def logs(self) -> str:
        """What the container wrote, stdout and stderr in the order written (as `podman logs` shows it)."""
        result = subprocess.run(["podman", "logs", self.name], env=env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=60, check=True)
        return result.stdout

    def inspect(self, template: str) -> str:
        return podman("inspect", "--format", template, self.name).stdout.strip()

    def stop(self) -> subprocess.CompletedProcess:
        """`podman stop` with the container's own stop timeout (`--stop-timeout`, default 10 s)."""
        return podman("stop", self.name, timeout=120)
