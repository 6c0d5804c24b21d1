"""One instance per database, and a graceful stop, with real gunicorn processes."""

import sqlite3
import threading
import time

import requests

from tests.support.app import CSRF_RE, PASSWORD, SECRET
from tests.e2e.server import Server


def login(url, password=PASSWORD):
    browser = requests.Session()
    token = CSRF_RE.search(browser.get(url + "/login").text).group(1)
    form = {"csrf_token": token, "password": password}
    return browser.post(url + "/login", data=form, allow_redirects=False, timeout=30)


def lease_rows(instance):
    with sqlite3.connect(instance / "gatehouse.db") as connection:
        return connection.execute("SELECT holder FROM instance_lease").fetchall()


def test_second_instance_refused_then_takes_over_after_kill_9(tmp_path):
    instance = tmp_path / "instance"
    first = Server(instance)
    first.prepare(PASSWORD)
    first.start()
    second = Server(instance).start(wait=False)
    code = second.wait_exit(timeout=15)
    assert code != 0
    assert "another Gatehouse instance is already serving from this database" in second.output()
    assert "Stop it first" in second.output()
    assert login(first.url).status_code == 303  # the first keeps serving

    first.kill()
    killed = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        third = Server(instance).start(wait=False)
        try:
            third.wait_ready(timeout=10)
            break
        except AssertionError:
            third.stop()
            assert time.monotonic() - killed < 30, "no instance could start within 30 s of the kill"
            time.sleep(1)
    try:
        assert time.monotonic() - killed < 30 and attempts > 1  # refused while the dead lease was live
        assert login(third.url).status_code == 303
    finally:
        assert third.stop() == 0


def test_sigterm_lets_a_slow_login_finish_then_exits_0_and_frees_the_lease(tmp_path):
    instance = tmp_path / "instance"
    srv = Server(instance, GATEHOUSE_BCRYPT_ROUNDS="15")  # ~3 s per password check
    srv.prepare(PASSWORD)
    srv.start()
    assert len(lease_rows(instance)) == 1
    result = {}
    browser = requests.Session()
    token = CSRF_RE.search(browser.get(srv.url + "/login").text).group(1)

    def slow_login():
        result["response"] = browser.post(
            srv.url + "/login", data={"csrf_token": token, "password": PASSWORD}, allow_redirects=False, timeout=30
        )

    thread = threading.Thread(target=slow_login)
    thread.start()
    time.sleep(0.5)  # the request is inside bcrypt now (a check takes seconds at cost 15)
    assert "response" not in result
    code = srv.stop()
    thread.join()
    response = result["response"]
    assert response.status_code == 303 and browser.cookies.get("gatehouse_session")
    assert code == 0
    output = srv.output()
    assert '"event": "stopped"' in output and "lease released" in output
    assert lease_rows(instance) == []

    started = time.monotonic()
    again = Server(instance).start()
    try:
        assert time.monotonic() - started < 10  # no waiting for a lease to expire
    finally:
        assert again.stop() == 0


def test_an_instance_that_loses_its_lease_stops_instead_of_serving_beside_another(tmp_path):
    instance = tmp_path / "instance"
    srv = Server(instance)
    srv.prepare(PASSWORD)
    srv.start()
    with sqlite3.connect(instance / "gatehouse.db") as connection:  # as if it stalled and another took over
        connection.execute("UPDATE instance_lease SET holder = 'elsewhere:1', expires_at = '2999-01-01 00:00:00'")
    code = srv.wait_exit(timeout=20)
    assert code != 0
    output = srv.output()
    assert "another instance took over the instance lease; stopping this one" in output
    assert "another Gatehouse instance is already serving from this database (elsewhere:1" in output


def test_one_instance_per_postgresql_database(tmp_path, postgres):
    with postgres.database() as url:
        env = {"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_SECRET_KEY": SECRET}
        first = Server(tmp_path / "a", **env)
        first.prepare(PASSWORD)
        first.start()
        second = Server(tmp_path / "b", **env).start(wait=False)
        assert second.wait_exit(timeout=15) != 0
        assert "another Gatehouse instance is already serving from this database" in second.output()
        assert login(first.url).status_code == 303
        assert first.stop() == 0
        third = Server(tmp_path / "b", **env).start()  # the lease was released: starts at once
        try:
            assert login(third.url).status_code == 303
        finally:
            assert third.stop() == 0
