#pragma once
#include "tollgate/audit/audit_record.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tollgate::audit {

using time_point = std::chrono::system_clock::time_point;

/// Search filters of `GET /api/v1/audit` (and export). Every field set narrows the result.
struct audit_filter {
  std::optional<std::string> user;         ///< exact user name
  std::optional<std::string> host;         ///< exact host
  std::optional<std::string> host_suffix;  ///< ".example.com": strict subdomains (from "*.example.com")
  std::optional<std::string> decision;     ///< allow|deny|auth_required|auth_failed|error
  std::optional<int> status;
  std::optional<std::string> client_net;   ///< canonical address "10.1.2.3" or network "10.0.0.0/8"
  std::optional<time_point> from;          ///< inclusive
  std::optional<time_point> to;            ///< exclusive
};

/// Keyset position: the last row of a page, in (ts DESC, instance ASC, seq ASC) order.
struct audit_cursor {
  std::int64_t ts_us = 0;  ///< microseconds since the Unix epoch
  std::string instance;
  std::int64_t seq = 0;
  friend bool operator==(const audit_cursor&, const audit_cursor&) = default;
};

struct audit_page {
  std::vector<audit_record> items;
  std::optional<audit_cursor> next;  ///< nullopt: no more rows
};

enum class top_by { user, host };

struct top_entry {
  std::string key;  ///< the user or host
  std::uint64_t requests = 0;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
};

/// Read access to the audit log for analysts (the admin API's search, export and top
/// talkers). Calls block (they run on the admin server's worker threads, never an io
/// thread) and throw std::exception when the database cannot answer; the API turns
/// that into 503.
class audit_queries {
 public:
  virtual ~audit_queries() = default;

  /// Rows matching `f`, newest first, strictly after `after`; at most `limit` (1..1000).
  /// Answered by keyset from the indexes: no OFFSET, stable while rows are inserted.
  virtual audit_page search(const audit_filter& f, const std::optional<audit_cursor>& after,
                            std::size_t limit) = 0;

  /// Every row matching `f`, newest first, handed over in batches of at most 1000 rows
  /// through a server-side cursor, so memory stays flat. `sink` returns false to stop early.
  virtual void export_rows(const audit_filter& f,
                           const std::function<bool(std::span<const audit_record>)>& sink) = 0;

  /// The `limit` busiest users or hosts in [from, to), by number of requests.
  virtual std::vector<top_entry> top(top_by by, time_point from, time_point to, std::size_t limit) = 0;
};

}  // namespace tollgate::audit
