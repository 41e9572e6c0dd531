#!/usr/bin/env bash
# Installs what is missing, builds Tollgate, and runs a working demo on loopback:
# its own PostgreSQL and slapd (demo users and groups) and a small origin, all
# under ./var/, then `tollgate serve` in the foreground. Ctrl-C stops everything.
# Running it again reuses ./var/.
# For tests: DEMO_VAR puts the state elsewhere; TOLLGATE_BIN uses a built binary and
# skips installing and building.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export TOLLGATE_ROOT=$root
# shellcheck source=lib/services.sh
. scripts/lib/services.sh

PROXY_PORT=${PROXY_PORT:-3128}
ADMIN_PORT=${ADMIN_PORT:-9090}
PG_PORT=${PG_PORT:-55432}
LDAP_PORT=${LDAP_PORT:-3890}
ORIGIN_PORT=${ORIGIN_PORT:-8081}

if [ -n "${TOLLGATE_BIN:-}" ]; then
  tollgate=$TOLLGATE_BIN
else
  bash scripts/install-deps.sh
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build --target tollgate
  tollgate=$root/build/app/tollgate
fi

var=${DEMO_VAR:-$root/var}
mkdir -p "$var/spool" "$var/origin/public" "$var/origin/internal"

origin_pid=""
serve_pid=""
cleanup() {
  trap - EXIT INT TERM
  set +e  # stop everything, whatever has already gone
  echo
  echo "demo: stopping"
  [ -n "$serve_pid" ] && kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  [ -n "$origin_pid" ] && kill "$origin_pid" 2>/dev/null || true
  slapd_stop "$var/ldap"
  pg_stop "$var/pg"
  echo "demo: stopped (data kept in ./var/)"
}
trap cleanup EXIT INT TERM

echo "demo: starting PostgreSQL on 127.0.0.1:$PG_PORT and slapd on 127.0.0.1:$LDAP_PORT"
pg_start "$var/pg" "$PG_PORT"
slapd_start "$var/ldap" "$LDAP_PORT"

# A small origin so the demo needs no internet.
echo "<h1>Tollgate demo: public page</h1>" >"$var/origin/public/index.html"
echo "<h1>Tollgate demo: internal page (engineering only)</h1>" >"$var/origin/internal/index.html"
python3 -m http.server "$ORIGIN_PORT" --bind 127.0.0.1 --directory "$var/origin" >"$var/origin.log" 2>&1 &
origin_pid=$!
wait_port "$ORIGIN_PORT" 20 || { echo "demo: the origin did not start; see $var/origin.log" >&2; exit 1; }

[ -f "$var/ldap-password" ] || printf 'service-secret\n' >"$var/ldap-password"
[ -f "$var/audit-ed25519.pem" ] || openssl genpkey -algorithm ed25519 -out "$var/audit-ed25519.pem" 2>/dev/null
chmod 600 "$var/ldap-password" "$var/audit-ed25519.pem"
# An admin bearer token for the API examples; only its SHA-256 is stored.
if [ ! -f "$var/admin-token" ]; then
  head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$var/admin-token"
  chmod 600 "$var/admin-token"
fi
token=$(cat "$var/admin-token")
printf '%s admin demo-token\n' "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)" >"$var/admin-tokens"

# The demo rules name the origin's default port; follow ORIGIN_PORT.
sed -e "s/\[8081\]/[$ORIGIN_PORT]/" deploy/demo/rules.yaml >"$var/rules.yaml"
sed -e "s#@VAR@#$var#g" -e "s#@PROXY_PORT@#$PROXY_PORT#g" -e "s#@ADMIN_PORT@#$ADMIN_PORT#g" \
  -e "s#@PG_PORT@#$PG_PORT#g" -e "s#@LDAP_PORT@#$LDAP_PORT#g" -e "s#@ROOT@#$root#g" \
  deploy/demo/tollgate.yaml.in >"$var/tollgate.yaml"

"$tollgate" check-config --config "$var/tollgate.yaml"
"$tollgate" migrate --config "$var/tollgate.yaml" --migrations "$root/migrations"

cat <<HELP

Tollgate demo is starting on 127.0.0.1:$PROXY_PORT (admin API on 127.0.0.1:$ADMIN_PORT).
Users (password = <user>-pw): alice (engineering), erin (contractors, nested in engineering),
bob (sales), carol (proxy-admins), dave (auditors). Paste these in another terminal:

  # allowed: engineering reaches the internal page
  curl -x http://127.0.0.1:$PROXY_PORT -U alice:alice-pw http://127.0.0.1:$ORIGIN_PORT/internal/
  # denied (403): sales may read /public/ only
  curl -x http://127.0.0.1:$PROXY_PORT -U bob:bob-pw http://127.0.0.1:$ORIGIN_PORT/internal/
  curl -x http://127.0.0.1:$PROXY_PORT -U bob:bob-pw http://127.0.0.1:$ORIGIN_PORT/public/
  # denied (403): blocked category
  curl -x http://127.0.0.1:$PROXY_PORT -U alice:alice-pw http://poker.casino.example/
  # 407: no credentials, then a wrong password
  curl -i -x http://127.0.0.1:$PROXY_PORT http://127.0.0.1:$ORIGIN_PORT/public/
  curl -i -x http://127.0.0.1:$PROXY_PORT -U alice:wrong http://127.0.0.1:$ORIGIN_PORT/public/
  # admin API: the audit trail, as the auditor and with the demo admin token
  curl -u dave:dave-pw 'http://127.0.0.1:$ADMIN_PORT/api/v1/audit?limit=5'
  curl -H 'Authorization: Bearer $token' http://127.0.0.1:$ADMIN_PORT/api/v1/rules
  curl -u carol:carol-pw http://127.0.0.1:$ADMIN_PORT/api/v1/audit/verify
  curl http://127.0.0.1:$ADMIN_PORT/metrics

Ctrl-C stops Tollgate, the origin, slapd and PostgreSQL.
HELP

"$tollgate" serve --config "$var/tollgate.yaml" &
serve_pid=$!
wait "$serve_pid"
