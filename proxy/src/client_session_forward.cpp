// Client session, part 3: plain HTTP forwarding with streamed bodies (the relay
// pattern of Beast's example/doc/http_examples.hpp, asynchronous, both directions).
#include "client_session.hpp"

#include "header_hygiene.hpp"
#include "message_framing.hpp"
#include "worker.hpp"

#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <vector>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

constexpr std::string_view continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";

void append_fields(const http::fields& h, std::string& out) {
  for (const auto& f : h) {
    out.append(f.name_string());
    out.append(": ");
    out.append(f.value());
    out.append("\r\n");
  }
  out.append("\r\n");
}

// The response head as it goes to the client (HTTP/1.1, fields as transformed).
void serialize_head(const http::response_header<>& h, std::string& out) {
  out.clear();
  const unsigned code = h.result_int();
  out.append("HTTP/1.1 ");
  out.push_back(static_cast<char>('0' + code / 100 % 10));
  out.push_back(static_cast<char>('0' + code / 10 % 10));
  out.push_back(static_cast<char>('0' + code % 10));
  out.push_back(' ');
  out.append(h.reason());
  out.append("\r\n");
  append_fields(h, out);
}

// The request head as it goes upstream (origin-form target, HTTP/1.1).
void serialize_head(const http::request_header<>& h, std::string& out) {
  out.clear();
  out.append(h.method_string());
  out.push_back(' ');
  out.append(h.target());
  out.append(" HTTP/1.1\r\n");
  append_fields(h, out);
}

bool is_stale_reuse_error(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
         ec == boost::asio::error::connection_reset || ec == boost::asio::error::broken_pipe;
}

}  // namespace

// Turns the client's request head into the upstream one, once per request. False when
// the framing fields could not be made to say what the parser read (never expected).
bool client_session::prepare_request() {
  if (request_prepared_) return true;
  request_prepared_ = true;
  auto& req = req_p_->get();
  if (auto e = req.find(http::field::expect); e != req.end() && beast::iequals(e->value(), "100-continue")) {
    // The proxy answers 100 Continue itself once the request is allowed and connected,
    // so the origin never has to, and an HTTP/1.0 origin cannot stall the client.
    expect_continue_ = client_version_ >= 11 && !req_p_->is_done();
    req.erase(http::field::expect);
  } else {
    expect_continue_ = false;
  }
  strip_hop_by_hop(req);
  req.target(target_);
  req.version(11);
  req.set(http::field::host, host_header_);
  // Exactly "Transfer-Encoding: chunked" or one Content-Length with the number the body
  // is framed by ("3, 3", a repeated field or "CHUNKED" is accepted from the client, but
  // not passed on for the origin to read its own way).
  const body_framing framing = framing_read_by(*req_p_);
  set_framing(req, framing);
  append_via(req, opts_->via);
  if (opts_->x_forwarded_for) append_forwarded_for(req, client_ip_);
  head_fields_.clear();
  if (req_p_->chunked()) {
    for (const auto& field : req) head_fields_.push_back(&field);
  }
  // NTLM and Negotiate authenticate the connection: it must never serve another user.
  const auto authorization = req.find(http::field::authorization);
  connection_auth_ = authorization != req.end() && is_connection_auth(authorization->value());
  // Beast's serializer frames the body by its own reading of the fields (message::chunked):
  // it must agree with the parser's, or the origin would be sent a body framed two ways.
  return req.chunked() == framing.chunked && framing_agrees(req, framing);
}

void client_session::send_request() {
  if (!prepare_request()) {
    up_.reset();
    client_keep_alive_ = false;
    respond(http::status::bad_request, decision::error, "request framing could not be rewritten",
            "Malformed request: ambiguous message framing.");
    return;
  }
  if (connection_auth_) up_->pinned = true;
  if (req_p_->is_done()) {
    // No body (the common GET): the head goes out as one buffer, no serializer needed.
    serialize_head(req_p_->get(), head_text_);
    request_sent_ = false;
    up_->stream.expires_after(opts_->idle_timeout);
    boost::asio::async_write(up_->stream, boost::asio::buffer(head_text_),
                             [self = shared_from_this()](error_code ec, std::size_t) {
                               if (self->closing_) return;
                               if (ec) {
                                 self->upstream_failed(ec, "sending the request");
                                 return;
                               }
                               self->request_sent_ = true;
                               self->read_response();
                             });
    return;
  }
  req_sr_.emplace(req_p_->get());
  if (expect_continue_) {
    expect_continue_ = false;  // once, also when a stale pooled connection is retried
    client_.expires_after(opts_->idle_timeout);
    boost::asio::async_write(client_, boost::asio::buffer(continue_100),
                             [self = shared_from_this()](error_code ec, std::size_t n) {
                               if (self->closing_) return;
                               self->add_down(n);
                               self->rec_.bytes_down += n;
                               if (ec) {
                                 self->finish_request(0, decision::error, "client went away: " + ec.message());
                                 self->close_everything();
                                 return;
                               }
                               self->relay_request_body();
                             });
    return;
  }
  relay_request_body();
}

