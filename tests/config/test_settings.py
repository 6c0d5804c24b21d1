import os
import stat

import pytest
from sqlalchemy import text

from app.config import ConfigError, load_settings, write_private_file
from app.database import make_engine


def env(tmp_path, **values):
    return {"GATEHOUSE_INSTANCE_DIR": str(tmp_path), **{f"GATEHOUSE_{k}": v for k, v in values.items()}}


def test_defaults(tmp_path):
    settings = load_settings(env(tmp_path))
    assert settings["GATEHOUSE_SESSION_LIFETIME_MINUTES"] == 720
    assert settings["GATEHOUSE_SESSION_IDLE_MINUTES"] == 30
    assert (settings["GATEHOUSE_REMEMBER_DAYS"], settings["GATEHOUSE_REMEMBER_IDLE_DAYS"]) == (30, 7)
    assert settings["GATEHOUSE_COOKIE_SECURE"] is True
    assert settings["GATEHOUSE_CACHE"] == "memory"
    assert settings["GATEHOUSE_LOGIN_BACKOFF"] == (0.5, 1, 2, 4, 5)
    assert settings["GATEHOUSE_LOGIN_BAN"] == (10, 900)
    assert settings["GATEHOUSE_LOGIN_GLOBAL"] == (100, 3600)
    assert settings["GATEHOUSE_DATABASE_URL"] == f"sqlite:///{tmp_path / 'gatehouse.db'}"


