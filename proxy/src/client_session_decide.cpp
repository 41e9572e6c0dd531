// Client session, part 2: who is asking, may they, and where exactly does it go.
#include "client_session.hpp"

#include "destination_guard.hpp"
#include "tunnel.hpp"
#include "tollgate/auth/credentials.hpp"
#include "tollgate/auth/user_name.hpp"
#include "worker.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/field.hpp>

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {
constexpr std::chrono::seconds audit_reject_delay{1};
}

void client_session::authenticate() {
  auto& req = req_p_->get();
  const auto it = req.find(http::field::proxy_authorization);
  if (it == req.end()) {
    if (throttled()) return;
    respond(http::status::proxy_authentication_required, decision::auth_required, "",
            "Proxy authentication required.");
    return;
  }
  auto creds = auth::parse_proxy_authorization(it->value());
  if (!creds) {
    if (throttled()) return;
    respond(http::status::proxy_authentication_required, decision::auth_failed, creds.error().message(),
            "Proxy authentication failed.");
    return;
  }
  // Until the directory names the entry (on_auth), the record carries the name's folded
  // key: a request refused before that (429) is filed under the same user as the rest.
  rec_.username = auth::fold_user_name(creds->user);
  const auto& client_address = remote_.address();
  if (auto answer = shared_.deps.authenticator.lookup(*creds, client_address)) {
    if (answer->status != auth::auth_status::ok && throttled()) return;
    on_auth(*answer);
    return;
  }
  if (throttled()) return;  // a client past its 407s does not reach the directory
  shared_.deps.authenticator.verify(std::move(*creds), client_address, client_.get_executor(),
                                    [self = shared_from_this()](auth::auth_result r) { self->on_auth(r); });
}

void client_session::on_auth(const auth::auth_result& r) {
  if (closing_) return;
  if (!r.who.user.empty()) rec_.username = r.who.user;
  switch (r.status) {
    case auth::auth_status::ok:
      who_ = r.who;
      rec_.groups = who_.groups;
      set_request(who_.user, destination_text_);
      admit();
      return;
    case auth::auth_status::bad_credentials:
    case auth::auth_status::locked_out:
      respond(http::status::proxy_authentication_required, decision::auth_failed, r.reason, "Proxy authentication failed.");
      return;
    case auth::auth_status::unavailable:
      respond(http::status::service_unavailable, decision::error, r.reason.empty() ? "directory unavailable" : r.reason,
              "The proxy cannot reach the user directory to check credentials right now. Please try again shortly.");
      return;
  }
}

void client_session::admit() {
  auto& sink = shared_.deps.audit;
  auto a = sink.admit();
  if (a == audit::admission::wait && !shared_.stopping.load(std::memory_order_relaxed)) {
    a = worker_.admission().admit_or_wait(sink, [weak = weak_from_this()] {
      if (auto self = weak.lock(); self && self->waiting_admission_) self->timer_.cancel();
    });
    if (a == audit::admission::wait) {
      // Held until the audit pipeline says it has room (or the proxy stops: on_stopping);
      // the timer does not time out, it keeps the session alive and is cancelled to wake it.
      waiting_admission_ = true;
      timer_.expires_at(clock::time_point::max());
      timer_.async_wait([self = shared_from_this()](error_code) {
        self->waiting_admission_ = false;
        if (self->closing_) return;
        self->admit();
      });
      return;
    }
  }
  switch (a) {
    case audit::admission::open:
      resolve();
      return;
    case audit::admission::reject:
      // Fail closed, and slowly: every 503 is itself a record, so clients retrying at
      // once would keep the full queue full long after PostgreSQL is back. One such
      // answer per connection per second, then the connection closes.
      client_keep_alive_ = false;
      timer_.expires_after(audit_reject_delay);
      timer_.async_wait([self = shared_from_this()](error_code ec) {
        if (ec || self->closing_) return;
        self->canned_retry_after_ = true;
        self->respond(http::status::service_unavailable, decision::error, "audit pipeline full",
                      "The proxy cannot record requests right now. Please try again shortly.");
      });
      return;
    case audit::admission::wait:  // only while stopping
      respond(http::status::service_unavailable, decision::error, "audit pipeline full during shutdown",
              "The proxy is shutting down.");
      return;
  }
}

