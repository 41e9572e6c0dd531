#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit and
# integration, against real PostgreSQL and slapd that the tests start themselves),
# then runs it again under the sanitizers:
#   1. the RelWithDebInfo build (build/, network I/O on io_uring): every test;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/, preset `asan`,
#      clang, the epoll backend as the container image builds): the unit and
#      integration tests, with the tollgate binary they start;
#      then each libFuzzer target for FUZZ_SECONDS (10) on its seed corpus
#      (scripts/fuzz.sh; the seeds and past findings also run in stage 1);
#   3. ThreadSanitizer (build-tsan/, preset `tsan`, clang): the unit tests of the
#      concurrent parts (audit record queue and sink, credential cache and lockout,
#      policy engine swap).
# Any sanitizer report, from a test program or from a tollgate it started, fails
# the run: reports go to files (log_path) that are checked at the end of each stage.
# TOLLGATE_SANITIZERS=0 runs stage 1 only (a quick local run).
# Usage: bash scripts/test.sh            (as root, or a user with sudo for apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/install-deps.sh

build_dir=${TOLLGATE_BUILD_DIR:-build}
jobs=$(nproc)
stage() { echo "test.sh: $* ($(date +%H:%M:%S))"; }

stage "1/3 build and test ($build_dir)"
# Line tables (-g1) instead of full debug info: a quarter less compile time, and
# backtraces still name files and lines.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
cmake --build "$build_dir" -j "$jobs"
# Unit tests run in parallel; integration programs are RUN_SERIAL (they start servers).
# A failed test program is run once more before it counts: a few integration tests
# wait on timers and have failed once under heavy machine load (see the stop note).
ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j "$jobs" --timeout 900 --repeat until-pass:2

[ "${TOLLGATE_SANITIZERS:-1}" != 0 ] || exit 0

reports=$(mktemp -d /tmp/tollgate-sanitizer-reports.XXXXXX)
chmod 0777 "$reports"
# Fails when any sanitizer wrote a report: a rerun that passed does not hide one.
check_reports() {
  if compgen -G "$reports/*" >/dev/null; then
    echo "test.sh: sanitizer reports in $reports:" >&2
    for f in "$reports"/*; do echo "== $f" >&2; head -n 60 "$f" >&2; done
    exit 1
  fi
}
supp="$root/tests/sanitizers"

stage "2/3 AddressSanitizer + UndefinedBehaviorSanitizer, epoll backend (build-asan)"
cmake --preset asan >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS="log_path=$reports/asan:abort_on_error=0:halt_on_error=1:detect_leaks=1:strict_init_order=1" \
LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0" \
UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp" \
  ctest --test-dir build-asan --output-on-failure --no-tests=error -j "$jobs" -L 'unit|integration' \
    --timeout 900 --repeat until-pass:2
check_reports
FUZZ_BUILD_DIR=build-asan FUZZ_SECONDS=${FUZZ_SECONDS:-10} \
ASAN_OPTIONS="log_path=$reports/fuzz-asan:detect_leaks=1" UBSAN_OPTIONS="log_path=$reports/fuzz-ubsan:print_stacktrace=1" \
  bash scripts/fuzz.sh
check_reports

stage "3/3 ThreadSanitizer: the concurrent parts (build-tsan)"
tsan_tests=(tests/unit/audit/audit_unit_test tests/unit/auth/auth_ldap_unit_tests
            tests/unit/policy/policy_unit_tests)
cmake --preset tsan >/dev/null
cmake --build build-tsan -j "$jobs" --target "${tsan_tests[@]##*/}"
for t in "${tsan_tests[@]}"; do
  TSAN_OPTIONS="log_path=$reports/tsan:halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp" \
    "build-tsan/$t" --gtest_color=no --gtest_brief=1
done
check_reports
stage "done: every stage passed, no sanitizer report"
