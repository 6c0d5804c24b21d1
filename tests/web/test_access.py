"""The rules in the app (app/config, app/web/access.py, app/runtime/reload.py): the setting, a
broken file at start-up, and reloads that keep the old rules when the new file is broken."""

import logging
import os
import signal
import threading
from types import SimpleNamespace

import pytest

from app.config import ConfigError, load_settings
from app.runtime import reload as reload_signal
from app.services import master_password
from app.web.access import reload_rules, rules
from tests.support.access import EXAMPLE
from tests.support.app import PASSWORD

def settings(tmp_path, **environ):
    return load_settings({"GATEHOUSE_INSTANCE_DIR": str(tmp_path / "instance"), "GATEHOUSE_SECRET_KEY": "k" * 32,
                          **environ})


def test_no_file_no_rules(tmp_path):
    assert settings(tmp_path)["GATEHOUSE_ACCESS_FILE"] is None


def test_the_instance_file_is_used_when_present(tmp_path):
    (tmp_path / "instance").mkdir(mode=0o700)
    (tmp_path / "instance" / "access.toml").write_text(EXAMPLE)
    assert settings(tmp_path)["GATEHOUSE_ACCESS_FILE"] == (tmp_path / "instance" / "access.toml").resolve()


def test_a_named_file_must_exist(tmp_path):
    with pytest.raises(ConfigError, match=r"^GATEHOUSE_ACCESS_FILE='.*nope.toml' is invalid: no such file"):
        settings(tmp_path, GATEHOUSE_ACCESS_FILE=str(tmp_path / "nope.toml"))


def test_a_broken_file_stops_start_up_with_one_line(make_app, tmp_path):
    path = tmp_path / "access.toml"
    path.write_text(EXAMPLE.replace('max_age = "15m"', 'max_age = "soon"'))
    with pytest.raises(ConfigError) as caught:
        make_app(GATEHOUSE_ACCESS_FILE=str(path))
    message = str(caught.value)
    assert message.startswith(f"GATEHOUSE_ACCESS_FILE: {path}:22: rule 'proxmox': max_age must be a duration")
    assert "\n" not in message


def test_reload_swaps_the_rules_and_keeps_them_when_broken(make_app, tmp_path, caplog):
    path = tmp_path / "access.toml"
    path.write_text(EXAMPLE)
    app = make_app(GATEHOUSE_ACCESS_FILE=str(path))
    with app.app_context():
        master_password.set_first(PASSWORD)
        assert len(rules().rules) == 4
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json={"password": PASSWORD}).status_code == 200

    path.write_text('default = "deny"\n')
    assert reload_rules(app)
    with app.app_context():
        assert rules().default == "deny" and rules().rules == ()

    path.write_text('default = "bypass"\n[[rule]]\nname = "x"\npolicy = "maybe"\n')
    with caplog.at_level(logging.INFO, logger="gatehouse.access"):
        assert not reload_rules(app)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].event == "access_reload_failed"
    assert f"{path}:4: rule 'x': policy must be one of" in errors[0].getMessage()
    with app.app_context():
        assert rules().default == "deny"  # the rules in force stay
    path.unlink()
    assert not reload_rules(app)  # a file that went away: the same
    # Nobody was signed out by any of it.
    assert client.get("/api/v1/auth/session").status_code == 200


def test_sighup_in_a_worker_reloads_on_a_thread(make_app, tmp_path):
    path = tmp_path / "access.toml"
    path.write_text(EXAMPLE)
    app = make_app(GATEHOUSE_ACCESS_FILE=str(path))
    done = threading.Event()
    previous = signal.getsignal(signal.SIGHUP)
    try:
        assert reload_signal.listen(lambda: (reload_rules(app), done.set()))
        path.write_text('default = "two_factor"\n')
        os.kill(os.getpid(), signal.SIGHUP)
        assert done.wait(5)
        with app.app_context():
            assert rules().default == "two_factor"
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_listen_leaves_signals_alone_off_the_main_thread():
    found = []
    thread = threading.Thread(target=lambda: found.append(reload_signal.listen(lambda: None)))
    thread.start()
    thread.join()
    assert found == [False]


def test_the_master_relays_sighup_instead_of_replacing_workers():
    sent, lines = [], []
    server = SimpleNamespace(kill_workers=sent.append, log=SimpleNamespace(info=lines.append, reopen_files=lambda: None))
    reload_signal.relay_to_workers(server)
    server.handle_hup()
    assert sent == [signal.SIGHUP] and lines  # and nothing else: no new workers
