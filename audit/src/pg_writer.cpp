#include "pg_writer.hpp"

#include "tollgate/audit/canonical.hpp"

#include <pqxx/pqxx>

#include <ctime>
#include <tuple>

namespace tollgate::audit {
namespace {

using opt_text = std::optional<std::string>;
using row = std::tuple<std::string, std::string, std::int64_t, std::string, opt_text, int, opt_text, std::string,
                       opt_text, opt_text, opt_text, int, opt_text, int, std::string, std::optional<std::int64_t>,
                       std::optional<std::int64_t>, std::int64_t, std::int64_t, std::int64_t, std::int64_t, opt_text,
                       opt_text, opt_text, std::string, std::string>;

const std::vector<std::string>& columns() {
  static const std::vector<std::string> c = {
      "ts",          "instance",      "seq",            "event",    "client_ip",  "client_port", "username",
      "groups",      "method",        "scheme",         "host",     "port",       "path",        "status",
      "decision",    "rule_id",       "would_rule_id",  "policy_version", "bytes_up", "bytes_down", "duration_us",
      "upstream_ip", "user_agent",    "error",          "prev_hash", "hash"};
  return c;
}

opt_text nullable(const std::string& s) { return s.empty() ? opt_text{} : opt_text{s}; }

std::string bytea(const std::vector<std::uint8_t>& b) { return "\\x" + to_hex(b); }

row to_row(const audit_record& r) {
  return row{format_timestamptz(to_unix_micros(r.ts)),
             r.instance,
             r.seq,
             std::string(to_string(r.event)),
             nullable(r.client_ip),
             r.client_port,
             nullable(r.username),
             format_text_array(r.groups),
             nullable(r.method),
             nullable(r.scheme),
             nullable(r.host),
             r.port,
             nullable(r.path),
             r.status,
             r.decision,
             r.rule_id,
             r.would_rule_id,
             r.policy_version,
             static_cast<std::int64_t>(r.bytes_up),
             static_cast<std::int64_t>(r.bytes_down),
             static_cast<std::int64_t>(r.duration_us),
             nullable(r.upstream_ip),
             nullable(r.user_agent),
             nullable(r.error),
             bytea(r.prev_hash),
             bytea(r.hash)};
}

}  // namespace

std::string with_connect_timeout(const std::string& dsn, int seconds) {
  if (dsn.find("connect_timeout") != std::string::npos) return dsn;
  const auto value = std::to_string(seconds);
  if (dsn.starts_with("postgresql://") || dsn.starts_with("postgres://"))
    return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + value;
  return dsn + (dsn.empty() ? "" : " ") + "connect_timeout=" + value;
}

std::string format_timestamptz(std::int64_t us) {
  std::int64_t secs = us / 1'000'000;
  std::int64_t frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

std::string format_text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (const char c : items[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

struct pg_writer::impl {
  pqxx::connection conn;
  explicit impl(const std::string& dsn) : conn(dsn) {}
};

pg_writer::pg_writer(std::string dsn) : dsn_(with_connect_timeout(dsn, 5)) {}
pg_writer::~pg_writer() = default;

bool pg_writer::connected() const noexcept { return impl_ != nullptr; }

bool pg_writer::connect(std::string& error) {
  if (impl_) return true;
  try {
    auto i = std::make_unique<impl>(dsn_);
    pqxx::nontransaction tx(i->conn);
    tx.exec("SET application_name = 'tollgate-audit'");
    // A hung server must not hold the writer forever: the batch then goes to the spool.
    tx.exec("SET statement_timeout = '30s'");
    tx.exec("CREATE TEMP TABLE IF NOT EXISTS audit_stage (LIKE audit_log INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
    impl_ = std::move(i);
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

std::optional<std::size_t> pg_writer::write(std::span<const audit_record> batch, batch_kind kind,
                                            std::string& error) {
  if (!connect(error)) return std::nullopt;
  try {
    pqxx::work tx(impl_->conn);
    {
      pqxx::stream_to copy(tx, kind == batch_kind::fresh ? "audit_log" : "audit_stage", columns());
      for (const auto& r : batch) copy << to_row(r);
      copy.complete();
    }
    if (kind == batch_kind::fresh) {
      tx.commit();
      return batch.size();
    }
    const auto result = tx.exec("INSERT INTO audit_log SELECT * FROM audit_stage ON CONFLICT DO NOTHING");
    tx.commit();
    return static_cast<std::size_t>(result.affected_rows());
  } catch (const std::exception& e) {
    error = e.what();
    impl_.reset();  // whatever state the session is in, start clean next time
    return std::nullopt;
  }
}

std::optional<chain_head> pg_writer::read_head(const std::string& instance, std::string& error) {
  if (!connect(error)) return std::nullopt;
  try {
    pqxx::nontransaction tx(impl_->conn);
    const auto r = tx.exec_params(
        "SELECT seq, encode(hash, 'hex') FROM audit_log WHERE instance = $1 ORDER BY seq DESC LIMIT 1", instance);
    chain_head head;
    if (!r.empty()) {
      head.seq = r[0][0].as<std::int64_t>();
      if (!from_hex(r[0][1].c_str(), head.hash)) {
        error = "audit_log hash of " + instance + " is not hex";
        return std::nullopt;
      }
    }
    return head;
  } catch (const std::exception& e) {
    error = e.what();
    impl_.reset();
    return std::nullopt;
  }
}

}  // namespace tollgate::audit