@pytest.mark.parametrize(
    "name, value",
    [
        ("SESSION_LIFETIME_MINUTES", "soon"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("COOKIE_SECURE", "maybe"),
        ("CACHE", "memcached"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"),
        ("BCRYPT_ROUNDS", "3"),
        ("LOGIN_BACKOFF", "1,-2"),
        ("LOGIN_BAN", "10"),
        ("LOGIN_GLOBAL", "0/60"),
        ("LOG_FORMAT", "xml"),
        ("THREADS", "1"),
        ("SECRET_KEY", "short"),
        ("SECRET_KEY_PREVIOUS", "x"),
        ("REMEMBER_DAYS", "-1"),
        ("REMEMBER_DAYS", "a month"),
        ("REMEMBER_IDLE_DAYS", "0"),
    ],
)
def test_invalid_value_names_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError) as info:
        load_settings(env(tmp_path, **{name: value}))
    message = str(info.value)
    assert f"GATEHOUSE_{name}" in message and "\n" not in message


def test_redis_cache_needs_url(tmp_path):
    with pytest.raises(ConfigError, match="GATEHOUSE_REDIS_URL"):
        load_settings(env(tmp_path, CACHE="redis"))


def test_secret_key_generated_once_with_mode_0600(tmp_path):
    first = load_settings(env(tmp_path))["GATEHOUSE_SECRET_KEY"]
    second = load_settings(env(tmp_path))["GATEHOUSE_SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert first == second and len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first


def test_given_secret_key_is_used_and_nothing_written(tmp_path):
    settings = load_settings(env(tmp_path, SECRET_KEY="k" * 40))
    assert settings["GATEHOUSE_SECRET_KEY"] == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_trusted_proxies_parse_addresses_and_networks(tmp_path):
    nets = load_settings(env(tmp_path, TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8,::1"))["GATEHOUSE_TRUSTED_PROXIES"]
    assert [str(n) for n in nets] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]


@pytest.mark.parametrize("value", ["9100", "127.0.0.1", "127.0.0.1:http", "[::1]:70000", "host:0"])
def test_metrics_bind_must_be_host_and_port(tmp_path, value):
    with pytest.raises(ConfigError, match="GATEHOUSE_METRICS_BIND=.* must be HOST:PORT"):
        load_settings(env(tmp_path, METRICS_BIND=value))


def test_metrics_are_off_by_default_and_never_on_the_public_port(tmp_path):
    assert load_settings(env(tmp_path))["GATEHOUSE_METRICS_BIND"] == ""
    assert load_settings(env(tmp_path, METRICS_BIND="[::1]:9100"))["GATEHOUSE_METRICS_BIND"] == "[::1]:9100"
    with pytest.raises(ConfigError, match="must not share GATEHOUSE_BIND's port"):
        load_settings(env(tmp_path, BIND="0.0.0.0:8000", METRICS_BIND="127.0.0.1:8000"))


def mode(path):
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_instance_files_are_0600_in_an_open_folder(tmp_path, loose_umask):
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o755)
    settings = load_settings(env(folder))
    engine = make_engine(settings["GATEHOUSE_DATABASE_URL"])  # real SQLite, WAL mode
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        files = sorted(p.name for p in folder.iterdir())
        assert files == ["gatehouse.db", "gatehouse.db-shm", "gatehouse.db-wal", "secret_key"]
        assert {name: mode(folder / name) for name in files} == dict.fromkeys(files, 0o600)
    engine.dispose()


@pytest.mark.parametrize("name", ["secret_key", "gatehouse.db"])
def test_a_file_others_can_read_is_refused_with_the_chmod(tmp_path, name):
    engine = make_engine(load_settings(env(tmp_path))["GATEHOUSE_DATABASE_URL"])
    engine.connect().close()  # the database file appears on first connect
    engine.dispose()
    (tmp_path / name).chmod(0o640)
    with pytest.raises(ConfigError) as info:
        load_settings(env(tmp_path))
    path = tmp_path / name
    assert str(info.value) == f"{path} is readable by other users: run `chmod 600 {path}`"
    path.chmod(0o600)
    load_settings(env(tmp_path))  # and starts again once fixed


def test_a_world_writable_folder_is_refused(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(ConfigError) as info:
        load_settings(env(folder, SECRET_KEY="k" * 40))
    assert str(info.value) == f"{folder} is writable by every user: run `chmod 700 {folder}`"
    assert not any(folder.iterdir())  # nothing written into it


def test_a_symbolic_link_as_secret_key_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("k" * 48)
    elsewhere.chmod(0o600)
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o700)
    (folder / "secret_key").symlink_to(elsewhere)
    with pytest.raises(ConfigError, match="secret_key cannot be opened"):
        load_settings(env(folder))


def test_write_private_file_replaces_links_and_foreign_files(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link = tmp_path / "setup-code"
    link.symlink_to(victim)
    write_private_file(link, "new code\n")
    assert victim.read_text() == "keep me"  # written beside the link, never through it
    assert not link.is_symlink() and link.read_text() == "new code\n" and mode(link) == 0o600
    old = os.stat(link).st_ino
    link.chmod(0o644)  # a file left from before (someone else may hold it open)
    write_private_file(link, "newer\n")
    assert os.stat(link).st_ino != old and mode(link) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["setup-code", "victim"]  # no temporary left


# --- forward auth: public URL, cookie domain, Remote-User -----------------------------


def test_forward_auth_defaults(tmp_path):
    settings = load_settings(env(tmp_path))
    assert settings["GATEHOUSE_PUBLIC_URL"] == ""
    assert settings["GATEHOUSE_COOKIE_DOMAIN"] == ""
    assert settings["GATEHOUSE_REMOTE_USER"] == "admin"


def test_forward_auth_settings_read(tmp_path):
    settings = load_settings(env(tmp_path, PUBLIC_URL="https://Auth.Example.org/", COOKIE_DOMAIN="example.org", REMOTE_USER="root@home"))
    assert settings["GATEHOUSE_PUBLIC_URL"] == "https://auth.example.org"
    assert settings["GATEHOUSE_COOKIE_DOMAIN"] == "example.org"
    assert settings["GATEHOUSE_REMOTE_USER"] == "root@home"
    apex = load_settings(env(tmp_path, PUBLIC_URL="https://example.org:8443", COOKIE_DOMAIN="example.org"))
    assert apex["GATEHOUSE_PUBLIC_URL"] == "https://example.org:8443"
    plain = load_settings(env(tmp_path, PUBLIC_URL="http://auth.gatehouse.test:8080", COOKIE_DOMAIN="gatehouse.test", COOKIE_SECURE="0"))
    assert plain["GATEHOUSE_PUBLIC_URL"] == "http://auth.gatehouse.test:8080"


@pytest.mark.parametrize(
    "values, named",
    [
        ({"PUBLIC_URL": "auth.example.org"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "ftp://auth.example.org"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "https://auth.example.org/portal"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "https://auth.example.org/?x=1"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "https://user@auth.example.org"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "https://auth.example.org:99999"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "https://auth.exa_mple.org"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "https://"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "http://auth.example.org"}, "PUBLIC_URL"),  # http while cookies are Secure
        ({"COOKIE_DOMAIN": ".example.org", "PUBLIC_URL": "https://auth.example.org"}, "COOKIE_DOMAIN"),
        ({"COOKIE_DOMAIN": "org", "PUBLIC_URL": "https://auth.example.org"}, "COOKIE_DOMAIN"),
        ({"COOKIE_DOMAIN": "Example.org", "PUBLIC_URL": "https://auth.example.org"}, "COOKIE_DOMAIN"),
        ({"COOKIE_DOMAIN": "example.org:443", "PUBLIC_URL": "https://auth.example.org"}, "COOKIE_DOMAIN"),
        ({"COOKIE_DOMAIN": "example.org"}, "COOKIE_DOMAIN"),  # no public URL
        ({"COOKIE_DOMAIN": "example.org", "PUBLIC_URL": "https://auth.example.net"}, "COOKIE_DOMAIN"),
        ({"COOKIE_DOMAIN": "example.org", "PUBLIC_URL": "https://auth.evilexample.org"}, "COOKIE_DOMAIN"),
        ({"COOKIE_DOMAIN": "auth.example.org", "PUBLIC_URL": "https://example.org"}, "COOKIE_DOMAIN"),
        ({"REMOTE_USER": ""}, "REMOTE_USER"),
        ({"REMOTE_USER": "ad min"}, "REMOTE_USER"),
        ({"REMOTE_USER": "admin\r\nX-Evil: 1"}, "REMOTE_USER"),
        ({"REMOTE_USER": "a" * 65}, "REMOTE_USER"),
    ],
)
def test_wrong_forward_auth_settings_stop_start_up(tmp_path, values, named):
    with pytest.raises(ConfigError) as info:
        load_settings(env(tmp_path, **values))
    message = str(info.value)
    assert f"GATEHOUSE_{named}" in message and "\n" not in message


# --- the authenticator app's entry ------------------------------------------------------


def test_totp_issuer_defaults_to_the_public_host_else_gatehouse(tmp_path):
    assert load_settings(env(tmp_path))["GATEHOUSE_TOTP_ISSUER"] == "Gatehouse"
    public = load_settings(env(tmp_path, PUBLIC_URL="https://Auth.Example.org:8443"))
    assert public["GATEHOUSE_TOTP_ISSUER"] == "auth.example.org"
    named = load_settings(env(tmp_path, PUBLIC_URL="https://auth.example.org", TOTP_ISSUER="Home lab"))
    assert named["GATEHOUSE_TOTP_ISSUER"] == "Home lab"


@pytest.mark.parametrize("value", ["home:lab", "a" * 65, " padded", "tab\there"])
def test_a_totp_issuer_an_app_would_misread_is_refused(tmp_path, value):
    with pytest.raises(ConfigError) as info:
        load_settings(env(tmp_path, TOTP_ISSUER=value))
    assert "GATEHOUSE_TOTP_ISSUER" in str(info.value) and "\n" not in str(info.value)


def test_notify_urls_are_split_the_apprise_way_and_checked(tmp_path):
    settings = load_settings(env(tmp_path, NOTIFY_URLS="json://127.0.0.1:9000/hook, ntfys://ntfy.sh/topic "
                                                       "mailtos://u:p@example.org?to=a@example.org,b@example.org"))
    assert settings["GATEHOUSE_NOTIFY_URLS"] == ("json://127.0.0.1:9000/hook", "ntfys://ntfy.sh/topic",
                                                 "mailtos://u:p@example.org?to=a@example.org,b@example.org")
    assert load_settings(env(tmp_path))["GATEHOUSE_NOTIFY_URLS"] == ()


@pytest.mark.parametrize("value, named", [("json://ok.example.org/x, bogus://secret-token@host/", "entry 2 (bogus://…)"),
                                          ("not a url at all with-secret-token", "entry 1 ")])
def test_an_unusable_notify_url_is_named_by_number_never_echoed(tmp_path, value, named):
    with pytest.raises(ConfigError) as info:
        load_settings(env(tmp_path, NOTIFY_URLS=value))
    message = str(info.value)
    assert message.startswith("GATEHOUSE_NOTIFY_URLS is invalid: ") and named in message
    assert "secret-token" not in message and "\n" not in message