void client_session::relay_request_body() {
  auto& body = req_p_->get().body();
  if (req_p_->is_done()) {
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    write_request();
    return;
  }
  body.data = relay();
  body.size = relay_size;
  client_.expires_after(opts_->idle_timeout);
  http::async_read(client_, client_buf_, *req_p_,
                   [self = shared_from_this()](error_code ec, std::size_t) { self->on_request_body(ec); });
}

void client_session::on_request_body(error_code ec) {
  if (closing_) return;
  if (ec == http::error::need_buffer) ec = {};
  auto& body = req_p_->get().body();
  const std::size_t got = relay_size - body.size;
  add_up(got);
  rec_.bytes_up += got;
  if (ec) {
    client_keep_alive_ = false;
    up_.reset();  // the origin saw a partial body: that connection is done
    if (ec == http::error::body_limit) {
      respond(http::status::payload_too_large, decision::error, "request body too large", "The request body is too large.");
    } else if (ec == beast::error::timeout) {
      respond(http::status::request_timeout, decision::error, "request body timeout", "The request body took too long.");
    } else if (ec == http::error::partial_message || ec == boost::asio::error::eof ||
               ec == boost::asio::error::connection_reset) {
      finish_request(0, decision::error, "client closed during request body");
      close_everything();
    } else if (ec == http::error::buffer_overflow) {
      respond(http::status::bad_request, decision::error, "chunk line or trailer section too long",
              "Malformed request body: a chunk line or the trailer section is too long.");
    } else {
      respond(http::status::bad_request, decision::error, "malformed request body: " + ec.message(),
              "Malformed request body.");
    }
    return;
  }
  body.data = relay_.get();
  body.size = got;
  body.more = !req_p_->is_done();
  if (!body.more && req_p_->chunked()) drop_trailer_fields(req_p_->get(), head_fields_);
  write_request();
}

void client_session::write_request() {
  up_->stream.expires_after(opts_->idle_timeout);
  http::async_write(up_->stream, *req_sr_,
                    [self = shared_from_this()](error_code ec, std::size_t) { self->on_request_written(ec); });
}

void client_session::on_request_written(error_code ec) {
  if (closing_) return;
  if (ec == http::error::need_buffer) ec = {};
  if (ec) {
    upstream_failed(ec, "sending the request");
    return;
  }
  if (!req_sr_->is_done()) {
    relay_request_body();
    return;
  }
  request_sent_ = true;
  read_response();
}

void client_session::upstream_failed(error_code ec, std::string_view during) {
  // A pooled connection the origin closed meanwhile: try once more on a fresh one,
  // when the request can be sent again (no body streamed yet).
  // Only an idempotent method is sent twice (RFC 9110 section 9.2.2): the origin may
  // have acted on a POST before the connection broke.
  if (up_ && up_->reused && !retried_ && !response_started_ && req_p_->is_done() &&
      rec_.bytes_up == head_bytes_ && is_stale_reuse_error(ec) && is_idempotent(req_p_->get().method())) {
    retried_ = true;
    up_.reset();
    connect();
    return;
  }
  const bool timeout = ec == beast::error::timeout;
  if (timeout) {
    shared_.m.upstream_timeout.Increment();
  } else if (ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
             ec == boost::asio::error::connection_reset || ec == http::error::partial_message) {
    shared_.m.upstream_reset.Increment();
  } else {
    shared_.m.upstream_bad_response.Increment();
  }
  give_up_upstream(timeout, "upstream error while " + std::string(during) + ": " + ec.message());
}

// The origin sent something this proxy does not pass on (checked before any byte of
// the response went to the client): 502, and the connection to it is closed.
void client_session::refuse_response(std::string_view why) {
  shared_.m.upstream_bad_response.Increment();
  give_up_upstream(false, "bad response from the destination: " + std::string(why));
}

void client_session::give_up_upstream(bool timeout, const std::string& why) {
  up_.reset();
  if (response_head_sent_) {
    // Part of the response is already with the client: all we can do is cut it short.
    finish_request(res_p_ ? res_p_->get().result_int() : 0, decision::allow, why);
    close_everything();
    return;
  }
  client_keep_alive_ = client_keep_alive_ && req_p_->is_done();
  if (timeout) {
    respond(http::status::gateway_timeout, decision::error, why, "The destination did not answer in time.");
  } else {
    respond(http::status::bad_gateway, decision::error, why, "The destination closed the connection or sent a bad response.");
  }
}

void client_session::relay_response_body() {
  auto& body = res_p_->get().body();
  if (res_p_->is_done()) {
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    write_response();
    return;
  }
  body.data = relay();
  body.size = relay_size;
  up_->stream.expires_after(opts_->idle_timeout);
  http::async_read(up_->stream, up_->buffer, *res_p_,
                   [self = shared_from_this()](error_code ec, std::size_t) { self->on_response_body(ec); });
}

