import stat

from app.services import master_password
from app.services import setup as setup_service
from tests.support.app import PASSWORD, count_rows, stored_hash
from app.models import Setting
from tests.support.setup import NEW, post_setup, read_code

def test_every_page_redirects_to_setup_until_done(fresh_app):
    client = fresh_app.test_client()
    for path in ["/", "/login", "/logout", "/nonexistent"]:
        response = client.get(path)
        assert response.status_code in (303, 404) and (response.status_code == 404 or response.location == "/setup")
    assert client.get("/").status_code == 303
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/css/gatehouse.css").status_code == 200


def test_setup_code_file_is_private_and_stable(fresh_app):
    with fresh_app.app_context():
        path = setup_service.ensure_code(fresh_app.config["GATEHOUSE_INSTANCE_DIR"])
        again = setup_service.ensure_code(fresh_app.config["GATEHOUSE_INSTANCE_DIR"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path == again and len(path.read_text().strip()) >= 16


def test_setup_logs_where_the_code_is_once_at_start_up(fresh_app, caplog):
    import logging
    import time

    logging.getLogger("gatehouse").addHandler(caplog.handler)
    try:
        with fresh_app.app_context():
            setup_service.announce(fresh_app.config["GATEHOUSE_INSTANCE_DIR"], time.time())
        client = fresh_app.test_client()
        assert client.get("/setup").status_code == client.get("/setup").status_code == 200
    finally:
        logging.getLogger("gatehouse").removeHandler(caplog.handler)
    path = setup_service.code_path(fresh_app.config["GATEHOUSE_INSTANCE_DIR"])
    assert caplog.text.count(f"setup required: open /setup and enter the code from {path}") == 1
    assert path.read_text().strip() not in caplog.text


def test_setup_page_shows_form(fresh_app):
    response = fresh_app.test_client().get("/setup")
    assert response.status_code == 200 and b"setup-code" in response.data


def test_wrong_code_is_403_and_sets_nothing(fresh_app):
    client = fresh_app.test_client()
    client.get("/setup")
    response = post_setup(client, "wrong-code")
    assert response.status_code == 403 and b"Incorrect setup code." in response.data
    assert stored_hash(fresh_app) is None


def test_bad_password_is_400_and_sets_nothing(fresh_app):
    client = fresh_app.test_client()
    client.get("/setup")
    code = read_code(fresh_app)
    for password, confirm, message in [
        ("too short", None, b"at least 15"),
        (NEW, NEW + "x", b"do not match"),
        ("fifteen chars!!\x00", None, b"NUL"),
        ("€" * 400, None, b"at most 1024 bytes"),
    ]:
        response = post_setup(client, code, password, confirm)
        assert response.status_code == 400 and message in response.data
    assert stored_hash(fresh_app) is None and count_rows(fresh_app, Setting) == 0


def test_setup_without_csrf_is_400(fresh_app):
    client = fresh_app.test_client()
    client.get("/setup")
    response = client.post("/setup", data={"code": read_code(fresh_app), "password": NEW, "confirm": NEW})
    assert response.status_code == 400 and stored_hash(fresh_app) is None


def test_successful_setup_then_404(fresh_app):
    client = fresh_app.test_client()
    client.get("/setup")
    code = read_code(fresh_app)
    response = post_setup(client, code)
    assert response.status_code == 303 and response.location == "/login"
    assert not (fresh_app.config["GATEHOUSE_INSTANCE_DIR"] / "setup-code").exists()
    with fresh_app.app_context():
        assert master_password.check(NEW)
    before = stored_hash(fresh_app)
    assert client.get("/setup").status_code == 404
    assert client.post("/setup", data={"code": code, "password": "x" * 20, "confirm": "x" * 20}).status_code in (400, 404)
    assert stored_hash(fresh_app) == before
    assert client.get("/login").status_code == 200


def test_first_writer_wins(fresh_app):
    with fresh_app.app_context():
        assert master_password.set_first(PASSWORD)
        assert not master_password.set_first("another long password")
        assert master_password.check(PASSWORD)


def test_cost_is_upgraded_on_next_successful_login(make_app):
    old = make_app(GATEHOUSE_BCRYPT_ROUNDS=4)
    with old.app_context():
        master_password.set_first(PASSWORD)
    assert "$2b$04$" in stored_hash(old)
    new = make_app(GATEHOUSE_BCRYPT_ROUNDS=5)
    with new.app_context():
        assert not master_password.check("wrong password here")
        assert "$2b$04$" in stored_hash(new)
        assert master_password.check(PASSWORD)
    assert "$2b$05$" in stored_hash(new)
    with new.app_context():
        assert master_password.check(PASSWORD)


def test_head_on_setup_sets_nothing(fresh_app):
    client = fresh_app.test_client()
    client.get("/setup")
    response = client.head("/setup", data={"code": read_code(fresh_app), "password": NEW, "confirm": NEW})
    assert response.status_code == 200 and stored_hash(fresh_app) is None


def test_cost_upgrade_never_overwrites_a_password_set_meanwhile(make_app, monkeypatch):
    from app.security import passwords

    old = make_app(GATEHOUSE_BCRYPT_ROUNDS=4)
    with old.app_context():
        master_password.set_first(PASSWORD)
    app = make_app(GATEHOUSE_BCRYPT_ROUNDS=5)
    verify = passwords.verify_password

    def verify_then_cli_replaces(password, stored):
        ok = verify(password, stored)
        master_password.replace("the password set from the CLI", None)  # lands during the check
        return ok

    with app.app_context():
        monkeypatch.setattr(master_password, "verify_password", verify_then_cli_replaces)
        assert master_password.check(PASSWORD)
        monkeypatch.setattr(master_password, "verify_password", verify)
        assert master_password.check("the password set from the CLI")
        assert not master_password.check(PASSWORD)


def test_api_is_503_until_setup_even_for_a_blocked_address(fresh_app):
    """Wrong setup codes block the address (429 at /setup), yet the API still says "set up first"."""
    client = fresh_app.test_client()
    client.get("/setup")
    assert [post_setup(client, "wrong-code").status_code for _ in range(2)] == [403, 429]
    for path in ("/api/v1/auth/login", "/api/v1/auth/token"):
        response = client.post(path, json={"password": "a guess of twenty chars"})
        assert response.status_code == 503 and response.get_json()["error"] == "unavailable"
