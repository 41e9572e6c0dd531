"""Runs every ```sql block of docs/audit-guide.md against a private PostgreSQL
15 with every migration applied and a few seeded audit rows: each query must
run and return at least one row (the seed matches the guide's examples).

usage: check_audit_guide_sql.py SOURCE_DIR
"""
import glob
import os
import re
import socket
import subprocess
import sys
import tempfile

from deploy_check import Problems, require_tool

source = sys.argv[1]
p = Problems("audit guide SQL")
require_tool("psql")
if not os.path.exists("/usr/lib/postgresql/15/bin/initdb"):
    require_tool("initdb-15-missing")  # skips, or fails under CI=true

guide = open(os.path.join(source, "docs/audit-guide.md")).read()
queries = re.findall(r"```sql\n(.*?)```", guide, re.S)
p.check(len(queries) >= 4, f"only {len(queries)} SQL blocks in the guide")

SEED = """
INSERT INTO rules (priority, action, hosts, comment) VALUES (10, 'deny', '{.casino.example}', 'Blocked: gambling');
INSERT INTO admin_actions (actor, role, action, target) VALUES ('carol', 'admin', 'rule.create', 'rules/1');
INSERT INTO audit_log (ts, instance, seq, event, client_ip, client_port, username, groups, method, scheme,
                       host, port, path, status, decision, rule_id, would_rule_id, policy_version,
                       bytes_up, bytes_down, duration_us, upstream_ip, user_agent, error, prev_hash, hash)
VALUES
 (now() - interval '2 days', 'proxy-a', 1, 'request', '10.1.2.3', 50000, 'alice', '{engineering}', 'GET', 'http',
  'www.example.com', 80, '/', 200, 'allow', 2, NULL, 3, 400, 9000, 1200, '93.184.216.34', 'curl/7.88', NULL, '\\x00', '\\x01'),
 (now() - interval '1 hour', 'proxy-a', 2, 'tunnel_open', '10.1.2.3', 50001, 'alice', '{engineering}', 'CONNECT', 'https',
  'example.com', 443, NULL, 200, 'allow', 2, 7, 3, 0, 0, 0, '93.184.216.34', 'curl/7.88', NULL, '\\x01', '\\x02'),
 (now() - interval '50 minutes', 'proxy-a', 3, 'tunnel_close', '10.1.2.3', 50001, 'alice', '{engineering}', 'CONNECT', 'https',
  'example.com', 443, NULL, 200, 'allow', 2, 7, 3, 5000, 800000, 600000000, '93.184.216.34', 'curl/7.88', NULL, '\\x02', '\\x03'),
 (now() - interval '3 hours', 'proxy-b', 1, 'request', '10.1.2.4', 50002, 'bob', '{sales}', 'GET', 'http',
  'www.casino.example', 80, '/', 403, 'deny', 1, NULL, 3, 0, 0, 300, NULL, 'Firefox', NULL, '\\x00', '\\x11'),
 (now() - interval '2 hours', 'proxy-b', 2, 'request', '10.1.2.5', 50003, 'mallory', NULL, 'GET', 'http',
  'example.com', 80, '/', 407, 'auth_failed', NULL, NULL, 3, 0, 0, 100, NULL, 'curl', NULL, '\\x11', '\\x12'),
 (now() - interval '2 hours', 'proxy-b', 3, 'request', '10.1.2.5', 50004, 'mallory', NULL, 'GET', 'http',
  'example.com', 80, '/', 407, 'auth_failed', NULL, NULL, 3, 0, 0, 100, NULL, 'curl', NULL, '\\x12', '\\x13'),
 (now() - interval '2 hours', 'proxy-b', 4, 'request', '10.1.2.5', 50005, 'mallory', NULL, 'GET', 'http',
  'example.com', 80, '/', 407, 'auth_failed', NULL, NULL, 3, 0, 0, 100, NULL, 'curl', NULL, '\\x13', '\\x14'),
 (now() - interval '30 minutes', 'proxy-b', 5, 'request', '10.1.2.6', 50006, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, 407, 'auth_required', NULL, NULL, 3, 90000, 120000, 9000000, NULL, NULL,
  'aggregate of 250 requests over the per-client rate', '\\x14', '\\x15'),
 (TIMESTAMPTZ '2025-03-14 10:00:00 Europe/Berlin', 'proxy-a', 100, 'request', '10.1.2.3', 50100, 'alice', '{engineering}',
  'GET', 'http', 'docs.example.org', 80, '/guide', 200, 'allow', 2, NULL, 2, 300, 4000, 900, '192.0.2.10', 'curl/7.88',
  NULL, '\\x20', '\\x21');
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


services = os.path.join(source, "scripts/lib/services.sh")
with tempfile.TemporaryDirectory() as tmp:
    os.chmod(tmp, 0o755)
    pg_dir = os.path.join(tmp, "pg")
    port = free_port()
    start = subprocess.run(["bash", "-c", f'source "{services}" && pg_start "{pg_dir}" {port}'],
                           capture_output=True, text=True)
    try:
        if not p.check(start.returncode == 0, f"private PostgreSQL did not start: {start.stdout}{start.stderr}"):
            p.finish()
        dsn = f"postgresql://tollgate@127.0.0.1:{port}/tollgate"

        def psql(sql=None, file=None):
            args = ["psql", dsn, "-X", "-v", "ON_ERROR_STOP=1", "-qtA"]
            args += ["-1", "-f", file] if file else ["-c", sql]
            return subprocess.run(args, capture_output=True, text=True)

        for migration in sorted(glob.glob(os.path.join(source, "migrations", "*.sql"))):
            r = psql(file=migration)
            p.check(r.returncode == 0, f"{os.path.basename(migration)}: {r.stderr}")
        r = psql(SEED)
        if not p.check(r.returncode == 0, f"seed failed: {r.stderr}"):
            p.finish()
        for i, query in enumerate(queries, 1):
            first = query.strip().splitlines()[0]
            r = psql(query)
            if p.check(r.returncode == 0, f"query {i} ({first}...) fails: {r.stderr.strip()}"):
                rows = [line for line in r.stdout.splitlines() if line.strip()]
                p.check(len(rows) >= 1, f"query {i} ({first}...) returned no row for the seeded data")
                print(f"query {i}: {len(rows)} row(s)")
    finally:
        subprocess.run(["bash", "-c", f'source "{services}" && pg_stop "{pg_dir}"'], capture_output=True)
p.finish()
