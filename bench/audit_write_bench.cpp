// Sustained audit writes into a local PostgreSQL (issue 6; target >= 100,000 records/s).
// Starts a private PostgreSQL through the test harness, runs the real pg_audit_sink
// (chain + COPY + INSERT ... ON CONFLICT) and prints the figures.
// Usage: audit_write_bench [records=300000] [batch_max=2000] [producers=2]
//                          [connections=N] [bare | sql=STATEMENTS]
// `connections=` sets audit.writer_connections (default: the config default, 2).
// `bare` drops the search indexes of audit_log first (keeping the unique chain key),
// to tell the pipeline's own ceiling from PostgreSQL's index upkeep; `sql=` runs
// STATEMENTS (as the owner) before the run, e.g. to weigh one index.
#include "plausible_record.hpp"
#include "tollgate/audit/pg_audit_sink.hpp"
#include "tollgate/testing/postgres_server.hpp"
#include "tollgate/testing/temp_dir.hpp"

#include <prometheus/registry.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

double value(prometheus::Registry& r, const std::string& name) {
  for (const auto& f : r.Collect())
    if (f.name == name && !f.metric.empty())
      return f.type == prometheus::MetricType::Counter ? f.metric[0].counter.value : f.metric[0].gauge.value;
  return 0;
}


}  // namespace

int main(int argc, char** argv) {
  const long total = argc > 1 ? std::atol(argv[1]) : 300'000;
  const std::size_t batch = argc > 2 ? static_cast<std::size_t>(std::atol(argv[2])) : 2000;
  const int producers = argc > 3 ? std::atoi(argv[3]) : 2;

  bool bare = false;
  std::string sql;
  tollgate::audit::options o;
  for (int i = 4; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "bare") bare = true;
    else if (arg.starts_with("sql=")) sql = arg.substr(4);
    else if (arg.starts_with("connections=")) o.writer_connections = static_cast<std::size_t>(std::atol(arg.c_str() + 12));
    else {
      std::fprintf(stderr, "audit_write_bench: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  auto pg = tollgate::testing::postgres_server::start_new();
  if (!sql.empty()) pg->psql(sql);
  if (bare)
    pg->psql("DROP INDEX audit_log_ts, audit_log_user_ts, audit_log_rhost_ts, audit_log_decision_ts, "
             "audit_log_client_ts");
  tollgate::testing::temp_dir dir("tollgate-audit-bench");
  o.dsn = pg->writer_dsn();
  o.admin_dsn = pg->owner_dsn();
  o.instance = "bench";
  o.spool_dir = dir.file("spool");
  o.queue_capacity = 200'000;
  o.batch_max = batch;
  o.flush_interval = std::chrono::milliseconds(50);
  prometheus::Registry registry;
  auto made = tollgate::audit::pg_audit_sink::create(o, registry);
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return 1;
  }
  auto& sink = **made;

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (long n = p; n < total; n += producers) {
        // Sustained load: keep the queue below the point where the writer would
        // divert to the spool, as a real proxy under steady traffic does.
        while ((n / producers) % 1000 == 0 && value(registry, "tollgate_audit_queue_depth") > 50'000)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        sink.record(tollgate::bench::plausible_record(n));
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto pushed = std::chrono::steady_clock::now();
  while (value(registry, "tollgate_audit_records_written_total") < static_cast<double>(total))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto written = std::chrono::steady_clock::now();
  sink.stop();

  const double secs = std::chrono::duration<double>(written - t0).count();
  std::printf("audit_write_bench: %ld records, batch_max %zu, %d producers, %zu writer connection(s)%s\n", total,
              batch, producers, o.writer_connections,
              bare ? ", search indexes dropped" : !sql.empty() ? ", after sql=" : ", all indexes of the migrations");
  std::printf("  pushed in        %.3f s\n", std::chrono::duration<double>(pushed - t0).count());
  std::printf("  written in       %.3f s  => %.0f records/s into PostgreSQL\n", secs, total / secs);
  std::printf("  spooled %.0f, lost %.0f\n", value(registry, "tollgate_audit_records_spooled_total"),
              value(registry, "tollgate_audit_records_lost_total"));
  for (const auto& f : registry.Collect())
    if (f.name == "tollgate_audit_batch_write_seconds" && !f.metric.empty())
      std::printf("  PostgreSQL batch writes: %llu, %.3f s in total (%.1f ms each)\n",
                  static_cast<unsigned long long>(f.metric[0].histogram.sample_count), f.metric[0].histogram.sample_sum,
                  1000 * f.metric[0].histogram.sample_sum / std::max<double>(1, f.metric[0].histogram.sample_count));
  std::printf("  rows in audit_log: %s", pg->psql("SELECT count(*) FROM audit_log").c_str());
  return 0;
}
