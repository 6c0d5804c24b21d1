"""Reading a rules file (app/access/loader.py): what it accepts, and one line per fault, with its line."""

from datetime import timedelta

import pytest

from app.access.current import CurrentRules
from app.access.errors import AccessFileError
from app.access.loader import load, parse
from tests.support.access import EXAMPLE


def test_the_example_reads():
    rules = parse(EXAMPLE, "access.toml")
    assert rules.default == "signed_in" and [rule.name for rule in rules.rules] == [
        "jellyfin apps at home", "grafana api keys", "proxmox", "no admin from outside"]
    assert [rule.line for rule in rules.rules] == [6, 12, 18, 24]
    assert rules.rules[2].max_age == timedelta(minutes=15)


def test_an_empty_file_is_the_default_alone():
    rules = parse("", "access.toml")
    assert (rules.default, rules.rules) == ("signed_in", ())


def fault(text: str) -> AccessFileError:
    with pytest.raises(AccessFileError) as caught:
        parse(text, "/etc/gatehouse/access.toml")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("/etc/gatehouse/access.toml:")
    return caught.value


RULE = '[[rule]]\nname = "a"\npolicy = "bypass"\n'


@pytest.mark.parametrize("text, line, words", [
    ('default = "signed_in"\n[[rule]\nname = "x"\n', 2, "not valid TOML"),
    ('[[rule]]\nname = "x"\npolicy = bypass\n', 3, "not valid TOML"),
    ('default = "allow"\n', 1, "default must be one of bypass, signed_in, two_factor, deny"),
    ('defaults = "deny"\n', 1, "unknown setting 'defaults'"),
    ('[networks]\nhome = ["192.168.1.5/24"]\n', 2, "did you mean 192.168.1.0/24"),
    ('[networks]\nhome = []\n', 2, "must be a list of CIDRs"),
    ('[networks]\n"2home" = ["10.0.0.0/8"]\n', 2, "network name '2home'"),
    (RULE + '\n[[rule]]\npolicy = "deny"\n', 5, "rule 2 needs a name"),
    (RULE + '\n[[rule]]\nname = "a"\npolicy = "deny"\n', 5, "rule name 'a' is used twice"),
    (RULE + '\n[[rule]]\nname = "b"\nhosts = ["x.org"]\n', 5, "rule 'b': needs a policy"),
    (RULE + '\n[[rule]]\nname = "b"\n\npolicy = "allow"\n', 8, "rule 'b': policy must be one of"),
    (RULE + '\n[[rule]]\nname = "b"\npolicy = "bypass"\nmax_age = "15m"\n', 8, "max_age needs policy signed_in or two_factor"),
    (RULE + '\n[[rule]]\nname = "b"\npolicy = "signed_in"\nmax_age = "15 minutes"\n', 8, "duration like"),
    (RULE + '\n[[rule]]\nname = "b"\npolicy = "signed_in"\nmax_age = "0m"\n', 8, "more than 0"),
    (RULE + '\n[[rule]]\nname = "b"\npolicy = "deny"\npaths = ["admin/**"]\n', 8, "must start with /"),
    (RULE + '\n[[rule]]\nname = "b"\npolicy = "deny"\npaths = []\n', 8, "non-empty list"),
    (RULE + '\n[[rule]]\nname = "b"\npolicy = "deny"\nhosts = ["*.Example.org"]\n', 8, "lower-case name"),
    (RULE + '\n[[rule]]\nname = "b"\npolicy = "deny"\nmethods = ["GET /"]\n', 8, "not an HTTP method"),
    (RULE + '\n[[rule]]\nname = "b"\npolicy = "deny"\nnetworks = ["lan"]\n', 8, "nor a name from [networks]"),
    (RULE + '\n[[rule]]\nname = "b"\npolicy = "deny"\nnetwork = ["lan"]\n', 8, "unknown key 'network'"),
    ('rule = "x"\n', 1, "[[rule]] tables"),
])
def test_faults_name_the_line(text, line, words):
    error = fault(text)
    assert error.line == line, str(error)
    assert words in error.fault, str(error)
    assert str(error).startswith(f"/etc/gatehouse/access.toml:{line}: ")


def test_unreadable_file(tmp_path):
    with pytest.raises(AccessFileError, match="cannot be read"):
        load(tmp_path / "missing.toml")
    (tmp_path / "latin1.toml").write_bytes(b'# caf\xe9\n')
    with pytest.raises(AccessFileError, match="not UTF-8"):
        load(tmp_path / "latin1.toml")


def test_reload_keeps_the_rules_in_force_when_the_new_file_is_broken(tmp_path):
    path = tmp_path / "access.toml"
    path.write_text(EXAMPLE)
    current = CurrentRules(path)
    before = current.rules
    path.write_text(EXAMPLE.replace('policy = "deny"', 'policy = "nope"'))
    error = current.reload()
    assert error is not None and error.line == 29 and current.rules is before
    path.write_text('default = "deny"\n')
    assert current.reload() is None and current.rules.default == "deny" and current.rules.rules == ()


def test_no_file_no_rules():
    current = CurrentRules(None)
    assert current.rules.default == "signed_in" and current.reload() is None
