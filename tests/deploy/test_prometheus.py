"""deploy/prometheus/: Prometheus accepts the sample config, and the two alerts fire when they should."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.external import require_external

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


@pytest.fixture
def promtool():
    path = shutil.which("promtool")
    if path is None:
        require_external("promtool is not installed (apt-get install prometheus)")
    return path


@pytest.mark.parametrize("check", [["check", "config", "prometheus.yml"], ["check", "rules", "gatehouse.rules.yml"],
                                   ["test", "rules", "gatehouse.rules.test.yml"]])
def test_promtool_accepts_config_and_rules(promtool, check):
    result = subprocess.run([promtool, *check], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_the_rules_watch_the_metrics_gatehouse_exports():
    from app.runtime import metrics

    rules = (PROMETHEUS / "gatehouse.rules.yml").read_text()
    exported = {sample.labels["result"] for family in metrics.LOGINS.collect() for sample in family.samples}
    assert rules.count("- alert:") == 2
    for result in ("blocked", "failure"):
        assert f'gatehouse_logins_total{{result="{result}"}}' in rules and result in exported
    assert "9480" in (PROMETHEUS / "prometheus.yml").read_text()
