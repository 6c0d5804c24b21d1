"""GATEHOUSE_METRICS_BIND on a real gunicorn: known traffic in, exact counts out, with one worker and four.

The metrics listener runs in gunicorn's master and adds up the workers' files
(prometheus-client's multiprocess mode); the portal's own address never serves /metrics.
"""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.app import PASSWORD
from tests.support.served import attempt, pids, wait_serving
from tests.e2e.server import Server, free_port

LOGINS = "gatehouse_logins_total"
VERIFY = "gatehouse_verify_total"


def scrape(url: str) -> dict[tuple[str, str], float]:
    """Every sample as {(name, the value of its one label or ""): value}."""
    response = requests.get(url + "/metrics", timeout=5)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            label = next(iter(sample.labels.values()), "") if sample.name != "gatehouse_build_info" else ""
            samples[(sample.name, label)] = sample.value
    return samples


def wait_for(url: str, key: tuple[str, str], value: float, timeout: float = 20) -> dict:
    """Scrape until a sampled gauge shows `value` (they are refreshed every few seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(url)
        if samples.get(key) == value or time.monotonic() > deadline:
            return samples
        time.sleep(0.5)


def verify(server: Server, cookie: str | None = None) -> int:
    cookies = {"gatehouse_session": cookie} if cookie else {}
    return requests.get(server.url + "/api/v1/auth/verify", cookies=cookies, timeout=5).status_code


def traffic(server: Server, rounds: int) -> str:
    """Per round: one success, one failure and one refusal (each from its own address), two
    allowed and three denied verifies. Returns a live session cookie."""
    cookie = ""
    for n in range(rounds):
        signed_in = attempt(server, PASSWORD, f"203.0.113.{n + 1}")
        assert signed_in.status_code == 303
        cookie = signed_in.cookies["gatehouse_session"]
        assert attempt(server, "a wrong guess", f"198.51.100.{n + 1}").status_code == 401
        assert attempt(server, PASSWORD, f"198.51.100.{n + 1}").status_code == 429  # backoff: 60 s
        assert [verify(server, cookie) for _ in range(2)] == [204, 204]
        assert [verify(server) for _ in range(3)] == [401] * 3
    return cookie


def expected(rounds: int) -> dict[tuple[str, str], float]:
    return {(LOGINS, "success"): rounds, (LOGINS, "failure"): rounds, (LOGINS, "blocked"): rounds,
            (LOGINS, "busy"): 0, (VERIFY, "allowed"): 2 * rounds, (VERIFY, "denied"): 3 * rounds,
            ("gatehouse_password_checks_in_flight", ""): 0}


def metrics_server(instance, **env) -> Server:
    server = Server(instance, GATEHOUSE_TRUSTED_PROXIES="127.0.0.1", GATEHOUSE_LOGIN_BACKOFF="60", **env)
    server.metrics_url = f"http://127.0.0.1:{free_port()}"
    server.env["GATEHOUSE_METRICS_BIND"] = server.metrics_url.removeprefix("http://")
    return server


def test_one_worker_counts_known_traffic_and_the_public_bind_has_no_metrics(tmp_path):
    server = metrics_server(tmp_path / "instance")
    server.prepare(PASSWORD)
    server.start()
    try:
        before = scrape(server.metrics_url)
        assert {k: before[k] for k in expected(0)} == expected(0)  # every series is there from the start
        assert before[("gatehouse_build_info", "")] == 1
        traffic(server, 3)
        for path in ("/metrics", "/metrics/", "/api/v1/metrics"):
            assert requests.get(server.url + path, timeout=5).status_code == 404
        after = wait_for(server.metrics_url, ("gatehouse_sessions_active", ""), 3)
        assert {k: after[k] for k in expected(3)} == expected(3)
        assert after[("gatehouse_sessions_active", "")] == 3
        assert after[("gatehouse_limiter_clients", "")] == 3  # the three addresses with a failure
    finally:
        assert server.stop() == 0
    assert "metrics for Prometheus on" in server.output() and "metrics_not_started" not in server.output()


def test_metrics_are_off_by_default(server):
    assert requests.get(server.url + "/metrics", timeout=5).status_code == 404
    assert "metrics for Prometheus" not in server.output()


def test_a_metrics_address_that_is_taken_stops_start_up_with_one_clear_line(tmp_path):
    server = Server(tmp_path / "instance")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bind = server.env["GATEHOUSE_METRICS_BIND"] = f"127.0.0.1:{taken.getsockname()[1]}"
        server.prepare(PASSWORD)
        server.start(wait=False)
        assert server.wait_exit() == 1
    assert f"Error: GATEHOUSE_METRICS_BIND='{bind}': cannot listen there (Address already in use)" in server.output()
    assert "Traceback" not in server.output()


@pytest.fixture
def four(tmp_path, postgres, redis_url, redis_prefix):
    name = postgres.create()
    server = metrics_server(tmp_path / "instance", GATEHOUSE_DATABASE_URL=postgres.url_for(name),
                            GATEHOUSE_CACHE="redis", GATEHOUSE_REDIS_URL=redis_url, GATEHOUSE_REDIS_PREFIX=redis_prefix)
    server.prepare(PASSWORD)
    try:
        server.start("-w", "4")
        assert len(wait_serving(server, 4)) == 4, server.output()
        yield server
    finally:
        server.stop()
        postgres.drop(name)


def test_four_workers_on_redis_add_up_and_a_killed_worker_keeps_its_counts(four):
    server = four
    traffic(server, 6)
    extra = 0  # new connections normally reach several workers; make sure before counting
    while len(pids(server, 0, event="request", path="/api/v1/auth/verify")) < 2 and extra < 200:
        assert verify(server) == 401
        extra += 1
    answered = pids(server, 0, event="request", path="/api/v1/auth/verify")
    assert len(answered) >= 2, "the verifies should have been spread over several workers"
    want = {**expected(6), (VERIFY, "denied"): 18 + extra}
    after = wait_for(server.metrics_url, ("gatehouse_sessions_active", ""), 6)
    assert {k: after[k] for k in want} == want
    assert after[("gatehouse_sessions_active", "")] == 6
    assert after[("gatehouse_limiter_clients", "")] == 6  # counted in Redis: shared by every worker

    os.kill(sorted(answered)[0], signal.SIGKILL)  # gunicorn starts a new worker in its place
    wait_serving(server, 5, timeout=30)
    again = scrape(server.metrics_url)
    assert {k: again[k] for k in want} == want  # its counts stay in the totals
