import stat

import pytest

from app.config import ConfigError, load_settings


def env(tmp_path, **values):
    return {"GATEHOUSE_INSTANCE_DIR": str(tmp_path), **{f"GATEHOUSE_{k}": v for k, v in values.items()}}


def test_defaults(tmp_path):
    settings = load_settings(env(tmp_path))
    assert settings["GATEHOUSE_SESSION_LIFETIME_MINUTES"] == 720
    assert settings["GATEHOUSE_SESSION_IDLE_MINUTES"] == 30
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
