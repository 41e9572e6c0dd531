#pragma once
// In-memory stand-ins for the authenticator, policy and audit sink, so the proxy can
// be driven end to end without LDAP or PostgreSQL. Test code only.
#include "tollgate/audit/audit_sink.hpp"
#include "tollgate/audit/room_waiters.hpp"
#include "tollgate/auth/authenticator.hpp"
#include "tollgate/policy/policy.hpp"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tollgate::testing {

/// Static users. The first successful check of a user goes through verify() on a
/// thread of its own (like the LDAP worker); later ones answer from lookup() (cache).
class fake_authenticator final : public auth::authenticator {
 public:
  struct user {
    std::string password;
    std::vector<std::string> groups;
  };
  void add(std::string name, user u) { users_[std::move(name)] = std::move(u); }
  void set_unavailable(bool v) { unavailable_ = v; }

  std::optional<auth::auth_result> lookup(const auth::credentials& c, const boost::asio::ip::address&) override {
    std::lock_guard lock(mutex_);
    if (!cached_.contains(c.user)) return std::nullopt;
    return check(c);
  }

  void verify(auth::credentials c, boost::asio::ip::address, boost::asio::any_io_executor ex,
              std::function<void(auth::auth_result)> done) override {
    std::thread([this, c = std::move(c), ex, done = std::move(done)] {
      // Users named "slow*" take 3 s, like a directory that hangs.
      if (c.user.rfind("slow", 0) == 0) std::this_thread::sleep_for(std::chrono::seconds(3));
      auto r = check(c);
      if (r.status == auth::auth_status::ok) {
        std::lock_guard lock(mutex_);
        cached_.insert(c.user);
      }
      boost::asio::post(ex, [done, r] { done(r); });
    }).detach();
  }

  void flush(const std::string& user) override {
    std::lock_guard lock(mutex_);
    if (user.empty()) cached_.clear();
    else cached_.erase(user);
  }

 private:
  auth::auth_result check(const auth::credentials& c) const {
    auth::auth_result r;
    r.who.user = c.user;
    if (unavailable_) {
      r.status = auth::auth_status::unavailable;
      r.reason = "directory down (fake)";
      return r;
    }
    auto it = users_.find(c.user);
    if (it == users_.end() || it->second.password != c.password) {
      r.status = auth::auth_status::bad_credentials;
      r.reason = "bad credentials";
      return r;
    }
    r.status = auth::auth_status::ok;
    r.who.groups = it->second.groups;
    return r;
  }

  std::map<std::string, user> users_;
  std::set<std::string> cached_;
  std::mutex mutex_;
  std::atomic<bool> unavailable_{false};
};

/// Allow all but listed: host names in `deny_hosts` are denied by rule 7; an address
/// inside an `allow_cidrs` entry is allowed by rule 1 (matched by address, so it may be
/// private); CONNECT only to `connect_ports` (when non-empty); everything else allowed by rule 2.
class fake_policy final : public policy::policy {
 public:
  std::vector<std::string> deny_hosts;
  std::vector<std::string> allow_cidrs;
  std::set<std::uint16_t> connect_ports;

  tollgate::policy::decision decide(const tollgate::identity&, const tollgate::request_facts& f) const override {
    tollgate::policy::decision d;
    d.version = 42;
    for (const auto& h : deny_hosts) {
      if (f.host == h) {
        d.action = tollgate::policy::policy_action::deny;
        d.rule_id = 7;
        return d;
      }
    }
    if (f.is_connect && !connect_ports.empty() && !connect_ports.contains(f.port)) {
      d.action = tollgate::policy::policy_action::deny;
      return d;  // default
    }
    if (f.address) {
      for (const auto& c : allow_cidrs) {
        if (contains(c, *f.address)) {
          d.action = tollgate::policy::policy_action::allow;
          d.rule_id = 1;
          d.matched_by_address = true;
          return d;
        }
      }
    }
    d.action = tollgate::policy::policy_action::allow;
    d.rule_id = 2;
    return d;
  }

 private:
  static bool contains(const std::string& cidr, const boost::asio::ip::address& a) {
    boost::system::error_code ec;
    if (a.is_v4()) {
      auto n = boost::asio::ip::make_network_v4(cidr, ec);
      if (ec) return false;
      auto host = boost::asio::ip::make_network_v4(a.to_v4(), n.prefix_length());
      return host.network() == n.network();
    }
    auto n = boost::asio::ip::make_network_v6(cidr, ec);
    if (ec) return false;
    auto host = boost::asio::ip::make_network_v6(a.to_v6(), n.prefix_length());
    return host.network() == n.network();
  }
};

/// Writes each record as one JSON line to a file the test reads back.
class file_audit_sink final : public audit::audit_sink {
 public:
  /// An empty path keeps nothing (counts only): the bench measures the proxy, not this file.
  explicit file_audit_sink(const std::string& path)
      : file_(path.empty() ? nullptr : std::fopen(path.c_str(), "a")) {}
  std::uint64_t count() const { return count_.load(); }
  ~file_audit_sink() override {
    if (file_) std::fclose(file_);
  }
  void set_admission(audit::admission a) {
    admission_ = a;
    if (a != audit::admission::wait) waiters_.notify();
  }
  audit::admission admit() const override { return admission_; }
  audit::admission admit_or_notify(audit::room_callback on_room) override {
    return waiters_.admit_or_keep([this] { return admission_.load(); }, std::move(on_room));
  }

  void record(audit::audit_record r) override {
    count_.fetch_add(1);
    if (!file_) return;
    std::string line = "{";
    auto field = [&](const char* k, const std::string& v) {
      line += "\"";
      line += k;
      line += "\":\"";
      for (char c : v) {
        if (c == '"' || c == '\\') line += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
          line += ' ';
          continue;
        }
        line += c;
      }
      line += "\",";
    };
    auto num = [&](const char* k, long long v) {
      line += "\"";
      line += k;
      line += "\":" + std::to_string(v) + ",";
    };
    field("event", std::string(audit::to_string(r.event)));
    field("client_ip", r.client_ip);
    num("client_port", r.client_port);
    field("username", r.username);
    std::string groups;
    for (const auto& g : r.groups) groups += (groups.empty() ? "" : ",") + g;
    field("groups", groups);
    field("method", r.method);
    field("scheme", r.scheme);
    field("host", r.host);
    num("port", r.port);
    field("path", r.path);
    num("status", r.status);
    field("decision", r.decision);
    num("rule_id", r.rule_id.value_or(-1));
    num("policy_version", r.policy_version);
    num("bytes_up", static_cast<long long>(r.bytes_up));
    num("bytes_down", static_cast<long long>(r.bytes_down));
    num("duration_us", static_cast<long long>(r.duration_us));
    field("upstream_ip", r.upstream_ip);
    field("user_agent", r.user_agent);
    field("error", r.error);
    line.back() = '}';
    line += '\n';
    std::lock_guard lock(mutex_);
    if (file_) {
      std::fputs(line.c_str(), file_);
      std::fflush(file_);
    }
  }

 private:
  std::FILE* file_;
  std::mutex mutex_;
  std::atomic<audit::admission> admission_{audit::admission::open};
  audit::room_waiters waiters_;
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace tollgate::testing
