// libFuzzer: the proxy's request-head handling, as the session runs it: raw-byte scan,
// Beast parse, framing (smuggling) checks, absolute target, host normalisation, header
// hygiene. Invariant: what would be forwarded carries no credentials and no hop-by-hop
// header, and a head the scanner refused is never parsed further.
#include "head_scan.hpp"
#include "header_hygiene.hpp"
#include "request_checks.hpp"
#include "target.hpp"
#include "tollgate/common/host_name.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstdlib>
#include <string_view>

namespace http = boost::beast::http;
using namespace tollgate::proxy::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  head_scanner scanner;
  // Feed in two pieces, as a network read would: the scanner must resume correctly.
  const auto first = scanner.scan(bytes.substr(0, size / 2));
  if (first == head_scan_status::bad_byte || first == head_scan_status::obs_fold) return 0;
  if (first != head_scan_status::complete && scanner.scan(bytes) != head_scan_status::complete) return 0;
  if (scanner.head_end() > size) std::abort();

  http::request_parser<http::buffer_body> parser;
  parser.eager(false);
  parser.header_limit(16384);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), scanner.head_end()), ec);
  if (ec || !parser.is_header_done()) return 0;
  auto& req = parser.get();
  if (field_count(req) > max_header_fields || !check_framing(req).empty()) return 0;

  if (req.method() == http::verb::connect) {
    authority where;
    if (parse_authority(req.target(), 0, where) == target_error::none) (void)tollgate::normalise_host(where.host);
    return 0;
  }
  absolute_target target;
  if (parse_absolute_target(req.target(), target) != target_error::none) return 0;
  // "http://h?q" leaves "?q", which the session forwards as "/?q"; anything else starts with '/'.
  if (target.path_and_query.empty() ||
      (target.path_and_query.front() != '/' && target.path_and_query.front() != '?'))
    std::abort();
  (void)tollgate::normalise_host(target.where.host);

  strip_hop_by_hop(req);
  append_via(req, "1.1 tollgate");
  append_forwarded_for(req, "192.0.2.1");
  for (const auto field : {http::field::proxy_authorization, http::field::proxy_connection, http::field::connection,
                           http::field::keep_alive, http::field::te, http::field::trailer, http::field::upgrade})
    if (req.count(field) != 0) std::abort();
  return 0;
}