void client_session::resolve() {
  if (facts_.address) {
    decide(*facts_.address);
    return;
  }
  const auto now = clock::now();
  const auto cached = worker_.dns().find(facts_.host, now);
  if (cached.state == dns_cache::status::hit) {
    decide(cached.address);
    return;
  }
  if (cached.state == dns_cache::status::negative) {
    unresolved("host name does not resolve (cached)");
    return;
  }
  worker_.resolver().async_resolve(
      facts_.host, "", boost::asio::ip::resolver_base::numeric_service,
      [self = shared_from_this()](error_code ec, boost::asio::ip::tcp::resolver::results_type results) {
        if (self->closing_) return;
        auto& w = self->worker_;
        if (ec || results.empty()) {
          self->shared_.m.upstream_dns.Increment();
          if (ec != boost::asio::error::operation_aborted) w.dns().store_failure(self->facts_.host, clock::now());
          self->unresolved("cannot resolve host: " + (ec ? ec.message() : std::string("no addresses")));
          return;
        }
        // Prefer IPv4: one address is checked and connected to, and dual-stack names
        // whose IPv6 path is dead are far more common than the reverse.
        auto addr = results.begin()->endpoint().address();
        for (const auto& e : results) {
          if (e.endpoint().address().is_v4()) {
            addr = e.endpoint().address();
            break;
          }
        }
        w.dns().store(self->facts_.host, addr, clock::now());
        self->decide(addr);
      });
}

// A name that does not resolve: a host-name deny rule still answers 403 (the user
// learns it is policy, not the network); otherwise 502.
void client_session::unresolved(const std::string& why) {
  facts_.address.reset();
  decision_ = shared_.deps.policy.decide(who_, facts_);
  rec_.rule_id = decision_.rule_id;
  rec_.would_rule_id = decision_.would_rule_id;
  rec_.policy_version = decision_.version;
  if (decision_.action == auth::policy_action::deny) {
    deny_page();
    return;
  }
  respond(http::status::bad_gateway, decision::error, why, "The host name could not be resolved.");
}

void client_session::deny_page() {
  const std::string rule = decision_.rule_id ? "rule " + std::to_string(*decision_.rule_id) : "default";
  std::string page = "Access to " + destination_text_ + " is denied by policy (" + rule + ").";
  if (!opts_->support_contact.empty()) page += "\nIf you need access, contact " + opts_->support_contact + ".";
  respond(http::status::forbidden, decision::deny, "denied by " + rule, page);
}

void client_session::decide(boost::asio::ip::address addr) {
  addr = canonical_address(addr);
  facts_.address = addr;
  decision_ = shared_.deps.policy.decide(who_, facts_);
  rec_.rule_id = decision_.rule_id;
  rec_.would_rule_id = decision_.would_rule_id;
  rec_.policy_version = decision_.version;
  if (decision_.action == auth::policy_action::deny) {
    deny_page();
    return;
  }
  if (opts_->block_private_destinations && !decision_.matched_by_address) {
    if (auto why = restricted_reason(addr)) {
      const std::string reason = std::string(*why);
      respond(http::status::forbidden, decision::deny, "blocked " + reason + " destination " + addr.to_string(),
              "Access to " + destination_text_ + " is denied: it resolves to a " + reason +
                  " address, which no address rule allows." +
                  (opts_->support_contact.empty() ? std::string()
                                                  : "\nIf you need access, contact " + opts_->support_contact + "."));
      return;
    }
  }
  destination_ = {addr, facts_.port};
  rec_.upstream_ip = addr.to_string();
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
