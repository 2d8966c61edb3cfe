"""deploy/: the example Grafana dashboard and the Prometheus alert rules load, and every metric they name is one that
GET /metrics exports (a renamed metric would leave a dashboard empty and an alert silent, without an error)."""

from __future__ import annotations

import json
import re

import yaml

from tests.support.live_server import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "televisit.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
NAME = re.compile(r"\btelevisit_[a-z0-9_]+")
SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("",), "gauge": ("",)}


def exported(client) -> set[str]:
    """Every series name /metrics can hold, from its TYPE lines (a labelled metric with no sample yet included)."""
    text = client.get("/metrics").get_data(as_text=True)
    names = set()
    for family, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.M):
        names |= {family + suffix for suffix in SUFFIXES[kind]}
    return {n for n in names if n.startswith("televisit_")}


def dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [t["expr"] for p in panels for t in p.get("targets", [])]


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def test_the_dashboard_and_the_alerts_name_only_exported_metrics(client):
    have = exported(client)
    assert {"televisit_http_request_duration_seconds_bucket", "televisit_outbox_oldest_due_age_seconds"} <= have
    used = {name for expr in dashboard_exprs() + [r["expr"] for r in alert_rules()] for name in NAME.findall(expr)}
    assert used - have == set(), f"not exported: {sorted(used - have)}"
    dashboard_uses = {n for e in dashboard_exprs() for n in NAME.findall(e)}
    missing = {n for n in have if not n.endswith(("_count", "_sum"))} - dashboard_uses
    assert missing == set(), f"exported but on no panel: {sorted(missing)}"


def test_the_dashboard_is_grafana_json_with_a_prometheus_input():
    doc = json.loads(DASHBOARD.read_text())
    assert doc["uid"] == "televisit" and doc["__inputs"][0]["pluginId"] == "prometheus"
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    for panel in doc["panels"]:
        if panel["type"] != "row":
            assert panel["targets"] and all(t["datasource"]["uid"] == "${DS_PROMETHEUS}" for t in panel["targets"])


def test_the_alerts_cover_a_stuck_outbox_silent_jobs_and_server_errors():
    rules = {r["alert"]: r for r in alert_rules()}
    assert {"TelevisitOutboxStuck", "TelevisitJobsSilent", "TelevisitHigh5xxRate"} <= set(rules)
    assert "televisit_outbox_oldest_due_age_seconds" in rules["TelevisitOutboxStuck"]["expr"]
    assert "televisit_job_last_success_timestamp_seconds" in rules["TelevisitJobsSilent"]["expr"]
    assert 'status=~"5.."' in rules["TelevisitHigh5xxRate"]["expr"]
    for rule in rules.values():
        assert rule["for"] and rule["labels"]["severity"] and rule["annotations"]["summary"], rule["alert"]
