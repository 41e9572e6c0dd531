#include "tollgate/audit/table_upkeep.hpp"

#include "tollgate/audit/admin_actions.hpp"
#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/checkpoint.hpp"
#include "tollgate/audit/retention_record.hpp"
#include "tollgate/pg/connect.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <ctime>
#include <regex>
#include <stdexcept>

namespace tollgate::audit {
namespace {

// `months` calendar months before `now` (the day clamped to the month's last).
std::chrono::system_clock::time_point months_before(const std::tm& now, unsigned months) {
  const int target = now.tm_year * 12 + now.tm_mon - static_cast<int>(months);
  std::tm t = now;
  t.tm_year = target / 12;
  t.tm_mon = target % 12;
  std::tm next{};
  next.tm_year = (target + 1) / 12;
  next.tm_mon = (target + 1) % 12;
  next.tm_mday = 1;
  const auto month_end = ::timegm(&next);
  return std::chrono::system_clock::from_time_t(std::min(::timegm(&t), month_end - 1));
}

// Months since year 0 for "YYYYMM", or -1.
int month_index(const std::string& yyyymm) {
  if (yyyymm.size() != 6) return -1;
  for (const char c : yyyymm)
    if (c < '0' || c > '9') return -1;
  return std::stoi(yyyymm.substr(0, 4)) * 12 + std::stoi(yyyymm.substr(4, 2)) - 1;
}

}  // namespace

upkeep_report run_table_upkeep(const std::string& admin_dsn, unsigned retention_months,
                               std::chrono::system_clock::time_point now, const checkpoint_signer* signer,
                               int months_ahead) {
  upkeep_report report;
  const auto now_secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&now_secs, &tm);
  const int current = (tm.tm_year + 1900) * 12 + tm.tm_mon;
  char now_text[80];
  std::snprintf(now_text, sizeof now_text, "%04d-%02d-%02d %02d:%02d:%02d+00", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  try {
    const auto opened = pg::connect(admin_dsn).value();  // throws with libpq's reason
    auto& conn = *opened;
    {
      pqxx::work tx(conn);
      for (int ahead = 0; ahead <= months_ahead; ++ahead) {
        const auto r = tx.exec_params("SELECT audit_ensure_partition($1::timestamptz + make_interval(months => $2))",
                                      std::string(now_text), ahead);
        report.ensured.push_back(r[0][0].c_str());
      }
      tx.commit();
    }
    if (retention_months == 0) return report;
    if (signer == nullptr) {
      report.retention_refused =
          "no audit signing key: a drop Tollgate cannot sign would read as a deletion, so partitions are kept";
      return report;
    }

    // A partition for month M is dropped once M + 1 <= current - retention: all its
    // rows are at least retention_months whole months old.
    const int cutoff = current - static_cast<int>(retention_months);
    const auto cutoff_time = months_before(tm, retention_months);  // later than every dropped row
    std::vector<std::string> victims;
    {
      pqxx::nontransaction tx(conn);
      const auto r = tx.exec(
          "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
          "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'audit_log' ORDER BY 1");
      static const std::regex name_re("^audit_log_([0-9]{6})$");
      for (const auto& row : r) {
        const std::string name = row[0].c_str();
        std::smatch m;
        if (!std::regex_match(name, m, name_re)) continue;
        const int month = month_index(m[1].str());
        if (month >= 0 && month < cutoff) victims.push_back(name);
      }
    }
    for (const auto& name : victims) {
      pqxx::work tx(conn);
      const auto table = tx.quote_name(name);
      const auto heads = tx.exec(
          "SELECT instance, min(seq), max(seq), count(*), "
          "encode((array_agg(hash ORDER BY seq DESC))[1], 'hex') FROM " + table + " GROUP BY instance ORDER BY 1");
      retention_record record{name, retention_months, cutoff_time, {}, {}};
      for (const auto& row : heads) {
        retained_chain c{row[0].c_str(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                         row[3].as<std::int64_t>(), {}};
        from_hex(row[4].c_str(), c.last_hash);
        record.chains.push_back(std::move(c));
      }
      record.signature = signer->sign_message(retention_message(record));
      record_admin_action(tx, {.actor = "tollgate",
                               .role = "system",
                               .action = "audit.retention.drop_partition",
                               .target = name,
                               .before = to_json_text(record),
                               .after = {},
                               .client_ip = {}});
      tx.exec("DROP TABLE " + table);
      tx.commit();
      report.dropped.push_back(name);
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("audit partition upkeep: ") + e.what());
  }
  return report;
}

}  // namespace tollgate::audit
