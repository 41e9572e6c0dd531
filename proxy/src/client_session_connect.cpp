// Client session, part 2: acting on the request gate's verdict: answer the refusal, or
// connect to the checked address and forward (plain HTTP) or hand over to a tunnel.
#include "client_session.hpp"

#include "tunnel.hpp"
#include "worker.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/field.hpp>

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;
namespace beast = boost::beast;
using boost::system::error_code;

// What the record says of user and rule comes from the gate: its verdict, or what it
// had learned when the request was cut short (finish_request).
void client_session::record_verdict(verdict& v) {
  rec_.username = std::move(v.username);
  rec_.groups = v.who.groups;
  rec_.rule_id = v.policy.rule_id;
  rec_.would_rule_id = v.policy.would_rule_id;
  rec_.policy_version = v.policy.version;
}

// The gate's answer.
void client_session::on_verdict(verdict v) {
  record_verdict(v);
  who_ = std::move(v.who);
  if (auto* r = std::get_if<refused>(&v.result)) {
    if (r->close) client_keep_alive_ = false;
    canned_retry_after_ = r->retry_after;
    respond(r->status, r->outcome, std::move(r->error), r->page.view());
    return;
  }
  destination_ = std::get<allowed>(v.result).destination;
  rec_.upstream_ip = destination_.address().to_string();
  connect();
}

void client_session::connect() {
  const bool tunnel = facts_.is_connect;
  std::string key;
  if (!tunnel) {
    key.reserve(facts_.host.size() + 48);
    key.append(facts_.host).push_back('|');
    key.append(rec_.upstream_ip).push_back('|');
    key.append(std::to_string(facts_.port));
    if (!retried_) {
      up_ = take_upstream(key);
      if (up_) {
        send_request();
        return;
      }
    }
  }
  up_ = std::make_unique<upstream_connection>(client_.get_executor());
  up_->key = std::move(key);
  up_->stream.expires_after(opts_->connect_timeout);
  up_->stream.async_connect(destination_,
                            beast::bind_front_handler(&client_session::on_connect, shared_from_this()));
}

void client_session::on_connect(error_code ec) {
  if (closing_) return;
  if (ec) {
    up_.reset();
    if (ec == beast::error::timeout) {
      shared_.m.upstream_connect_timeout.Increment();
      respond(http::status::gateway_timeout, decision::error, "upstream connect timeout",
              "The destination did not answer in time.");
    } else {
      shared_.m.upstream_connect_refused.Increment();
      respond(http::status::bad_gateway, decision::error, "upstream connect failed: " + ec.message(),
              "The destination refused the connection.");
    }
    return;
  }
  error_code ignored;
  up_->stream.socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  if (facts_.is_connect) {
    open_tunnel();
  } else {
    send_request();
  }
}

// The CONNECT is allowed and connected: it goes on record now (tunnel_open), and the
// sockets, the bytes the client sent behind the head and the tunnel_close record go to
// a tunnel, which takes this session's place. Nothing of this session runs afterwards.
void client_session::open_tunnel() {
  audit::audit_record open = rec_;
  open.bytes_down += tunnel::established.size();
  open.event = audit::audit_event::tunnel_open;
  open.status = 200;
  open.decision.assign(to_string(decision::allow));
  open.duration_us = 0;
  shared_.deps.audit.record(std::move(open));

  audit::audit_record close = std::move(rec_);
  rec_ = {};
  record_pending_ = false;
  close.event = audit::audit_event::tunnel_close;
  close.status = 200;
  close.bytes_up = 0;  // tunnel_close counts the bytes that crossed the tunnel
  close.bytes_down = 0;

  release_relay();
  handed_over_ = true;
  closing_ = true;
  auto t = std::make_shared<tunnel>(worker_, *this, opts_,
                                    tunnel::handed_over{.client = client_.release_socket(),
                                                        .origin = up_->stream.release_socket(),
                                                        .early = std::move(client_buf_),
                                                        .close_record = std::move(close),
                                                        .started = started_});
  up_.reset();
  t->start();
}

}  // namespace tollgate::proxy::detail
