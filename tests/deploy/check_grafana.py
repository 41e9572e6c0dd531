"""deploy/grafana: the dashboard is valid JSON, shows every design metric in at
least one panel query, names no metric outside the design, and its
provisioning files point at it.

usage: check_grafana.py SOURCE_DIR
"""
import json
import os
import re
import sys

import yaml

from deploy_check import DESIGN_METRICS, EXTRA_METRICS, Problems, base_metric

folder = os.path.join(sys.argv[1], "deploy/grafana")
p = Problems("grafana dashboard")
dash = json.load(open(os.path.join(folder, "tollgate-dashboard.json")))

panels = []


def walk(items):
    for item in items:
        panels.append(item)
        walk(item.get("panels", []))


walk(dash.get("panels", []))
exprs = [t.get("expr", "") for panel in panels for t in panel.get("targets", [])]
p.check(len(exprs) > 0, "the dashboard has no panel queries")

used = {base_metric(m) for e in exprs for m in re.findall(r"\btollgate_[a-z_]+", e)}
for metric in DESIGN_METRICS:
    p.check(metric in used, f"design metric {metric} is in no panel expression")
for metric in used:
    p.check(metric in DESIGN_METRICS or metric in EXTRA_METRICS, f"panel uses unknown metric {metric}")

ids = [panel["id"] for panel in panels]
p.check(len(ids) == len(set(ids)), "panel ids are not unique")
p.check(bool(dash.get("uid")) and bool(dash.get("title")), "dashboard needs a uid and a title")
for panel in panels:
    if panel.get("type") == "row":
        continue
    p.check(panel.get("datasource", {}).get("uid") == "${datasource}",
            f"panel '{panel.get('title')}' does not use the $datasource variable")
    g = panel.get("gridPos", {})
    p.check(g.get("x", 0) + g.get("w", 0) <= 24, f"panel '{panel.get('title')}' is wider than the grid")
names = [v["name"] for v in dash.get("templating", {}).get("list", [])]
p.check("datasource" in names and "instance" in names, "templating needs $datasource and $instance")

provider = yaml.safe_load(open(os.path.join(folder, "provisioning/dashboards/tollgate.yml")))
p.check(provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/tollgate",
        "dashboard provider path differs from the compose mount")
ds = yaml.safe_load(open(os.path.join(folder, "provisioning/datasources/prometheus.yml")))
p.check(ds["datasources"][0]["type"] == "prometheus", "provisioned data source is not Prometheus")
p.finish()
