#pragma once
#include "decision.hpp"
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/proxy/options.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>

namespace tollgate::proxy::detail {

struct shared_state;

/// How a request (or a tunnel) ended, for its one record.
struct request_end {
  int status = 0;
  decision outcome = decision::error;
  std::string_view error;
  std::chrono::steady_clock::duration elapsed{};
  bool authenticated = false;  ///< a user was established for this request
};

/// The one way a finished request goes on record, for sessions and tunnels alike: fills
/// the record's outcome fields, counts it (requests, duration unless a tunnel, bytes),
/// lets the flood guard bound an unauthenticated client's records, hands it to the sink.
void file_record(shared_state& shared, const options& opts, const boost::asio::ip::address& client,
                 audit::audit_record rec, const request_end& end);

}  // namespace tollgate::proxy::detail
