#pragma once
#include "tollgate/pg/error.hpp"
#include "tollgate/pg/pool.hpp"

#include <pqxx/transaction>

#include <type_traits>

namespace tollgate::pg {

/// Whether a transaction is run again when it fails. Stated at every call site,
/// because only the caller knows whether its function may run twice.
enum class retry {
  never,
  /// Once more on a fresh connection when the first attempt failed with
  /// connection_lost (a pooled connection the server closed while it sat idle).
  /// Never after commit_in_doubt: the first attempt may have landed. Only for
  /// functions whose effects outside the transaction may happen twice.
  on_connection_lost,
};

/// Runs `f(tx)` in a transaction of type `Tx` (pqxx::work, pqxx::read_transaction)
/// on a pooled connection and commits it; its value, or the failure it ended with
/// (the transaction then rolled back and the connection closed).
template <class Tx = pqxx::work, class F>
auto in_transaction(pool& p, retry policy, F&& f) -> result<std::invoke_result_t<F&, Tx&>> {
  using value_type = std::invoke_result_t<F&, Tx&>;
  for (int attempt = 1;; ++attempt) {
    auto conn = p.acquire();
    if (!conn) return conn.error();  // a fresh connect failed: trying again at once would not help
    auto r = capture([&]() -> value_type {
      Tx tx(**conn);
      if constexpr (std::is_void_v<value_type>) {
        f(tx);
        tx.commit();
      } else {
        auto v = f(tx);
        tx.commit();
        return v;
      }
    });
    if (r) {
      conn->healthy();
      return r;
    }
    if (policy == retry::on_connection_lost && attempt == 1 && r.error().code == error::connection_lost) continue;
    return r;
  }
}

}  // namespace tollgate::pg
