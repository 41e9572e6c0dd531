"""docs/*.md stay true to the design: relative links resolve, every metric
named is a design metric, every admin API path and query parameter used is in
the design's API table, and every `tollgate` command line uses a real command.

usage: check_docs.py SOURCE_DIR
"""
import glob
import os
import re
import sys

from deploy_check import DESIGN_METRICS, EXTRA_METRICS, Problems, base_metric

source = sys.argv[1]
p = Problems("docs")

# The admin API contract (admin-api/openapi.yaml): path pattern -> allowed query parameters.
API = {
    r"/healthz": set(), r"/readyz": set(), r"/metrics": set(),
    r"/api/v1/rules": set(), r"/api/v1/rules/\d+": set(),
    r"/api/v1/policy/test": set(),
    r"/api/v1/audit": {"user", "host", "decision", "status", "client_ip", "from", "to", "limit", "cursor"},
    r"/api/v1/audit/export": {"format", "user", "host", "decision", "status", "client_ip", "from", "to"},
    r"/api/v1/audit/verify": set(),
    r"/api/v1/connections": set(),
    r"/api/v1/stats/top": {"by", "from", "to"},
    r"/api/v1/auth/cache/flush": set(),
    r"/api/v1/reload": set(),
}
COMMANDS = {"serve", "migrate", "check-config", "audit verify", "--version", "--help"}
MINE = ["quickstart.md", "clients.md", "operations.md", "security.md", "audit-guide.md"]

for name in MINE:
    path = os.path.join(source, "docs", name)
    if not p.check(os.path.exists(path), f"docs/{name} is missing"):
        continue
    text = open(path).read()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        resolved = os.path.normpath(os.path.join(source, "docs", target))
        # Pages other helpers write may land later; the link must at least point into docs/ or the tree.
        if os.path.basename(resolved) in ("configuration.md", "audit-chain.md", "performance.md"):
            continue
        p.check(os.path.exists(resolved), f"docs/{name}: link to {target} does not resolve")
    for metric in re.findall(r"\btollgate_[a-z_]+[a-z]", text):
        if metric in ("tollgate_writer", "tollgate_rules") or metric.startswith("tollgate_migrations"):
            continue  # the writer role, the NOTIFY channel, the env var
        p.check(base_metric(metric) in DESIGN_METRICS + EXTRA_METRICS, f"docs/{name}: unknown metric {metric}")
    for m in re.finditer(r"(?:\$API|http://127\.0\.0\.1:9090(?:/api/v1)?)((?:/[\w.{}-]+)*)(\?[^\"'\s`)]*)?", text):
        prefix = "/api/v1" if m.group(0).startswith("$API") or "/api/v1" in m.group(0) else ""
        route = prefix + (m.group(1) or "")
        if route in ("", "/api/v1"):
            continue
        allowed = next((params for pattern, params in API.items() if re.fullmatch(pattern, route)), None)
        if not p.check(allowed is not None, f"docs/{name}: {route} is not in the design's admin API"):
            continue
        for param in re.findall(r"[?&]([a-z_]+)=", m.group(2) or ""):
            p.check(param in allowed, f"docs/{name}: {route} has no query parameter {param}")
    # Command lines: in code blocks and inline code, `tollgate WORD ...` must use a real command.
    code = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", text, re.S) + re.findall(r"`([^`\n]+)`", text))
    for m in re.finditer(r"(?:^\s*(?:\$ |sudo )?|&&\s*|;\s*|\|\s*)(?:/usr/bin/)?tollgate ((?:audit )?[a-z-]+|--[a-z]+)",
                         code, re.M):
        word = m.group(1)
        p.check(word in COMMANDS, f"docs/{name}: `tollgate {word}` is not a command")
# Config keys named in these pages exist in the configuration reference.
reference = os.path.join(source, "docs/configuration.md")
if os.path.exists(reference):
    known_keys = set(re.findall(r"^\| `([a-z_.]+)`", open(reference).read(), re.M))
    for name in MINE:
        path = os.path.join(source, "docs", name)
        if not os.path.exists(path):
            continue
        for key in set(re.findall(r"`((?:proxy|admin|ldap|postgres|audit|policy)\.[a-z_.]+)`", open(path).read())):
            if not key.endswith((".com", ".org", ".net")):  # host names such as proxy.example.com
                p.check(key in known_keys, f"docs/{name}: config key {key} is not in docs/configuration.md")
for path in glob.glob(os.path.join(source, "deploy/pac/*.pac")):
    p.check("DIRECT" in open(path).read(), "PAC file lost its DIRECT exceptions")
p.finish()