void client_session::on_response_body(error_code ec) {
  if (closing_) return;
  if (ec == http::error::need_buffer) ec = {};
  if (ec) {
    upstream_failed(ec, "reading the response body");
    return;
  }
  auto& body = res_p_->get().body();
  body.size = relay_size - body.size;
  body.data = relay_.get();
  body.more = !res_p_->is_done();
  // Trailer fields the parser put into the header must not reach the client as header
  // fields (the head is serialised on the first write, maybe after the last chunk).
  if (!body.more && res_p_->chunked()) drop_trailer_fields(res_p_->get(), res_head_fields_);
  write_response();
}

void client_session::write_response() {
  response_head_sent_ = true;
  client_.expires_after(opts_->idle_timeout);
  http::async_write(client_, *res_sr_, beast::bind_front_handler(&client_session::on_response_written, shared_from_this()));
}

void client_session::on_response_written(error_code ec, std::size_t n) {
  if (closing_) return;
  if (ec == http::error::need_buffer) ec = {};
  add_down(n);
  rec_.bytes_down += n;
  if (ec) {
    up_.reset();
    finish_request(rec_.status, decision::allow, "client went away during the response: " + ec.message());
    close_everything();
    return;
  }
  if (!res_sr_->is_done() && !res_sr_->is_header_done()) {
    write_response();
    return;
  }
  if (!res_sr_->is_done() && !(is_head_ || is_bodiless_status(res_p_->get().result_int()))) {
    relay_response_body();
    return;
  }
  response_done();
}

// Identity body of known length (the common case): relayed as raw bytes, without the
// parser's copy, the head and the first body bytes in one write, then 64 KiB reads.
void client_session::start_raw_response() {
  raw_mode_ = true;
  response_head_sent_ = true;
  serialize_head(res_p_->get(), head_text_);
  raw_left_ = *res_p_->content_length();
  const auto buffered = static_cast<std::size_t>(std::min<std::uint64_t>(raw_left_, up_->buffer.size()));
  raw_left_ -= buffered;
  raw_consume_ = buffered;
  const std::array<boost::asio::const_buffer, 2> parts{boost::asio::buffer(head_text_),
                                                       boost::asio::buffer(up_->buffer.cdata().data(), buffered)};
  client_.expires_after(opts_->idle_timeout);
  boost::asio::async_write(client_, parts, beast::bind_front_handler(&client_session::on_raw_written, shared_from_this()));
}

void client_session::raw_read() {
  up_->stream.expires_after(opts_->idle_timeout);
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(raw_left_, relay_size));
  up_->stream.async_read_some(boost::asio::buffer(relay(), want), [self = shared_from_this()](error_code ec, std::size_t n) {
    if (self->closing_) return;
    if (ec) {
      self->upstream_failed(ec == boost::asio::error::eof ? http::error::partial_message : ec, "reading the response body");
      return;
    }
    self->raw_left_ -= n;
    self->client_.expires_after(self->opts_->idle_timeout);
    boost::asio::async_write(self->client_, boost::asio::buffer(self->relay_.get(), n),
                             beast::bind_front_handler(&client_session::on_raw_written, self));
  });
}

void client_session::on_raw_written(error_code ec, std::size_t n) {
  if (closing_) return;
  add_down(n);
  rec_.bytes_down += n;
  if (ec) {
    up_.reset();
    finish_request(rec_.status, decision::allow, "client went away during the response: " + ec.message());
    close_everything();
    return;
  }
  up_->buffer.consume(raw_consume_);
  raw_consume_ = 0;
  if (raw_left_ == 0) {
    response_done();
    return;
  }
  raw_read();
}

void client_session::response_done() {
  const bool response_complete = raw_mode_ ? raw_left_ == 0 : res_p_->is_done();
  // Bytes the origin sent past the end of its response (after a HEAD, 204 or 304 answer,
  // a Content-Length body or the last chunk) would be read as the answer to the next
  // request sent on the connection, maybe another user's: such a connection is closed.
  const bool reusable = upstream_keep_alive_ && response_complete && request_sent_ && up_ && up_->buffer.size() == 0;
  if (reusable) {
    keep_upstream();
  } else {
    up_.reset();
  }
  finish_request(rec_.status, decision::allow, "");
  next_request_or_close(client_keep_alive_);
}

// A connection that carried NTLM or Negotiate stays with this client connection (and
// this user) instead of going back to the pool every client shares.
void client_session::keep_upstream() {
  if (!up_->pinned) {
    worker_.pool().put(std::move(up_), opts_->upstream_idle_per_host, clock::now());
    return;
  }
  up_->stream.expires_never();
  pinned_ = std::move(up_);
  pinned_user_ = who_.user;
}

std::unique_ptr<upstream_connection> client_session::take_upstream(const std::string& key) {
  if (pinned_ && pinned_user_ != who_.user) pinned_.reset();  // another user on this client connection
  if (pinned_ && pinned_->key == key) {
    auto c = std::move(pinned_);
    if (idle_socket_usable(c->stream.socket())) {
      c->reused = true;
      return c;
    }
  }
  return worker_.pool().take(key, clock::now());
}

}  // namespace tollgate::proxy::detail
