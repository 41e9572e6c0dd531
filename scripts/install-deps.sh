#!/usr/bin/env bash
# Installs, from Debian's archive only, everything Tollgate needs to build,
# test and run its demo. A no-op when every package is already present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libboost-program-options1.81-dev
  libpqxx-dev libldap-dev prometheus-cpp-dev libyaml-cpp-dev libspdlog-dev
  libssl-dev libidn2-dev libunistring-dev liburing-dev libgtest-dev libgmock-dev libbenchmark-dev libhowardhinnant-date-dev tzdata
  postgresql slapd ldap-utils curl openssl python3 procps wrk prometheus
  systemd prometheus python3-yaml nodejs file
  clang libclang-rt-14-dev llvm lld
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
# slapd's package would otherwise build a database of its own; tests run their own.
echo "slapd slapd/no_configuration boolean true" | "${sudo_cmd[@]}" debconf-set-selections
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

# Packaged services are never relied on; stop any that apt started (by PID file).
# prometheus is here for promtool only; its server would take port 9090.
if [ -d /run/systemd/system ] && [[ " ${missing[*]} " == *" prometheus "* ]]; then
  "${sudo_cmd[@]}" systemctl disable --now prometheus.service 2>/dev/null || true
fi
for pidfile in /run/slapd/slapd.pid /var/run/postgresql/15-main.pid /run/prometheus/prometheus.pid; do
  if [ -f "$pidfile" ]; then
    "${sudo_cmd[@]}" kill "$(head -n1 "$pidfile")" 2>/dev/null || true
  fi
done
