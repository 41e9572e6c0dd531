#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan; the `fuzz` CMake preset) and runs
# each for a bounded time on its seed corpus (tests/fuzz/corpus/<target>/).
#   bash scripts/fuzz.sh                 # 60 s per target
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh fuzz_request_head
# New inputs go to build-fuzz/corpus/<target>/ (the seeds stay as they are); a crash
# leaves build-fuzz/artifacts/<target>/crash-* and makes the script fail: turn each
# into a regression test (a unit test with that input) before fixing it.
# FUZZ_BUILD_DIR=build-asan uses that (already configured) build instead of the
# `fuzz` preset: scripts/test.sh runs the targets there for a short time.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_request_head fuzz_response_head fuzz_proxy_authorization fuzz_host_policy
                                     fuzz_request_path fuzz_admin_input fuzz_config_loader fuzz_spool_reader)

command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
[ -n "${FUZZ_BUILD_DIR:-}" ] || cmake --preset fuzz >/dev/null
cmake --build "$build" --target "${targets[@]}"

failed=()
for t in "${targets[@]}"; do
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$work" "$artifacts"
  echo "== $t: ${seconds}s"
  # Quiet spdlog output from the code under test; libFuzzer's own report stays on stderr.
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "tests/fuzz/corpus/$t" \
      >"$build/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 40 "$build/$t.log"
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE" "$build/$t.log" | tr '\n' ' '
  echo
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]} (inputs under $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s), ${seconds}s each, no crash"
