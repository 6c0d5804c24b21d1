"""The container image (Containerfile, `make image`), built and run with the real podman the way
docs/container.md tells a user to: a read-only root filesystem, the key as a podman secret, the
instance folder a volume, the password set with `podman exec`, `podman stop` to stop."""

from __future__ import annotations

import re
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from tests.support.app import PASSWORD
from tests.support.external import require_external
from tests.support.proxied import rd_of
from tests.e2e.server import ROOT, free_port
from tests.support import containers
from tests.support.containers import Container, podman

pytestmark = pytest.mark.external
LOGIN = "/api/v1/auth/login"


@pytest.fixture(scope="module")
def image():
    missing = containers.missing_programs()
    if missing:
        require_external(f"{', '.join(missing)} not installed (apt-get install podman podman-compose debootstrap runc)")
    return containers.gatehouse_image()


@pytest.fixture
def gatehouse(image, tmp_path):
    """Start the image like docs/container.md's `podman run`: yields a function that does it."""
    made: list[tuple[str, str]] = []

    def start(*settings: str) -> tuple[Container, str]:
        name = f"gatehouse-test-{uuid.uuid4().hex[:10]}"
        key = tmp_path / f"{name}.key"
        key.write_text(f"{uuid.uuid4().hex}{uuid.uuid4().hex}\n")
        made.extend([("container", name), ("volume", name), ("secret", name)])  # removed in this order
        podman("secret", "create", name, str(key))
        port = free_port()
        # --read-only-tmpfs=false: no tmpfs on /run, /tmp and /var/tmp either, as under docker --read-only.
        podman("run", "--detach", "--name", name, "--read-only", "--read-only-tmpfs=false", "--stop-timeout", "30",
               "--publish", f"127.0.0.1:{port}:8000", "--volume", f"{name}:/var/lib/gatehouse",
               # podman 4.3 mounts a secret into a read-only root only onto a tmpfs (docs/container.md).
               "--tmpfs", "/run/secrets", "--secret", f"{name},uid=10001,gid=10001,mode=0400",
               "--env", f"GATEHOUSE_SECRET_KEY_FILE=/run/secrets/{name}",
               "--env", "GATEHOUSE_COOKIE_SECURE=0",  # plain HTTP in the test
               *[arg for setting in settings for arg in ("--env", setting)], image)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, Container(name))
        return Container(name), url

    yield start
    for kind, name in made:
        command = ("rm", "--force", "--time", "0", name) if kind == "container" else (kind, "rm", name)
        podman(*command, check=False)


