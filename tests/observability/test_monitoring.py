"""deploy/monitoring/ against the tools that read it and the metrics the services export: the alert rules
checked and unit-tested by promtool, the PrometheusRule equal to the rules file, both scrape configs
valid and aimed at what compose and Kubernetes run, and every query of the Grafana dashboard naming a
metric (and labels) a service exports, in valid PromQL."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import kaleidoscope_shared.http.metrics
import kaleidoscope_shared.observability.metrics  # noqa: F401
import submissions.entrypoints.scheduler  # noqa: F401  (kaleidoscope_uploads_swept_total)

from ..deploy.compose_file import generated_secrets, load_compose

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
KUBERNETES = ROOT / "deploy" / "kubernetes"
DASHBOARD = MONITORING / "grafana-dashboard.json"
SERVICES = ("submissions", "judging", "notifications")
# Labels Prometheus adds to every series of a target (the scrape configs' relabelling).
TARGET_LABELS = {"job", "instance", "app", "role", "pod"}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("promtool is missing (Debian's `prometheus` package provides it)")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def run_promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *map(str, args)], capture_output=True, text=True, timeout=120, cwd=MONITORING
    )


def rules() -> dict[str, Any]:
    return yaml.safe_load((MONITORING / "alerts.yml").read_text())  # type: ignore[no-any-return]


def alert_names() -> set[str]:
    return {rule["alert"] for group in rules()["groups"] for rule in group["rules"]}


# --- alert rules ---------------------------------------------------------------------------------


def test_the_alert_rules_pass_promtool_check_rules() -> None:
    result = run_promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_pass_their_promtool_unit_tests() -> None:
    result = run_promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_fail_when_a_rule_is_broken(tmp_path: Path) -> None:
    """A threshold moved (the outbox alert at ten minutes instead of one) fails the unit tests."""
    broken = (MONITORING / "alerts.yml").read_text().replace("_oldest_unsent_age_seconds) > 60", ") > 600")
    assert broken != (MONITORING / "alerts.yml").read_text()
    (tmp_path / "alerts.yml").write_text(broken)
    shutil.copy(MONITORING / "alerts.test.yml", tmp_path / "alerts.test.yml")
    result = subprocess.run(
        [promtool(), "test", "rules", "alerts.test.yml"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode != 0 and "KaleidoscopeOutboxStuck" in result.stdout + result.stderr


def test_every_alert_is_unit_tested_firing() -> None:
    tests = yaml.safe_load((MONITORING / "alerts.test.yml").read_text())
    fired = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert fired == alert_names()


def test_the_issue_s_alerts_are_all_there() -> None:
    expressions = " ".join(rule["expr"] for group in rules()["groups"] for rule in group["rules"])
    for metric in (
        "kaleidoscope_dead_letters_total",
        "kaleidoscope_pending_messages",
        "kaleidoscope_consumer_lag_messages",
        "kaleidoscope_outbox_oldest_unsent_age_seconds",
        "kaleidoscope_http_requests_total",
        "kaleidoscope_ready",
        "up{",
    ):
        assert metric in expressions, metric


def test_the_prometheus_rule_holds_exactly_the_rules_file() -> None:
    manifest = yaml.safe_load((MONITORING / "prometheus-rule.yaml").read_text())
    assert (manifest["apiVersion"], manifest["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    assert manifest["metadata"]["namespace"] == "kaleidoscope"
    assert manifest["spec"] == rules()


# --- scrape configuration ------------------------------------------------------------------------


def test_the_compose_scrape_config_is_valid_and_loads_the_rules() -> None:
    result = run_promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_the_kubernetes_scrape_config_is_valid(tmp_path: Path) -> None:
    """Checked with static targets in place of pod discovery (Debian's Prometheus is built without the
    Kubernetes discovery); its relabelling is checked as written."""
    config = yaml.safe_load((MONITORING / "prometheus-kubernetes.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["kaleidoscope"]}}]
    job["static_configs"] = [{"targets": ["127.0.0.1:8000"]}]
    del job["kubernetes_sd_configs"]
    shutil.copy(MONITORING / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [promtool(), "check", "config", "prometheus.yml"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert {r.get("target_label") for r in job["relabel_configs"]} >= {"app", "role", "__metrics_path__"}


def compose_document() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def test_compose_runs_prometheus_only_in_the_monitoring_profile_with_this_folder_mounted() -> None:
    prometheus = compose_document()["services"]["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]
    assert any(str(volume).startswith("./deploy/monitoring:") for volume in prometheus.get("volumes", [])), (
        prometheus.get("volumes")
    )
    assert "backend" in prometheus["networks"]


def test_compose_as_the_tests_read_it_leaves_the_monitoring_profile_out_unless_asked() -> None:
    """As `docker compose up` does: the deploy tests and the local stand-in never start Prometheus."""
    secrets = generated_secrets(ROOT / "docker-compose.yml")
    assert "prometheus" not in load_compose(ROOT / "docker-compose.yml", secrets).services
    monitored = load_compose(ROOT / "docker-compose.yml", secrets, profiles=["monitoring"])
    assert monitored.services["prometheus"].healthcheck


def test_the_compose_scrape_config_names_every_api_and_worker_at_the_port_it_listens_on() -> None:
    services = compose_document()["services"]
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    targets = {(name, sd["port"]) for sd in job["dns_sd_configs"] for name in sd["names"]}
    expected = set()
    for name, service in services.items():
        command = service.get("command") or []
        if (
            command[:2] == ["python", "-m"]
            and command[2] in (*SERVICES, "web")
            and command[3] in ("api", "worker")
        ):
            if command[3] == "api":
                expected.add((name, int(command[command.index("--port") + 1])))
            else:
                expected.add((name, int(service["environment"][f"{command[2].upper()}_METRICS_PORT"])))
    assert len(expected) == 7
    assert targets == expected


def test_every_api_and_worker_pod_is_annotated_for_scraping_at_its_metrics_port() -> None:
    annotated = {}
    for path in KUBERNETES.glob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text()):
            if not document or document.get("kind") != "Deployment":
                continue
            template = document["spec"]["template"]
            labels = template["metadata"]["labels"]
            if labels["app.kubernetes.io/name"] not in (*SERVICES, "web"):
                continue
            annotations = template["metadata"].get("annotations", {})
            (container,) = template["spec"]["containers"]
            ports = {port["containerPort"] for port in container.get("ports", [])}
            assert annotations.get("prometheus.io/scrape") == "true", document["metadata"]["name"]
            assert int(annotations["prometheus.io/port"]) in ports, document["metadata"]["name"]
            assert annotations["prometheus.io/path"] == "/metrics"
            annotated[document["metadata"]["name"]] = int(annotations["prometheus.io/port"])
    assert annotated == {f"{s}-api": 8000 for s in SERVICES} | {f"{s}-worker": 9100 for s in SERVICES} | {
        "web": 8000
    }


# --- the dashboard -------------------------------------------------------------------------------


def exported() -> dict[str, set[str]]:
    """Every series name the services' registry can export → the labels it has."""
    names: dict[str, set[str]] = {}
    for name, collector in REGISTRY._names_to_collectors.items():
        labels = set(getattr(collector, "_labelnames", ()))
        names[name] = labels | ({"le"} if name.endswith("_bucket") else set())
    names["up"] = set()
    return names


