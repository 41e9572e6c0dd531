// Client session, part 3b: the origin's response head. It is scanned byte by byte
// (as request heads are) before Beast parses it, its framing is checked strictly, and
// the head that goes to the client says exactly how the proxy frames the body.
#include "client_session.hpp"

#include "header_hygiene.hpp"
#include "message_framing.hpp"
#include "worker.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {
constexpr std::size_t max_response_head = 64 * 1024;  // the upstream buffer's bound
constexpr std::size_t response_head_read = 16 * 1024;
}  // namespace

void client_session::read_response() {
  res_p_.emplace();
  res_p_->header_limit(static_cast<std::uint32_t>(max_response_head));
  res_p_->body_limit(boost::none);
  if (is_head_) res_p_->skip(true);
  res_scanner_.reset();
  read_response_head();
}

void client_session::read_response_head() {
  const auto data = up_->buffer.cdata();
  const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
  switch (res_scanner_.scan(bytes)) {
    case head_scan_status::complete:
      parse_response_head(res_scanner_.head_end());
      return;
    // Beast would accept a folded line (joining it) and a client might not: the two
    // would read different fields out of the same bytes (RFC 9112 section 5.2).
    case head_scan_status::obs_fold:
      refuse_response("obsolete line folding in the response head");
      return;
    case head_scan_status::bad_byte:
      refuse_response("NUL, bare CR or bare LF in the response head");
      return;
    case head_scan_status::incomplete:
      break;
  }
  if (bytes.size() >= max_response_head) {
    refuse_response("response head larger than 64 KiB");
    return;
  }
  up_->stream.expires_after(opts_->idle_timeout);
  const auto want = std::min(max_response_head - bytes.size(), response_head_read);
  up_->stream.async_read_some(up_->buffer.prepare(want),
                              beast::bind_front_handler(&client_session::on_response_head_bytes, shared_from_this()));
}

void client_session::on_response_head_bytes(error_code ec, std::size_t n) {
  if (closing_) return;
  up_->buffer.commit(n);
  if (ec == boost::asio::error::eof) {
    // Closed before any byte: a stale pooled connection (retried); within a head: cut short.
    ec = up_->buffer.size() == 0 ? error_code(http::error::end_of_stream) : error_code(http::error::partial_message);
  }
  if (ec) {
    upstream_failed(ec, "reading the response head");
    return;
  }
  read_response_head();
}

void client_session::parse_response_head(std::size_t head_len) {
  error_code ec;
  const auto used = res_p_->put(boost::asio::buffer(up_->buffer.cdata().data(), head_len), ec);
  if (!ec && !res_p_->is_header_done()) ec = http::error::partial_message;
  if (ec) {
    upstream_failed(ec, "reading the response head");
    return;
  }
  up_->buffer.consume(used);
  on_response_header();
}

void client_session::on_response_header() {
  response_started_ = true;
  auto& res = res_p_->get();
  const unsigned code = res.result_int();
  if (code == 101) {
    refuse_response("an upgrade the proxy did not ask for (101)");
    return;
  }
  if (code >= 100 && code < 200) {
    // Interim response: pass it on to HTTP/1.1 clients (RFC 9110 15.2), then read on.
    if (client_version_ < 11) {
      read_response();
      return;
    }
    auto text = std::make_shared<std::string>("HTTP/1.1 " + std::to_string(code) + " " +
                                              std::string(res.reason()) + "\r\n\r\n");
    client_.expires_after(opts_->idle_timeout);
    boost::asio::async_write(client_, boost::asio::buffer(*text),
                             [self = shared_from_this(), text](error_code wec, std::size_t n) {
                               if (self->closing_) return;
                               self->add_down(n);
                               self->rec_.bytes_down += n;
                               if (wec) {
                                 self->finish_request(0, decision::error, "client went away: " + wec.message());
                                 self->close_everything();
                                 return;
                               }
                               self->read_response();
                             });
    return;
  }
  if (auto why = check_response_framing(res); !why.empty()) {
    refuse_response(why);
    return;
  }
  if (code == 401) {
    for (const auto& f : res) {
      if (f.name() == http::field::www_authenticate && offers_connection_auth(f.value())) up_->pinned = true;
    }
  }

  upstream_keep_alive_ = res_p_->keep_alive();
  const bool no_body = is_head_ || is_bodiless_status(code);
  const bool http11 = client_version_ >= 11;
  bool keep = client_keep_alive_ && req_p_->is_done() && !shared_.stopping.load(std::memory_order_relaxed);
  // How the body goes to the client, said by exactly one framing field or none.
  body_framing out;
  if (no_body) {
    // A HEAD or 304 answer tells the framing a GET would get; 1xx and 204 have none.
    if (code != 204) out = framing_read_by(*res_p_);
    out.chunked = out.chunked && http11;
  } else if (res_p_->chunked()) {
    out.chunked = http11;  // HTTP/1.0 clients cannot read chunked: the close ends the body
    keep = keep && http11;
  } else if (res_p_->content_length()) {
    out = framing_read_by(*res_p_);
  } else {
    upstream_keep_alive_ = false;  // the body ends when the origin closes
    out.chunked = http11;          // keep the client connection: re-frame as chunked
    keep = keep && http11;
  }
  strip_hop_by_hop(res);
  append_via(res, opts_->via);
  set_framing(res, out);
  res.version(11);
  res.keep_alive(keep);
  if (keep && !http11) res.set(http::field::connection, "keep-alive");
  // Beast's serializer frames the body by its own reading of the fields: it must be ours.
  if (res.chunked() != out.chunked || !framing_agrees(res, out)) {
    refuse_response("response framing could not be rewritten");
    return;
  }
  client_keep_alive_ = keep;
  rec_.status = static_cast<int>(code);
  raw_mode_ = false;
  if (!no_body && out.length) {
    start_raw_response();
    return;
  }
  res_head_fields_.clear();
  if (!no_body && res_p_->chunked()) {
    for (const auto& field : res) res_head_fields_.push_back(&field);
  }
  res_sr_.emplace(res);
  if (no_body) {
    response_head_sent_ = true;
    client_.expires_after(opts_->idle_timeout);
    http::async_write_header(client_, *res_sr_,
                             [self = shared_from_this()](error_code wec, std::size_t n) {
                               self->on_response_written(wec, n);
                             });
    return;
  }
  relay_response_body();
}

}  // namespace tollgate::proxy::detail
