#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tollgate::proxy {

/// Limits on traffic that never authenticated, per client address (an IPv6 client by its
/// /64 prefix): how many 407s it may be answered, how many audit records it may cause
/// before the rest are counted in aggregate records. Authenticated requests never meet
/// these limits. Config `proxy.flood.*` and `audit.unauthenticated.*`.
struct flood_options {
  std::size_t tracked_clients = 65'536;           ///< client addresses tracked at once; the rest share one entry
  unsigned challenges_per_second = 20;            ///< 407s per client; past it 429 without asking LDAP; 0 = no limit
  unsigned challenge_burst = 100;
  unsigned records_per_second = 20;               ///< records written one by one per client; the rest aggregated
  unsigned records_burst = 100;
  std::chrono::milliseconds aggregate_interval{10'000};  ///< one aggregate record per client and kind per interval
};

/// Everything the proxy listener and its sessions are configured with (config `proxy:`).
struct options {
  std::vector<std::string> listen{"127.0.0.1:3128"};  ///< "host:port"; IPv6 as "[::1]:3128"
  std::string realm = "Tollgate";
  unsigned io_threads = 0;                           ///< 0 = number of cores
  std::size_t max_header_bytes = 16384;
  std::size_t max_connections = 0;                   ///< 0 = derived from RLIMIT_NOFILE
  std::uint64_t max_body_bytes = 0;                  ///< request bodies; 0 = unlimited
  std::chrono::milliseconds head_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds tunnel_idle_timeout{300'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  bool block_private_destinations = true;
  std::string via = "1.1 tollgate";                  ///< empty = no Via header
  bool x_forwarded_for = false;
  /// Idle keep-alive upstream connections kept per (host, port), per io thread. Too few
  /// makes busy origins pay a new connection for many requests (measured: 16 instead of
  /// 64 costs a third of the throughput with 50 busy clients on one origin).
  std::size_t upstream_idle_per_host = 64;
  std::string support_contact;                       ///< shown on the 403 page
  bool store_query = false;                          ///< from audit.store_query: keep the query in audit paths
  flood_options flood;
};

}  // namespace tollgate::proxy
