"""deploy/prometheus: `promtool check rules`, `promtool test rules`,
`promtool check config`, and every metric an alert names exists in the design.

usage: check_prometheus.py SOURCE_DIR
"""
import os
import re
import subprocess
import sys

import yaml

from deploy_check import DESIGN_METRICS, EXTRA_METRICS, Problems, base_metric, require_tool

folder = os.path.join(sys.argv[1], "deploy/prometheus")
p = Problems("prometheus rules")
promtool = require_tool("promtool")


def run(*args):
    r = subprocess.run([promtool, *args], cwd=folder, capture_output=True, text=True)
    print(r.stdout + r.stderr)
    return r.returncode == 0


p.check(run("check", "rules", "tollgate-alerts.yml"), "promtool check rules failed")
p.check(run("test", "rules", "tollgate-alerts.test.yml"), "promtool test rules failed")
p.check(run("check", "config", "prometheus.yml"), "promtool check config failed")

rules = yaml.safe_load(open(os.path.join(folder, "tollgate-alerts.yml")))
alerts = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
known = set(DESIGN_METRICS) | set(EXTRA_METRICS)
for name, expr in alerts.items():
    for metric in re.findall(r"\btollgate_[a-z_]+", expr):
        p.check(base_metric(metric) in known, f"alert {name} uses {metric}, which is not a design metric")

# The alerts issue 8 asks for, by the metric each must watch.
wanted = {
    "lost audit record": "tollgate_audit_records_lost_total",
    "audit queue growing": "tollgate_audit_queue_depth",
    "spool in use": "tollgate_audit_records_spooled_total",
    "LDAP errors": "tollgate_ldap_errors_total",
    "5xx rate": 'tollgate_requests_total{decision="error"}',
    "upstream errors": "tollgate_upstream_errors_total",
    "cert expiry": "tollgate_admin_tls_cert_expiry_timestamp_seconds",
}
for what, needle in wanted.items():
    p.check(any(needle in e for e in alerts.values()), f"no alert for {what} ({needle})")

tests = yaml.safe_load(open(os.path.join(folder, "tollgate-alerts.test.yml")))
tested = {t["alertname"] for case in tests["tests"] for t in case.get("alert_rule_test", [])}
p.check("TollgateAuditRecordLost" in tested, "the lost-record alert has no unit test")
p.finish()
