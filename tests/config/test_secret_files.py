"""Secret keys from files: GATEHOUSE_SECRET_KEY_FILE (Docker's convention) and systemd's credentials."""

import os

import pytest

from app.config import ConfigError, load_settings

KEY, OLD = "k" * 40, "o" * 40


def env(tmp_path, **values):
    return {"GATEHOUSE_INSTANCE_DIR": str(tmp_path / "instance"), **values}


def secret(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def test_keys_load_from_files_and_nothing_is_generated(tmp_path):
    settings = load_settings(env(
        tmp_path, GATEHOUSE_SECRET_KEY_FILE=secret(tmp_path / "key", KEY + "\n"),
        GATEHOUSE_SECRET_KEY_PREVIOUS_FILE=secret(tmp_path / "old", OLD, 0o400),
    ))
    assert (settings["GATEHOUSE_SECRET_KEY"], settings["GATEHOUSE_SECRET_KEY_PREVIOUS"]) == (KEY, OLD)
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_keys_load_from_a_systemd_credentials_directory(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    secret(credentials / "gatehouse-secret-key", KEY + "\n", 0o400)
    secret(credentials / "gatehouse-secret-key-previous", OLD + "\n", 0o400)
    settings = load_settings(env(tmp_path, CREDENTIALS_DIRECTORY=str(credentials)))
    assert (settings["GATEHOUSE_SECRET_KEY"], settings["GATEHOUSE_SECRET_KEY_PREVIOUS"]) == (KEY, OLD)


def test_a_credentials_directory_without_the_key_changes_nothing(tmp_path):
    (tmp_path / "credentials").mkdir()
    settings = load_settings(env(tmp_path, CREDENTIALS_DIRECTORY=str(tmp_path / "credentials")))
    assert settings["GATEHOUSE_SECRET_KEY"] == (tmp_path / "instance" / "secret_key").read_text().strip()


def test_a_file_readable_by_every_user_is_refused(tmp_path):
    path = secret(tmp_path / "key", KEY, 0o644)
    with pytest.raises(ConfigError) as info:
        load_settings(env(tmp_path, GATEHOUSE_SECRET_KEY_FILE=path))
    message = str(info.value)
    assert "GATEHOUSE_SECRET_KEY_FILE" in message and "0644" in message and KEY not in message and "\n" not in message


@pytest.mark.parametrize("mode", [0o640, 0o660, 0o620, 0o604])
def test_a_file_its_group_or_anyone_may_read_or_change_is_refused_like_0644(tmp_path, mode):
    """0640 was accepted on 0702507 (issue 22): every member of the group could read the key."""
    path = secret(tmp_path / "key", KEY, mode)
    with pytest.raises(ConfigError) as info:
        load_settings(env(tmp_path, GATEHOUSE_SECRET_KEY_FILE=path))
    message = str(info.value)
    assert "GATEHOUSE_SECRET_KEY_FILE" in message and f"{mode:04o}" in message and "chmod go-rwx" in message
    assert KEY not in message and not (tmp_path / "instance" / "secret_key").exists()


def test_a_credential_with_systemds_acl_mask_is_read(tmp_path):
    """systemd grants the service's user read access with an ACL, whose mask shows as 0440."""
    (tmp_path / "credentials").mkdir()
    secret(tmp_path / "credentials" / "gatehouse-secret-key", KEY, 0o440)
    settings = load_settings(env(tmp_path, CREDENTIALS_DIRECTORY=str(tmp_path / "credentials")))
    assert settings["GATEHOUSE_SECRET_KEY"] == KEY


def test_a_world_readable_credential_is_refused(tmp_path):
    (tmp_path / "credentials").mkdir()
    secret(tmp_path / "credentials" / "gatehouse-secret-key", KEY, 0o444)
    with pytest.raises(ConfigError, match="CREDENTIALS_DIRECTORY/gatehouse-secret-key .* readable by every user"):
        load_settings(env(tmp_path, CREDENTIALS_DIRECTORY=str(tmp_path / "credentials")))


@pytest.mark.parametrize("text", ["short\n", "", KEY + "\n" + KEY + "\n", "\xff" * 40, "k" * 5000])
def test_a_file_that_is_not_one_long_line_is_refused_without_echoing_it(tmp_path, text):
    path = tmp_path / "key"
    path.write_bytes(text.encode("latin-1"))
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError) as info:
        load_settings(env(tmp_path, GATEHOUSE_SECRET_KEY_FILE=str(path)))
    message = str(info.value)
    assert message.startswith("GATEHOUSE_SECRET_KEY_FILE") and "one line of at least 32" in message
    assert "\n" not in message and (not text.strip() or text.strip()[:20] not in message)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match=r"GATEHOUSE_SECRET_KEY_PREVIOUS_FILE \(.*nope\) cannot be read"):
        load_settings(env(tmp_path, GATEHOUSE_SECRET_KEY_PREVIOUS_FILE=str(tmp_path / "nope")))


def test_a_key_given_twice_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"GATEHOUSE_SECRET_KEY is set in more than one place \(GATEHOUSE_SECRET_KEY, "
                                          r"GATEHOUSE_SECRET_KEY_FILE\)"):
        load_settings(env(tmp_path, GATEHOUSE_SECRET_KEY=KEY, GATEHOUSE_SECRET_KEY_FILE=secret(tmp_path / "key", KEY)))


def test_typed_overrides_win_over_files(tmp_path):
    settings = load_settings(env(tmp_path, GATEHOUSE_SECRET_KEY_FILE=str(tmp_path / "missing")),
                             overrides={"GATEHOUSE_SECRET_KEY": "t" * 40})
    assert settings["GATEHOUSE_SECRET_KEY"] == "t" * 40
