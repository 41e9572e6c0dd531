#include "pg_writer.hpp"

#include "copy_text.hpp"
#include "tollgate/audit/canonical.hpp"

#include <pqxx/pqxx>
#include <pqxx/tablewriter>

namespace tollgate::audit {
namespace {

// Rows go to PostgreSQL in pieces of about this size: COPY data need not be split
// at row boundaries, so one libpq call carries many rows.
constexpr std::size_t copy_chunk_bytes = 64 * 1024;

// Sends `batch` as COPY text to `table` inside `tx`.
void copy_batch(pqxx::transaction_base& tx, const std::string& table, std::span<const audit_record> batch) {
  const auto& columns = audit_copy_columns();
  // libpqxx 6.4 keeps stream_to's raw-line write private; tablewriter has the
  // same COPY FROM STDIN with a public one (libpqxx 7's stream_to::write_raw_line).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter copy(tx, table, columns.begin(), columns.end());
#pragma GCC diagnostic pop
  // Formatted here rather than by libpqxx's tuple escaping, which cost more than
  // the rest of the writer together (a string per field, octal escapes).
  std::string chunk;
  chunk.reserve(copy_chunk_bytes + 4096);
  const auto send = [&] {
    if (chunk.empty()) return;
    chunk.pop_back();  // write_raw_line adds the last newline back
    copy.write_raw_line(chunk);
    chunk.clear();
  };
  for (const auto& r : batch) {
    append_copy_line(chunk, r);
    if (chunk.size() >= copy_chunk_bytes) send();
  }
  send();
  copy.complete();
}

}  // namespace

std::string with_connect_timeout(const std::string& dsn, int seconds) {
  if (dsn.find("connect_timeout") != std::string::npos) return dsn;
  const auto value = std::to_string(seconds);
  if (dsn.starts_with("postgresql://") || dsn.starts_with("postgres://"))
    return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + value;
  return dsn + (dsn.empty() ? "" : " ") + "connect_timeout=" + value;
}

struct pg_writer::impl {
  pqxx::connection conn;
  std::optional<pqxx::work> staged;  // after conn: destroyed (rolled back) first
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
  if (kind == batch_kind::fresh) {
    if (!stage(batch, error) || !commit(error)) return std::nullopt;
    return batch.size();
  }
  if (!connect(error)) return std::nullopt;
  try {
    pqxx::work tx(impl_->conn);
    copy_batch(tx, "audit_stage", batch);
    const auto result = tx.exec("INSERT INTO audit_log SELECT * FROM audit_stage ON CONFLICT DO NOTHING");
    tx.commit();
    return static_cast<std::size_t>(result.affected_rows());
  } catch (const std::exception& e) {
    error = e.what();
    impl_.reset();  // whatever state the session is in, start clean next time
    return std::nullopt;
  }
}

bool pg_writer::stage(std::span<const audit_record> batch, std::string& error) {
  if (!connect(error)) return false;
  try {
    impl_->staged.reset();
    impl_->staged.emplace(impl_->conn);
    copy_batch(*impl_->staged, "audit_log", batch);
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    impl_.reset();
    return false;
  }
}

bool pg_writer::commit(std::string& error) {
  if (!impl_ || !impl_->staged) {
    error = "nothing staged to commit";
    return false;
  }
  try {
    impl_->staged->commit();
    impl_->staged.reset();
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    impl_.reset();
    return false;
  }
}

void pg_writer::abort() noexcept {
  if (!impl_ || !impl_->staged) return;
  try {
    impl_->staged->abort();
    impl_->staged.reset();
  } catch (...) {
    impl_.reset();  // the session is in doubt: start clean next time
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
