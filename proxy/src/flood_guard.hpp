#pragma once
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/proxy/options.hpp"

#include <boost/asio/ip/address.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Registry;
}  // namespace prometheus

namespace tollgate::proxy::detail {

/// Longest path, user agent, user name, method or host kept in the record of a request
/// that did not authenticate. Long enough to recognise a request, short enough that a
/// credential-less client cannot make each of its records 16 KiB.
inline constexpr std::size_t unauthenticated_field_max = 256;

/// Cuts path, user_agent, username, method and host to unauthenticated_field_max bytes
/// (at a UTF-8 character boundary) and, when it cut anything, says so in `error`:
/// "truncated: path (16000 bytes), user_agent (9000 bytes)". True when it cut.
bool trim_unauthenticated(audit::audit_record& rec);

/// Whom the limits count: an IPv4 address, an IPv6 /64 prefix (one subscriber's whole
/// network, which a client can spread its requests over), an IPv4-mapped IPv6 address
/// as its IPv4 address.
struct client_key {
  std::array<std::uint8_t, 9> bytes{};  // [0] = 4 or 6, then the address or prefix
  bool operator==(const client_key&) const = default;
};
client_key key_of(const boost::asio::ip::address& a) noexcept;

/// The per-client state behind two limits on traffic that never authenticated:
///  - 407 challenges: a token bucket per client (flood_options::challenges_per_second,
///    challenge_burst) that every 407 draws on; once empty the proxy answers 429 instead
///    of a 407 and without asking the directory. Good credentials cost nothing.
///  - audit records: a token bucket per client (records_per_second, records_burst);
///    past it, and whenever the audit queue is not admitting, a record is not written
///    on its own but counted into an aggregate of its client, decision and status,
///    written by sweep() once `aggregate_interval` has passed since its first request.
///    An aggregate record is a `request` row with the client's address (the first one
///    seen), decision and status as they were, bytes summed, ts of the first request,
///    duration_us from the first to the last, NULL path, user agent and user name, and
///    error "aggregate of N requests over the per-client rate". Nothing is dropped:
///    every request is one row or counted in exactly one aggregate.
/// Memory is bounded: at most `tracked_clients` entries (plus one shared entry that
/// every client past the bound counts into), each with at most a few small aggregates
/// and no copy of a request's strings. Entries are forgotten by sweep() once idle long
/// enough that their buckets would be full again (so forgetting changes nothing).
///
/// Thread-safe (sharded locks); the clock is passed in, so tests need no sleeps.
/// Authenticated requests never reach it.
class flood_guard {
 public:
  using clock = std::chrono::steady_clock;

  explicit flood_guard(prometheus::Registry& registry);
  ~flood_guard();
  flood_guard(const flood_guard&) = delete;
  flood_guard& operator=(const flood_guard&) = delete;

  /// The record of a request that did not authenticate: trims it, then returns true when
  /// it is to be written as it is, false when it was counted into an aggregate (the
  /// caller then drops it). `queue_open`: the audit queue admits records right now.
  bool pass_record(audit::audit_record& rec, const boost::asio::ip::address& client, bool queue_open,
                   const flood_options& limits, clock::time_point now);

  /// Whether the client may still be answered a 407 (or have its credentials checked,
  /// which may end in one); false (and counted) once its budget is spent.
  bool challenge_allowed(const boost::asio::ip::address& client, const flood_options& limits, clock::time_point now);
  /// A 407 was answered: it costs the client one challenge. Checks in flight at once may
  /// all end in 407s: the budget then goes into debt (at most one burst deep), which the
  /// client pays off at the challenge rate before it is answered a 407 again.
  void charge_challenge(const boost::asio::ip::address& client, const flood_options& limits, clock::time_point now);

  /// The aggregates due (their interval has passed) while `queue_open`, or every one
  /// when `everything` (shutdown: they must not be lost); forgets idle clients.
  std::vector<audit::audit_record> sweep(const flood_options& limits, clock::time_point now, bool queue_open,
                                         bool everything = false);

  /// Clients tracked now (the shared overflow entry not counted).
  std::size_t tracked() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tollgate::proxy::detail
