#include "pg_writer.hpp"

#include "copy_text.hpp"
#include "tollgate/audit/canonical.hpp"
#include "tollgate/pg/connect.hpp"

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

struct pg_writer::impl {
  std::unique_ptr<pqxx::connection> conn;
  std::optional<pqxx::work> staged;  // after conn: destroyed (rolled back) first
};

pg_writer::pg_writer(std::string dsn) : dsn_(pg::with_connect_timeout(dsn, 5)) {}
pg_writer::~pg_writer() = default;

bool pg_writer::connected() const noexcept { return impl_ != nullptr; }

pg::result<void> pg_writer::connect() {
  if (impl_) return {};
  auto conn = pg::connect(dsn_);
  if (!conn) return conn.error();
  auto prepared = pg::capture([&] {
    pqxx::nontransaction tx(**conn);
    tx.exec("SET application_name = 'tollgate-audit'");
    // A hung server must not hold the writer forever: the batch then goes to the spool.
    tx.exec("SET statement_timeout = '30s'");
    tx.exec("CREATE TEMP TABLE IF NOT EXISTS audit_stage (LIKE audit_log INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
  });
  if (!prepared) return prepared.error();
  impl_ = std::make_unique<impl>();
  impl_->conn = std::move(*conn);
  return {};
}

template <class F>
auto pg_writer::on_connection(F&& f) -> pg::result<std::invoke_result_t<F&, impl&>> {
  if (auto c = connect(); !c) return c.error();
  auto r = pg::capture([&] { return f(*impl_); });
  if (!r) impl_.reset();  // whatever state the session is in, start clean next time
  return r;
}

pg::result<std::size_t> pg_writer::write(std::span<const audit_record> batch, batch_kind kind) {
  if (kind == batch_kind::fresh) {
    if (auto s = stage(batch); !s) return s.error();
    if (auto c = commit(); !c) return c.error();
    return batch.size();
  }
  return on_connection([&](impl& i) {
    pqxx::work tx(*i.conn);
    copy_batch(tx, "audit_stage", batch);
    const auto result = tx.exec("INSERT INTO audit_log SELECT * FROM audit_stage ON CONFLICT DO NOTHING");
    tx.commit();
    return static_cast<std::size_t>(result.affected_rows());
  });
}

pg::result<void> pg_writer::stage(std::span<const audit_record> batch) {
  return on_connection([&](impl& i) {
    i.staged.reset();
    i.staged.emplace(*i.conn);
    copy_batch(*i.staged, "audit_log", batch);
  });
}

pg::result<void> pg_writer::commit() {
  if (!impl_ || !impl_->staged) return pg::failure{pg::error::client_error, "nothing staged to commit"};
  return on_connection([](impl& i) {
    i.staged->commit();
    i.staged.reset();
  });
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

pg::result<chain_head> pg_writer::read_head(const std::string& instance) {
  auto text = on_connection([&](impl& i) -> std::optional<std::pair<std::int64_t, std::string>> {
    pqxx::nontransaction tx(*i.conn);
    const auto r = tx.exec_params(
        "SELECT seq, encode(hash, 'hex') FROM audit_log WHERE instance = $1 ORDER BY seq DESC LIMIT 1", instance);
    if (r.empty()) return std::nullopt;
    return std::pair{r[0][0].as<std::int64_t>(), std::string(r[0][1].c_str())};
  });
  if (!text) return text.error();
  chain_head head;
  if (!*text) return head;
  head.seq = (*text)->first;
  if (!from_hex((*text)->second, head.hash))
    return pg::failure{pg::error::bad_data, "audit_log hash of " + instance + " is not hex"};
  return head;
}

}  // namespace tollgate::audit
