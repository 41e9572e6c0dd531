// libFuzzer: an origin's response head as the session handles it (issue 16): raw-byte
// scan, Beast parse (with trailers, when the body that follows is chunked), the strict
// framing checks, then the framing fields rewritten to what the parser read.
// Invariants: a head the checks accept has at most one Transfer-Encoding line and it
// says chunked; after set_framing, the fields and Beast's own reading of them
// (message::chunked) agree with the parser, and trailer fields never stay in the head.
#include "head_scan.hpp"
#include "message_framing.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstdlib>
#include <string_view>
#include <vector>

namespace http = boost::beast::http;
using namespace tollgate::proxy::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  head_scanner scanner;
  if (scanner.scan(bytes) != head_scan_status::complete) return 0;

  http::response_parser<http::buffer_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(boost::none);
  boost::system::error_code ec;
  const auto used = parser.put(boost::asio::buffer(bytes.data(), scanner.head_end()), ec);
  if (ec || !parser.is_header_done()) return 0;
  auto& res = parser.get();
  if (!check_response_framing(res).empty()) return 0;
  const auto te = res.count(http::field::transfer_encoding);
  if (te > 1 || (te == 1 && !boost::beast::iequals(res[http::field::transfer_encoding], "chunked"))) std::abort();

  const auto read = framing_read_by(parser);
  set_framing(res, read);
  if (!framing_agrees(res, read) || res.chunked() != read.chunked) std::abort();

  // The body and trailers, as the relay reads them; the head's fields are what stays.
  std::vector<const void*> head;
  for (const auto& f : res) head.push_back(&f);
  char sink[4096];
  std::size_t at = used;
  while (!parser.is_done() && at < size) {
    res.body().data = sink;
    res.body().size = sizeof sink;
    const auto n = parser.put(boost::asio::buffer(bytes.data() + at, size - at), ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return 0;
    if (n == 0 && res.body().size == sizeof sink) break;  // needs bytes the input does not have
    at += n;
  }
  if (parser.is_done() && read.chunked) {
    drop_trailer_fields(res, head);
    if (res.count(http::field::transfer_encoding) + res.count(http::field::content_length) != 1) std::abort();
    if (!framing_agrees(res, read)) std::abort();
  }
  return 0;
}
