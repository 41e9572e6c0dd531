#pragma once
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/audit/options.hpp"
#include "tollgate/audit/pg_audit_sink.hpp"
#include "tollgate/audit/verify.hpp"
#include "tollgate/testing/services_environment.hpp"
#include "tollgate/testing/temp_dir.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace tollgate::audit::test {

/// A request record; `n` varies the fields.
audit_record request(int n);

/// The first day of the month `delta` months from now, 12:00 UTC, and its YYYYMM.
std::chrono::system_clock::time_point month_from_now(int delta, std::string* yyyymm = nullptr);

/// Polls `cond` every 20 ms until true or `timeout`.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// Value of a counter or gauge in `registry` (-1 when absent).
double metric(prometheus::Registry& registry, const std::string& name);

/// Each test gets its own chain (instance name), spool folder, key and checkpoint file.
class audit_pg_test : public ::testing::Test {
 protected:
  void SetUp() override;

  testing::postgres_server& pg() { return testing::services_environment::postgres(); }
  options sink_options() const;
  std::unique_ptr<pg_audit_sink> make_sink(const options& o, prometheus::Registry& registry);
  /// `SELECT …` through psql as the owner, trimmed.
  std::string sql(const std::string& query, const std::string& role = "tollgate");
  long long rows() { return std::stoll(sql("SELECT count(*) FROM audit_log WHERE instance = '" + instance_ + "'")); }
  /// verify_audit_chains() as the owner, with this test's checkpoints; this chain's report.
  chain_report verify_mine();

  std::string instance_;
  std::unique_ptr<testing::temp_dir> dir_;
  std::string key_file_;
  std::string checkpoint_file_;
};

}  // namespace tollgate::audit::test
