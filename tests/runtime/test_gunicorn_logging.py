"""The JSON access line (app/runtime/gunicorn_logging.py): the same line whether it is written
straight to the access log's stream or through `logging`, and what `json.dumps` would write."""

from __future__ import annotations

import io
import json
import logging
import time
from datetime import timedelta

import pytest
from gunicorn.config import Config

from app.runtime.gunicorn_logging import GatehouseLogger, _CLOCK, access_line

ATOMS = [
    {"h": "127.0.0.1", "m": "GET", "U": "/", "s": "200", "B": 1461, "L": "0.000300"},
    {"h": "::1", "m": "POST", "U": "/l\u00e9\"\\\n\x00\u2028/\U0001F600", "s": "401", "B": None, "L": "12.345678"},
    {"h": "-", "m": None, "U": None, "s": "2x", "B": 0, "L": "0.000000"},
    {"h": "10.0.0.1", "m": "GET", "U": "/x", "s": 200, "B": 5, "L": "1.000001"},
    {"h": "10.0.0.1", "m": "GET", "U": "/x", "s": "200", "B": 5.5, "L": "1.5"},
    {"h": b"bytes", "m": "GET", "U": "/x", "s": "200", "B": True, "L": "1e300"},
    {"h": "10.0.0.1", "m": "GET", "U": "/x", "s": "200", "B": 10**30, "L": "1e400"},
]


def reference(atoms, created, process):
    """The line as it was written before it was put together by hand."""
    method, path, status = atoms["m"], atoms["U"], atoms["s"]
    return json.dumps({
        "ts": _CLOCK.iso(created), "level": "info", "logger": "gunicorn.access",
        "message": f"{method} {path} {status}", "event": "request", "peer_ip": atoms["h"], "method": method,
        "path": path, "status": int(status) if str(status).isdigit() else status, "bytes": atoms["B"] or 0,
        "seconds": float(atoms["L"]), "pid": process,
    }, default=str, ensure_ascii=True)


@pytest.mark.parametrize("atoms", ATOMS)
@pytest.mark.parametrize("process", [4242, None])
def test_the_line_is_what_json_dumps_writes(atoms, process):
    created = 1_700_000_000.5004
    assert access_line(atoms, created, "gunicorn.access", "INFO", process) == reference(atoms, created, process)


class Answer:
    status = "200 OK"
    sent = 1461


@pytest.fixture(autouse=True)
def gunicorns_loggers_restored():
    """gunicorn's Logger sets up the process's `gunicorn.error` and `gunicorn.access` loggers."""
    kept = {name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate)
            for name in ("gunicorn.error", "gunicorn.access")}
    yield
    for name, (handlers, propagate) in kept.items():
        logging.getLogger(name).handlers, logging.getLogger(name).propagate = handlers, propagate


def logger(monkeypatch, stream: io.StringIO) -> GatehouseLogger:
    monkeypatch.setenv("GATEHOUSE_LOG_FORMAT", "json")
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("logger_class", "app.runtime.gunicorn_logging.GatehouseLogger")
    log = cfg.logger_class(cfg)
    own = logging.Logger("gunicorn.access", log.access_log.level)  # not the process's: other tests share it
    handler = log.access_log.handlers[0]
    handler.setStream(stream)
    own.handlers, own.propagate = [handler], False
    log.access_log = own
    return log


def test_written_directly_or_through_logging_the_line_is_the_same(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.25)
    environ = {"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "PATH_INFO": "/sessions"}
    direct, through = io.StringIO(), io.StringIO()
    log = logger(monkeypatch, direct)
    assert log._streams() is not None  # as gunicorn.conf.py sets it up: written straight to the stream
    log.access(Answer, None, environ, timedelta(microseconds=1234))
    other = logger(monkeypatch, through)
    other.access_log.addFilter(lambda record: True)  # a filter: only `logging` may run it
    assert other._streams() is None
    other.access(Answer, None, environ, timedelta(microseconds=1234))
    assert direct.getvalue() == through.getvalue()
    line = json.loads(direct.getvalue())
    assert line["message"] == "GET /sessions 200" and line["seconds"] == 0.001234 and line["bytes"] == 1461
    assert direct.getvalue().endswith("}\n") and direct.getvalue().count("\n") == 1


def test_other_handlers_get_a_record(monkeypatch):
    log = logger(monkeypatch, io.StringIO())
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    log.access_log.addHandler(Keep())
    assert log._streams() is None
    log.access(Answer, None, {"REMOTE_ADDR": "::1", "REQUEST_METHOD": "GET", "PATH_INFO": "/"}, timedelta(0))
    assert len(records) == 1 and records[0].args["U"] == "/"


def test_a_failing_stream_is_reported_the_logging_way(monkeypatch):
    class Broken(io.StringIO):
        def write(self, text):
            raise OSError("disk full")

    log = logger(monkeypatch, Broken())
    reported = []
    monkeypatch.setattr(log.access_log.handlers[0], "handleError", reported.append)
    log.access(Answer, None, {"REMOTE_ADDR": "::1", "REQUEST_METHOD": "GET", "PATH_INFO": "/x"}, timedelta(0))
    assert len(reported) == 1 and reported[0].args["U"] == "/x" and reported[0].levelno == logging.INFO


def test_successful_checks_stay_unlogged_on_the_direct_path(monkeypatch):
    stream = io.StringIO()
    log = logger(monkeypatch, stream)
    for path in ("/api/v1/auth/verify", "/api/v1/auth/forward-auth"):
        log.access(Answer, None, {"REMOTE_ADDR": "::1", "REQUEST_METHOD": "GET", "PATH_INFO": path}, timedelta(0))
    assert stream.getvalue() == ""
