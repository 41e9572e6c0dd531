"""Shared helpers for the deploy/ checks (ctest -L deploy).

A check exits 0 when everything holds, 1 with every problem printed, and 77
(ctest SKIP_RETURN_CODE) when a tool it needs is missing -- except with
CI=true, where a missing tool is a failure (style.md, "Tests").
"""
import os
import shutil
import sys

SKIP = 77

# The metric names of the contract (prefix tollgate_). Histograms appear as *_bucket etc.
DESIGN_METRICS = [
    "tollgate_requests_total",
    "tollgate_request_duration_seconds",
    "tollgate_active_connections",
    "tollgate_auth_total",
    "tollgate_auth_cache_total",
    "tollgate_ldap_request_duration_seconds",
    "tollgate_ldap_errors_total",
    "tollgate_upstream_errors_total",
    "tollgate_bytes_total",
    "tollgate_audit_queue_depth",
    "tollgate_audit_records_written_total",
    "tollgate_audit_records_spooled_total",
    "tollgate_audit_records_lost_total",
    "tollgate_policy_rules",
    "tollgate_build_info",
]
# Needed for the certificate alert when the admin listener speaks TLS, and for the
# adversary defences of issue 16 (flood, lockout, spool quarantine), which the docs name.
EXTRA_METRICS = [
    "tollgate_admin_tls_cert_expiry_timestamp_seconds",
    "tollgate_audit_queue_bytes",
    "tollgate_audit_records_aggregated_total",
    "tollgate_audit_records_truncated_total",
    "tollgate_audit_spool_quarantined_files",
    "tollgate_auth_lockout_full_total",
    "tollgate_auth_throttled_total",
    "tollgate_flood_tracked_clients",
]
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def base_metric(name):
    """tollgate_x_seconds_bucket -> tollgate_x_seconds when x_seconds is a design histogram."""
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in DESIGN_METRICS:
            return name[: -len(suffix)]
    return name


def require_tool(name):
    """Path of tool `name`; exits SKIP (or 1 under CI=true) when it is missing."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI") == "true":
        print(f"FAIL: required tool '{name}' is not installed (CI=true)")
        sys.exit(1)
    print(f"SKIP: '{name}' is not installed (scripts/install-deps.sh installs it)")
    sys.exit(SKIP)


class Problems:
    """Collects every problem, so one run shows all of them."""

    def __init__(self, what):
        self.what = what
        self.items = []
        self.checks = 0

    def check(self, ok, message):
        self.checks += 1
        if not ok:
            self.items.append(message)
        return ok

    def finish(self):
        for item in self.items:
            print(f"FAIL: {item}")
        if self.items:
            print(f"{self.what}: {len(self.items)} of {self.checks} checks failed")
            sys.exit(1)
        print(f"{self.what}: all {self.checks} checks passed")
        sys.exit(0)