def panels() -> list[dict[str, Any]]:
    def flatten(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [p for item in items for p in [item, *flatten(item.get("panels", []))]]

    return [p for p in flatten(json.loads(DASHBOARD.read_text())["panels"]) if p["type"] != "row"]


METRIC = re.compile(r"\b(kaleidoscope_[a-z0-9_]+|up)\b(\{[^}]*\})?")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")


def test_every_panel_queries_metrics_the_services_export_with_labels_they_have() -> None:
    known = exported()
    seen = set()
    for panel in panels():
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            expr = target["expr"]
            found = METRIC.findall(expr)
            assert found, f"{panel['title']}: {expr} names no metric"
            labels: set[str] = set()
            for name, matchers in found:
                assert name in known, f"{panel['title']}: {name} is exported by no service"
                labels |= known[name]
                seen.add(name)
                for label in MATCHER.findall(matchers or ""):
                    assert label in known[name] | TARGET_LABELS, f"{panel['title']}: {name} has no {label}"
            for grouping in GROUPING.findall(expr):
                for label in filter(None, (part.strip() for part in grouping.split(","))):
                    assert label in labels | TARGET_LABELS, f"{panel['title']}: no label {label} in {expr}"
    # the issue's list: flow of events, lag, dead letters, deliveries, HTTP latency
    for wanted in (
        "kaleidoscope_events_published_total",
        "kaleidoscope_events_consumed_total",
        "kaleidoscope_consumer_lag_messages",
        "kaleidoscope_dead_letters_total",
        "kaleidoscope_deliveries_total",
        "kaleidoscope_http_request_duration_seconds_bucket",
    ):
        assert wanted in seen, wanted


def test_the_dashboard_check_refuses_a_metric_nobody_exports(monkeypatch: pytest.MonkeyPatch) -> None:
    real = panels()
    broken = [dict(real[0], targets=[{"expr": "rate(kaleidoscope_events_invented_total[5m])"}])]
    monkeypatch.setattr(f"{__name__}.panels", lambda: broken)
    with pytest.raises(AssertionError, match="exported by no service"):
        test_every_panel_queries_metrics_the_services_export_with_labels_they_have()


def test_every_panel_query_is_valid_promql(tmp_path: Path) -> None:
    """Each query as a recording rule, which promtool parses ($__rate_interval as Grafana fills it)."""
    records = [
        {"record": f"dashboard:panel_{panel['id']}_{target['refId']}", "expr": target["expr"]}
        for panel in panels()
        for target in panel["targets"]
    ]
    for record in records:
        record["expr"] = record["expr"].replace("$__rate_interval", "1m").replace("$__range", "1h")
    (tmp_path / "queries.yml").write_text(yaml.safe_dump({"groups": [{"name": "d", "rules": records}]}))
    promtool()
    result = subprocess.run(
        [promtool(), "check", "rules", "queries.yml"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
