"""deploy/compose/: both stacks keep Gatehouse reachable only by its proxy, trust exactly that
network, and give gunicorn's drain time to stop. compose.yaml runs for real in
tests/e2e/test_compose.py; the Traefik variant cannot (Traefik is not packaged here), so these
checks are what keeps it in step."""

import runpy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
STACKS = {"compose.yaml": "caddy", "traefik.compose.yaml": "traefik"}


@pytest.mark.parametrize("name, proxy", STACKS.items())
def test_only_the_proxy_reaches_gatehouse_and_only_its_network_is_trusted(name, proxy):
    stack = yaml.safe_load((ROOT / "deploy" / "compose" / name).read_text())
    services, auth = stack["services"], stack["networks"]["auth"]
    gatehouse = services["gatehouse"]
    assert list(gatehouse["networks"]) == ["auth"] and "ports" not in gatehouse
    assert auth["internal"] is True
    assert gatehouse["environment"]["GATEHOUSE_TRUSTED_PROXIES"] == auth["ipam"]["config"][0]["subnet"]
    assert "auth" in services[proxy]["networks"]
    assert [name for name, service in services.items() if "auth" in service["networks"]] == ["gatehouse", proxy]


@pytest.mark.parametrize("name", STACKS)
def test_read_only_with_the_key_from_a_secret_and_time_to_drain(name):
    gatehouse = yaml.safe_load((ROOT / "deploy" / "compose" / name).read_text())["services"]["gatehouse"]
    assert gatehouse["read_only"] is True
    assert gatehouse["environment"]["GATEHOUSE_SECRET_KEY_FILE"] == f"/run/secrets/{gatehouse['secrets'][0]}"
    assert gatehouse["volumes"] == ["gatehouse-data:/var/lib/gatehouse"]
    graceful = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["graceful_timeout"]
    assert int(gatehouse["stop_grace_period"].removesuffix("s")) > graceful
