"""`gatehouse access check|explain` (app/cli/access.py): without the app or its database."""

import json

import pytest
from click.testing import CliRunner

from app.cli.access import access_group
from app.cli.main import cli
from tests.support.access import EXAMPLE


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.delenv("GATEHOUSE_ACCESS_FILE", raising=False)
    monkeypatch.setenv("GATEHOUSE_INSTANCE_DIR", str(tmp_path / "instance"))

    def invoke(*args, env=None):
        return CliRunner().invoke(access_group, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def rules_file(tmp_path):
    path = tmp_path / "access.toml"
    path.write_text(EXAMPLE)
    return path


def test_check_a_good_file(run, rules_file):
    result = run("check", str(rules_file))
    assert result.exit_code == 0 and result.output == f"{rules_file}: ok, 4 rule(s), default signed_in\n"


def test_check_a_broken_file_prints_one_line_and_fails(run, tmp_path):
    path = tmp_path / "new.toml"
    path.write_text(EXAMPLE.replace('networks = ["!home"]', 'networks = ["!hmoe"]'))
    result = run("check", str(path))
    assert result.exit_code == 1
    assert result.output == f"Error: {path}:28: rule 'no admin from outside': 'hmoe' is not a network " \
                            "(like 192.168.1.0/24 or fd00::/8) nor a name from [networks]\n"


def test_check_reads_the_servers_file(run, rules_file, tmp_path):
    assert "no access rules file" in run("check").output
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "access.toml").write_text('default = "deny"\n')
    assert run("check").output == f"{instance / 'access.toml'}: ok, 0 rule(s), default deny\n"
    result = run("check", env={"GATEHOUSE_ACCESS_FILE": str(rules_file)})
    assert result.output.startswith(f"{rules_file}: ok, 4 rule(s)")
    missing = run("check", env={"GATEHOUSE_ACCESS_FILE": str(tmp_path / "gone.toml")})
    assert missing.exit_code == 1 and "GATEHOUSE_ACCESS_FILE=" in missing.output and "no such file" in missing.output


@pytest.mark.parametrize("args, answer", [
    (["https://grafana.example.org/api/health"], {"rule": "grafana api keys", "policy": "bypass", "status": 200}),
    (["https://grafana.example.org/d/1"], {"rule": None, "policy": "signed_in", "status": 401}),
    (["https://grafana.example.org/d/1", "--session", "password"], {"rule": None, "policy": "signed_in", "status": 200}),
    (["https://jellyfin.example.org/Items", "--ip", "192.168.1.30"],
     {"rule": "jellyfin apps at home", "policy": "bypass", "status": 200}),
    (["https://jellyfin.example.org/Items", "--ip", "203.0.113.30"], {"rule": None, "policy": "signed_in", "status": 401}),
    (["https://pve.example.org/", "--session", "password"], {"rule": "proxmox", "policy": "two_factor", "status": 403}),
    (["https://pve.example.org/", "--session", "two_factor"], {"rule": "proxmox", "policy": "two_factor", "status": 200}),
    (["https://pve.example.org/", "--session", "two_factor", "--age", "20m"],
     {"rule": "proxmox", "policy": "two_factor", "status": 401}),
    (["https://files.example.org/admin/", "--ip", "2001:db8::7", "--session", "two_factor"],
     {"rule": "no admin from outside", "policy": "deny", "status": 403}),
    (["https://files.example.org/public/%2e%2e/admin/", "--ip", "fd00::7", "--method", "post"],
     {"rule": None, "policy": "signed_in", "status": 401}),
])
def test_explain_json(run, rules_file, args, answer):
    result = run("explain", *args, "--file", str(rules_file), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == answer


def test_explain_in_words(run, rules_file):
    result = run("explain", "https://grafana.example.org/api/../admin", "--file", str(rules_file))
    assert result.exit_code == 0
    assert "rule:    no admin from outside (line 24)" in result.output  # outside: nobody vouched for an address
    assert "note:    judged by the strictest policy that could apply: an ambiguous path (a . or .. segment)" in result.output
    assert "address: none vouched for" in result.output and "answer:  403 deny" in result.output
    result = run("explain", "http://nas/", "--file", str(rules_file))
    assert f"rule:    none matches: the default ({rules_file})" in result.output and "answer:  401 sign in" in result.output
    result = run("explain", "https://pve.example.org/", "--session", "two_factor", "--file", str(rules_file))
    assert "rule:    proxmox (line 18)" in result.output and "policy:  two_factor, max_age 15m" in result.output


@pytest.mark.parametrize("args, words", [
    (["grafana.example.org/x"], "absolute http(s) URL"),
    (["https://exa mple.org/"], "not a host name"),
    (["https://a..b/"], "not a host name"),
    (["https://a.org/", "--ip", "home"], "not an IP address"),
    (["https://a.org/", "--method", "GET /"], "not an HTTP method"),
    (["https://a.org/", "--age", "soon"], "--age must be a duration"),
    (["https://a.org/", "--session", "admin"], "'admin' is not one of"),
])
def test_explain_bad_input_says_what(run, rules_file, args, words):
    result = run("explain", *args, "--file", str(rules_file))
    assert result.exit_code == 2 and words in result.output, result.output


def test_the_console_command_has_the_group():
    assert "access" in cli().commands
