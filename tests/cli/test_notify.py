"""`gatehouse notify test`: one message now, to a real local receiver, and whether it arrived."""

import pytest

from tests.support.receiver import HOOK, Receiver


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.stop()


def test_the_test_message_arrives_and_is_said_to(make_app, receiver):
    app = make_app(GATEHOUSE_NOTIFY_URLS=(receiver.url,))
    result = app.test_cli_runner().invoke(args=["notify", "test"])
    assert result.exit_code == 0, result.output
    assert "Address 1 (JSON): arrived." in result.output and "arrived at all 1" in result.output
    [message] = receiver.received
    assert message["title"].endswith("test message") and message["type"] == "info"


def test_an_address_that_does_not_take_it_is_said_and_exits_1(make_app, receiver):
    receiver.failures = 1
    app = make_app(GATEHOUSE_NOTIFY_URLS=(receiver.url, "json://127.0.0.1:9/another-hook"))
    result = app.test_cli_runner().invoke(args=["notify", "test"])
    assert result.exit_code == 1
    assert "Address 1 (JSON): did not arrive (" in result.output and "error=500" in result.output
    assert "Address 2 (JSON): did not arrive" in result.output and "2 of 2 address(es)" in result.output
    assert HOOK not in result.output and "another-hook" not in result.output and str(receiver.port) not in result.output
    assert receiver.received == []  # sent once, now: no retries behind the person's back


def test_without_addresses_it_says_so(runner):
    result = runner.invoke(args=["notify", "test"])
    assert result.exit_code == 1 and "GATEHOUSE_NOTIFY_URLS is empty" in result.output
