// What the audit writer spends per record before PostgreSQL sees it (issue 9's
// "audit record encoding"): sanitizing, chaining (canonical encoding + SHA-256)
// and the COPY text line. bench/audit_write_bench measures the whole pipeline into
// PostgreSQL.
#include "copy_text.hpp"
#include "plausible_record.hpp"
#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/chain.hpp"

#include <benchmark/benchmark.h>
#include <pqxx/pqxx>

#include <chrono>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace tollgate::audit;


audit_record sealed(long n) {
  chain_head head;
  auto r = tollgate::bench::plausible_record(n);
  sanitize(r);
  chain_append(head, "bench", r);
  return r;
}

// Copies made outside the timed region, a batch at a time (Pause/ResumeTiming per
// iteration would cost more than what is measured).
class record_supply {
 public:
  explicit record_supply(benchmark::State& state) : state_(state) { refill(); }
  audit_record& next() {
    if (i_ == batch_.size()) {
      state_.PauseTiming();
      refill();
      state_.ResumeTiming();
    }
    return batch_[i_++];
  }

 private:
  void refill() {
    batch_.assign(4096, tollgate::bench::plausible_record(1));
    i_ = 0;
  }
  benchmark::State& state_;
  std::vector<audit_record> batch_;
  std::size_t i_ = 0;
};

void audit_sanitize(benchmark::State& state) {
  record_supply supply(state);
  for (auto _ : state) {
    auto& r = supply.next();
    sanitize(r);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(audit_sanitize);

// One-off: OpenSSL looks SHA-256 up by name for every record.
void audit_chain_append(benchmark::State& state) {
  chain_head head;
  auto r = tollgate::bench::plausible_record(1);
  sanitize(r);
  for (auto _ : state) {
    chain_append(head, "bench", r);
    benchmark::DoNotOptimize(head);
  }
}
BENCHMARK(audit_chain_append);

// As the writer does it: one chain_hasher for every record.
void audit_chain_append_kept_hasher(benchmark::State& state) {
  chain_head head;
  chain_hasher hasher;
  auto r = tollgate::bench::plausible_record(1);
  sanitize(r);
  for (auto _ : state) {
    chain_append(head, "bench", r, hasher);
    benchmark::DoNotOptimize(head);
  }
}
BENCHMARK(audit_chain_append_kept_hasher);

void audit_copy_line(benchmark::State& state) {
  const auto r = sealed(1);
  std::string out;
  out.reserve(1 << 16);
  for (auto _ : state) {
    out.clear();
    append_copy_line(out, r);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes/line"] = static_cast<double>(out.size());
}
BENCHMARK(audit_copy_line);

// The same line through libpqxx 6.4's tuple escaping (stream_to's operator<<), as
// the writer did before it formatted COPY text itself: the reference figure.
void audit_copy_line_libpqxx_tuple(benchmark::State& state) {
  const auto r = sealed(1);
  using opt = std::optional<std::string>;
  const auto nullable = [](const std::string& s) { return s.empty() ? opt{} : opt{s}; };
  for (auto _ : state) {
    const auto row = std::make_tuple(
        format_timestamptz(to_unix_micros(r.ts)), r.instance, r.seq, std::string(to_string(r.event)),
        nullable(r.client_ip), static_cast<int>(r.client_port), nullable(r.username),
        std::string("{\"engineering\",\"engineering-all\"}"), nullable(r.method), nullable(r.scheme),
        nullable(r.host), static_cast<int>(r.port), nullable(r.path), r.status, r.decision, r.rule_id,
        r.would_rule_id, r.policy_version, static_cast<std::int64_t>(r.bytes_up),
        static_cast<std::int64_t>(r.bytes_down), static_cast<std::int64_t>(r.duration_us), nullable(r.upstream_ip),
        nullable(r.user_agent), nullable(r.error), "\\x" + to_hex(r.prev_hash), "\\x" + to_hex(r.hash));
    auto line = pqxx::separated_list("\t", row, pqxx::internal::TypedCopyEscaper());
    benchmark::DoNotOptimize(line.data());
  }
}
BENCHMARK(audit_copy_line_libpqxx_tuple);

// Everything the writer does per record, as it does it for a batch: sealing in
// the writer thread, the COPY line in a writer connection's thread.
void audit_writer_per_record(benchmark::State& state) {
  record_supply supply(state);
  chain_head head;
  chain_hasher hasher;
  std::string out;
  out.reserve(1 << 17);
  for (auto _ : state) {
    auto& r = supply.next();
    sanitize(r);
    chain_append(head, "bench", r, hasher);
    if (out.size() > (1 << 16)) out.clear();  // as the writer sends a piece
    append_copy_line(out, r);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(audit_writer_per_record);

}  // namespace

BENCHMARK_MAIN();
