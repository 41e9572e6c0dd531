// The request gate: who is asking, may the request be recorded, where exactly does it
// go, and may they go there.
#include "request_gate.hpp"

#include "connection_registry.hpp"
#include "destination_guard.hpp"
#include "tollgate/auth/authenticator.hpp"
#include "tollgate/auth/credentials.hpp"
#include "tollgate/auth/user_name.hpp"
#include "worker.hpp"

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;
using boost::system::error_code;
using clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::seconds audit_reject_delay{1};
}

request_gate::request_gate(worker& w, tracked_connection& conn, boost::asio::ip::address client, done_handler done)
    : worker_(w), shared_(w.shared()), conn_(conn), client_(client), done_(std::move(done)), timer_(w.context()) {}

void request_gate::cancel() {
  cancelled_ = true;
  timer_.cancel();
}

void request_gate::on_stopping() {
  if (waiting_admission_) timer_.cancel();  // admit() asks again and answers 503: shutting down
}

void request_gate::finish() {
  running_ = false;
  done_(std::move(verdict_));
}

void request_gate::refuse(refused r) {
  verdict_.result = std::move(r);
  finish();
}

void request_gate::run(std::shared_ptr<void> hold, request_facts& facts,
                       std::optional<std::string_view> proxy_authorization, const std::string& destination_text,
                       const options& opts) {
  facts_ = &facts;
  destination_text_ = &destination_text;
  opts_ = &opts;
  verdict_ = {};
  running_ = true;
  if (!proxy_authorization) {
    if (throttled()) return;
    refuse({.status = http::status::proxy_authentication_required,
            .outcome = decision::auth_required,
            .error = {},
            .page = "Proxy authentication required."});
    return;
  }
  auto creds = auth::parse_proxy_authorization(*proxy_authorization);
  if (!creds) {
    if (throttled()) return;
    refuse({.status = http::status::proxy_authentication_required,
            .outcome = decision::auth_failed,
            .error = creds.error().message(),
            .page = "Proxy authentication failed."});
    return;
  }
  // Until the directory names the entry (on_auth), the record carries the name's folded
  // key: a request refused before that (429) is filed under the same user as the rest.
  verdict_.username = auth::fold_user_name(creds->user);
  if (auto answer = shared_.deps.authenticator.lookup(*creds, client_)) {
    if (answer->status != auth::auth_status::ok && throttled()) return;
    on_auth(std::move(hold), *answer);
    return;
  }
  if (throttled()) return;  // a client past its 407s does not reach the directory
  auto ex = timer_.get_executor();
  shared_.deps.authenticator.verify(std::move(*creds), client_, std::move(ex),
                                    [this, hold](auth::auth_result r) mutable { on_auth(std::move(hold), r); });
}

// Answers 429 when the client has used up its 407s (flood_guard).
bool request_gate::throttled() {
  if (shared_.flood.challenge_allowed(client_, opts_->flood, shared_.now())) return false;
  // No 407 and no directory lookup: the client has had its share of challenges.
  refuse({.status = http::status::too_many_requests,
          .outcome = decision::error,
          .error = "too many unauthenticated requests from this client address",
          .page = "Too many requests without valid credentials from your address. Please try again shortly.",
          .retry_after = true});
  return true;
}

void request_gate::on_auth(std::shared_ptr<void> hold, const auth::auth_result& r) {
  if (cancelled_) return;
  if (!r.who.user.empty()) verdict_.username = r.who.user;
  switch (r.status) {
    case auth::auth_status::ok:
      verdict_.who = r.who;
      conn_.set_request(verdict_.who.user, *destination_text_);
      admit(std::move(hold));
      return;
    case auth::auth_status::bad_credentials:
    case auth::auth_status::locked_out:
      refuse({.status = http::status::proxy_authentication_required,
              .outcome = decision::auth_failed,
              .error = r.reason,
              .page = "Proxy authentication failed."});
      return;
    case auth::auth_status::unavailable:
      refuse({.status = http::status::service_unavailable,
              .outcome = decision::error,
              .error = r.reason.empty() ? "directory unavailable" : r.reason,
              .page = "The proxy cannot reach the user directory to check credentials right now. Please try "
                      "again shortly."});
      return;
  }
}