def wait_healthy(url: str, container: Container, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{container.name} did not answer /healthz:\n{container.logs()}")


def test_the_image_as_built(image):
    config = podman("image", "inspect", "--format",
                    "{{.Config.User}}|{{.Config.StopSignal}}|{{json .Config.Volumes}}|{{json .Config.Env}}"
                    "|{{json .Config.Healthcheck.Test}}", image).stdout.strip().split("|")
    user, stop_signal, volumes, environment, healthcheck = config
    assert user == "gatehouse" and stop_signal == "SIGTERM"
    assert "/var/lib/gatehouse" in volumes
    assert '"GATEHOUSE_BIND=0.0.0.0:8000"' in environment
    assert '"GATEHOUSE_INSTANCE_DIR=/var/lib/gatehouse"' in environment
    assert "/healthz" in healthcheck


def test_first_run_read_only_with_the_key_from_a_secret(gatehouse):
    container, url = gatehouse("GATEHOUSE_BCRYPT_ROUNDS=4")
    # The setup code: its path is in the log, the code itself only in the instance folder.
    code = container.exec("cat", "/var/lib/gatehouse/setup-code").stdout.strip()
    logs = container.logs()
    assert "enter the code from /var/lib/gatehouse/setup-code" in logs and code not in logs

    assert container.exec("gatehouse", "set-password", "--stdin", stdin=PASSWORD + "\n").returncode == 0
    browser = requests.Session()
    signed_in = browser.post(url + LOGIN, json={"password": PASSWORD}, timeout=30)
    assert signed_in.status_code == 200, signed_in.text
    assert browser.get(url + "/api/v1/auth/session", timeout=10).status_code == 200

    # Owner-only files of the non-root user; no generated key: it came from the secret.
    listing = container.exec("stat", "-c", "%U %a %n", "/var/lib/gatehouse", *[
        f"/var/lib/gatehouse/{name}" for name in container.exec("ls", "/var/lib/gatehouse").stdout.split()]).stdout
    rows = [line.split() for line in listing.splitlines()]
    assert rows[0] == ["gatehouse", "700", "/var/lib/gatehouse"]
    names = {row[2].rsplit("/", 1)[1] for row in rows[1:]}
    assert {"gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm", "setup-code"} <= names and "secret_key" not in names
    assert all(row[:2] == ["gatehouse", "600"] for row in rows[1:]), listing
    processes = podman("top", container.name, "user", "args").stdout.splitlines()[1:]
    assert processes and all(line.split()[0] == "gatehouse" for line in processes), processes
    assert container.exec("id", "-u").stdout.strip() == "10001"

    # The root filesystem really is read-only, /tmp included, and the image's HEALTHCHECK passes.
    for probe in ("/opt/gatehouse/probe", "/tmp/probe"):
        touched = container.exec("touch", probe, check=False)
        assert touched.returncode != 0 and "Read-only file system" in touched.stderr
    assert podman("healthcheck", "run", container.name, check=False).returncode == 0


def test_podman_stop_lets_a_sign_in_in_flight_finish_and_exits_0(gatehouse):
    # A costly hash (about 2 s here) keeps the sign-in busy while the container is told to stop.
    container, url = gatehouse("GATEHOUSE_BCRYPT_ROUNDS=15")
    assert container.exec("gatehouse", "set-password", "--stdin", stdin=PASSWORD + "\n").returncode == 0
    browser = requests.Session()
    answer: dict = {}

    def sign_in() -> None:
        answer["response"] = browser.post(url + LOGIN, json={"password": PASSWORD}, timeout=60)
        answer["at"] = time.monotonic()

    worker = threading.Thread(target=sign_in)
    worker.start()
    time.sleep(0.5)
    asked = time.monotonic()
    container.stop()
    stopped = time.monotonic()
    worker.join(60)

    assert answer["response"].status_code == 200 and answer["at"] > asked
    assert container.inspect("{{.State.ExitCode}}") == "0"
    assert stopped - asked < 30  # drained, not killed at the stop timeout
    lines = container.logs().splitlines()
    term = next(i for i, line in enumerate(lines) if "Handling signal: term" in line)
    login = next(i for i, line in enumerate(lines) if re.search(r'"path": "/api/v1/auth/login", "status": 200', line))
    assert term < login  # the sign-in was still running when SIGTERM came

    # Started again on the same volume: migrated at start, the session still valid.
    podman("start", container.name)
    wait_healthy(url, container)
    assert browser.get(url + "/api/v1/auth/session", timeout=10).status_code == 200


def test_the_forward_auth_address_of_the_traefik_labels_is_answered(gatehouse):
    """Traefik cannot run here: send what its forwardAuth sends for deploy/compose/traefik.compose.yaml
    (Host from the label's address, X-Forwarded-* from the browser's request) to the image run with
    deploy/compose/gatehouse.env, and check the answers Traefik would pass on."""
    service = yaml.safe_load((ROOT / "deploy/compose/traefik.compose.yaml").read_text())["services"]["gatehouse"]
    address = urlsplit(service["labels"]["traefik.http.middlewares.gatehouse.forwardauth.address"])
    assert address.hostname in service["networks"]["auth"]["aliases"] and address.port == 8000
    settings = [line for line in (ROOT / "deploy/compose/gatehouse.env").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    container, url = gatehouse("GATEHOUSE_BCRYPT_ROUNDS=4", *settings)
    assert container.exec("gatehouse", "set-password", "--stdin", stdin=PASSWORD + "\n").returncode == 0
    issued = requests.post(url + "/api/v1/auth/token", json={"password": PASSWORD},
                           headers={"Host": "auth.example.org"}, timeout=30)
    assert issued.status_code == 200, issued.text

    traefik = {"Host": address.netloc, "X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "whoami.example.org", "X-Forwarded-Uri": "/d/1?tab=2", "Accept": "text/html"}
    page = requests.get(url + address.path, headers=traefik, allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["Location"].startswith("https://auth.example.org/login?rd=")
    assert rd_of(page.headers["Location"]) == "https://whoami.example.org/d/1?tab=2"
    allowed = requests.get(url + address.path, headers={**traefik, "Authorization": f"Bearer {issued.json()['token']}"},
                           allow_redirects=False, timeout=10)
    assert allowed.status_code == 200 and allowed.headers["Remote-User"] == "admin"
    # Why the alias: the container's plain name is not one Gatehouse answers.
    plain_name = requests.get(url + address.path, headers={**traefik, "Host": "gatehouse:8000"}, timeout=10)
    assert plain_name.status_code == 400
