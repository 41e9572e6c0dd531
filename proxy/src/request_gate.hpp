#pragma once
#include "verdict.hpp"
#include "tollgate/common/request_facts.hpp"
#include "tollgate/proxy/options.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::auth {
struct auth_result;
}

namespace tollgate::proxy::detail {

class worker;
struct shared_state;
class tracked_connection;

/// Decides whether one request may go on: authenticate → admit (the audit pipeline has
/// room) → resolve → decide (policy, then the destination guard). Hands back one
/// verdict; the session only acts on it and knows nothing of credentials, DNS or rules.
///
/// Lifecycle: one gate per client connection, owned by its session, one run() at a
/// time on the connection's io thread. `hold` keeps the owner alive across the steps
/// (the authenticator, the resolver and the audit pipeline may answer late); `done` is
/// called exactly once per run unless cancel() came first. cancel() (the connection
/// closes) ends the run silently; on_stopping() makes a request waiting for the audit
/// pipeline give up with the shutdown answer.
class request_gate {
 public:
  using done_handler = std::function<void(verdict)>;

  /// `conn` is told the user and destination once authenticated (the admin API's list).
  request_gate(worker& w, tracked_connection& conn, boost::asio::ip::address client, done_handler done);

  /// Starts the steps for the request in `facts` (kept by the caller until done; the
  /// gate sets its address). `destination_text` is host:port as the deny page names it.
  void run(std::shared_ptr<void> hold, request_facts& facts, std::optional<std::string_view> proxy_authorization,
           const std::string& destination_text, const options& opts);

  void cancel();
  void on_stopping();

  /// A run that has not answered yet (waiting for the directory, the audit pipeline or
  /// DNS), and what it has learned so far: a request cut short there is recorded with it.
  bool running() const noexcept { return running_; }
  const verdict& so_far() const noexcept { return verdict_; }

 private:
  void on_auth(std::shared_ptr<void> hold, const auth::auth_result& r);
  bool throttled();
  void admit(std::shared_ptr<void> hold);
  void resolve(std::shared_ptr<void> hold);
  void decide(boost::asio::ip::address addr);
  void unresolved(std::string why);
  void deny_by_policy();
  void refuse(refused r);
  void finish();

  worker& worker_;
  shared_state& shared_;
  tracked_connection& conn_;
  boost::asio::ip::address client_;
  done_handler done_;
  boost::asio::steady_timer timer_;  // the audit pipeline's answers: reject delay, wait

  // The run in progress.
  request_facts* facts_ = nullptr;
  const std::string* destination_text_ = nullptr;
  const options* opts_ = nullptr;
  verdict verdict_;
  bool cancelled_ = false;
  bool running_ = false;
  bool waiting_admission_ = false;
};

}  // namespace tollgate::proxy::detail