void request_gate::admit(std::shared_ptr<void> hold) {
  auto& sink = shared_.deps.audit;
  auto a = sink.admit();
  if (a == audit::admission::wait && !shared_.stopping.load(std::memory_order_relaxed)) {
    a = worker_.admission().admit_or_wait(sink, [this, weak = std::weak_ptr<void>(hold)] {
      if (auto alive = weak.lock(); alive && waiting_admission_) timer_.cancel();
    });
    if (a == audit::admission::wait) {
      // Held until the audit pipeline says it has room (or the proxy stops: on_stopping);
      // the timer does not time out, it keeps the owner alive and is cancelled to wake it.
      waiting_admission_ = true;
      timer_.expires_at(clock::time_point::max());
      timer_.async_wait([this, hold](error_code) mutable {
        waiting_admission_ = false;
        if (cancelled_) return;
        admit(std::move(hold));
      });
      return;
    }
  }
  switch (a) {
    case audit::admission::open:
      resolve(std::move(hold));
      return;
    case audit::admission::reject:
      // Fail closed, and slowly: every 503 is itself a record, so clients retrying at
      // once would keep the full queue full long after PostgreSQL is back. One such
      // answer per connection per second, then the connection closes.
      timer_.expires_after(audit_reject_delay);
      timer_.async_wait([this, hold](error_code ec) {
        if (ec || cancelled_) return;
        refuse({.status = http::status::service_unavailable,
                .outcome = decision::error,
                .error = "audit pipeline full",
                .page = "The proxy cannot record requests right now. Please try again shortly.",
                .retry_after = true,
                .close = true});
      });
      return;
    case audit::admission::wait:  // only while stopping
      refuse({.status = http::status::service_unavailable,
              .outcome = decision::error,
              .error = "audit pipeline full during shutdown",
              .page = "The proxy is shutting down."});
      return;
  }
}

void request_gate::resolve(std::shared_ptr<void> hold) {
  if (facts_->address) {
    decide(*facts_->address);
    return;
  }
  const auto now = clock::now();
  const auto cached = worker_.dns().find(facts_->host, now);
  if (cached.state == dns_cache::status::hit) {
    decide(cached.address);
    return;
  }
  if (cached.state == dns_cache::status::negative) {
    unresolved("host name does not resolve (cached)");
    return;
  }
  worker_.resolver().async_resolve(
      facts_->host, "", boost::asio::ip::resolver_base::numeric_service,
      [this, hold](error_code ec, boost::asio::ip::tcp::resolver::results_type results) {
        if (cancelled_) return;
        auto& w = worker_;
        if (ec || results.empty()) {
          shared_.m.upstream_dns.Increment();
          if (ec != boost::asio::error::operation_aborted) w.dns().store_failure(facts_->host, clock::now());
          unresolved("cannot resolve host: " + (ec ? ec.message() : std::string("no addresses")));
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
        w.dns().store(facts_->host, addr, clock::now());
        decide(addr);
      });
}

// A name that does not resolve: a host-name deny rule still answers 403 (the user
// learns it is policy, not the network); otherwise 502.
void request_gate::unresolved(std::string why) {
  facts_->address.reset();
  verdict_.policy = shared_.deps.policy.decide(verdict_.who, *facts_);
  if (verdict_.policy.action == policy::policy_action::deny) {
    deny_by_policy();
    return;
  }
  refuse({.status = http::status::bad_gateway,
          .outcome = decision::error,
          .error = std::move(why),
          .page = "The host name could not be resolved."});
}

void request_gate::deny_by_policy() {
  const auto& p = verdict_.policy;
  const std::string rule = p.rule_id ? "rule " + std::to_string(*p.rule_id) : "default";
  std::string page = "Access to " + *destination_text_ + " is denied by policy (" + rule + ").";
  if (!opts_->support_contact.empty()) page += "\nIf you need access, contact " + opts_->support_contact + ".";
  refuse({.status = http::status::forbidden,
          .outcome = decision::deny,
          .error = "denied by " + rule,
          .page = std::move(page)});
}

void request_gate::decide(boost::asio::ip::address addr) {
  addr = canonical_address(addr);
  facts_->address = addr;
  verdict_.policy = shared_.deps.policy.decide(verdict_.who, *facts_);
  if (verdict_.policy.action == policy::policy_action::deny) {
    deny_by_policy();
    return;
  }
  if (opts_->block_private_destinations && !verdict_.policy.matched_by_address) {
    if (auto why = restricted_reason(addr)) {
      const std::string reason = std::string(*why);
      refuse({.status = http::status::forbidden,
              .outcome = decision::deny,
              .error = "blocked " + reason + " destination " + addr.to_string(),
              .page = "Access to " + *destination_text_ + " is denied: it resolves to a " + reason +
                      " address, which no address rule allows." +
                      (opts_->support_contact.empty()
                           ? std::string()
                           : "\nIf you need access, contact " + opts_->support_contact + ".")});
      return;
    }
  }
  verdict_.result = allowed{{addr, facts_->port}};
  finish();
}

}  // namespace tollgate::proxy::detail
