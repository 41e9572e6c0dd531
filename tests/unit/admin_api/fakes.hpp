#pragma once
// Fakes behind the admin API's service interfaces, for unit tests.
#include "tollgate/admin_api/services.hpp"
#include "tollgate/policy/rule_json.hpp"
#include "tollgate/testing/fake_authenticator.hpp"

#include <boost/asio/post.hpp>
#include <prometheus/registry.h>

#include <map>
#include <mutex>

namespace tollgate::admin_api::testing {

/// An in-memory rule store with per-rule versions.
class fake_rule_store {
 public:
  std::map<std::int64_t, policy::rule> rules;
  std::int64_t next_id = 1;
  bool down = false;
  std::vector<actor> actors;

  rule_operations operations() {
    rule_operations ops;
    ops.list = [this] {
      check();
      std::vector<policy::rule> out;
      for (auto& [id, r] : rules) out.push_back(r);
      policy::sort_rules(out);
      return out;
    };
    ops.get = [this](std::int64_t id) -> std::optional<policy::rule> {
      check();
      const auto it = rules.find(id);
      if (it == rules.end()) return std::nullopt;
      return it->second;
    };
    ops.create = [this](const policy::rule& r, const actor& who) {
      check();
      actors.push_back(who);
      auto stored = r;
      stored.id = next_id++;
      stored.version = 1;
      rules[stored.id] = stored;
      return rule_write_result{rule_write_status::ok, stored, {}};
    };
    ops.update = [this](const policy::rule& r, std::optional<std::int64_t> expected, const actor& who) {
      actors.push_back(who);
      check();
      const auto it = rules.find(r.id);
      if (it == rules.end()) return rule_write_result{rule_write_status::not_found, std::nullopt};
      if (expected && *expected != it->second.version) return rule_write_result{rule_write_status::conflict, it->second};
      auto stored = r;
      stored.version = it->second.version + 1;
      it->second = stored;
      return rule_write_result{rule_write_status::ok, stored};
    };
    ops.remove = [this](std::int64_t id, std::optional<std::int64_t> expected, const actor& who) {
      actors.push_back(who);
      check();
      const auto it = rules.find(id);
      if (it == rules.end()) return rule_write_result{rule_write_status::not_found, std::nullopt};
      if (expected && *expected != it->second.version) return rule_write_result{rule_write_status::conflict, it->second};
      auto old = it->second;
      rules.erase(it);
      return rule_write_result{rule_write_status::ok, old};
    };
    return ops;
  }

 private:
  void check() const {
    if (down) throw std::runtime_error("connection to server failed");
  }
};

class fake_action_log final : public admin_action_log {
 public:
  std::vector<admin_action> actions;
  bool fail = false;
  void record(const admin_action& a) override {
    std::lock_guard lock(mutex_);
    if (fail) throw std::runtime_error("admin_actions unreachable");
    actions.push_back(a);
  }

 private:
  std::mutex mutex_;
};

/// Audit rows kept in memory, answered in (ts DESC, instance, seq) order.
class fake_audit_queries final : public audit_queries {
 public:
  std::vector<audit::audit_record> rows;
  audit_filter last_filter;
  std::size_t last_limit = 0;
  std::optional<audit_cursor> last_after;
  std::size_t batches = 0;
  bool fail_midway = false;

  audit_page search(const audit_filter& f, const std::optional<audit_cursor>& after, std::size_t limit) override {
    last_filter = f;
    last_after = after;
    last_limit = limit;
    audit_page page;
    for (const auto& r : rows) {
      if (page.items.size() == limit) {
        const auto& l = page.items.back();
        page.next = audit_cursor{std::chrono::duration_cast<std::chrono::microseconds>(l.ts.time_since_epoch()).count(),
                                 l.instance, l.seq};
        break;
      }
      if (after && r.seq <= after->seq) continue;
      page.items.push_back(r);
    }
    return page;
  }
  void export_rows(const audit_filter& f,
                   const std::function<bool(std::span<const audit::audit_record>)>& sink) override {
    last_filter = f;
    for (std::size_t i = 0; i < rows.size(); i += 1000) {
      if (fail_midway && i > 0) throw std::runtime_error("connection lost");
      ++batches;
      if (!sink(std::span<const audit::audit_record>(rows).subspan(i, std::min<std::size_t>(1000, rows.size() - i))))
        return;
    }
  }
  std::vector<top_entry> top(top_by by, time_point, time_point, std::size_t limit) override {
    std::vector<top_entry> out{{by == top_by::user ? "alice" : "example.com", 3, 10, 20}};
    if (limit < out.size()) out.resize(limit);
    return out;
  }
};

/// Everything wired with fakes; tests change what they need.
/// The services of an admin API over fakes. Users: carol (proxy-admins), dave (auditors),
/// alice (engineering), and slow-carol (proxy-admins), whom no test has checked before.
struct fake_world {
  fake_world() {
    authn.add("carol", {"carol-pw", {"proxy-admins"}});
    authn.add("dave", {"dave-pw", {"auditors"}});
    authn.add("alice", {"alice-pw", {"engineering"}});
    authn.add("slow-carol", {"pw", {"proxy-admins"}});
  }
  tollgate::testing::fake_authenticator authn;
  prometheus::Registry registry;
  fake_rule_store store;
  fake_action_log log;
  fake_audit_queries audit;
  readiness ready_state{true, dependency_state::ok, dependency_state::ok, dependency_state::ok};
  reload_outcome reload_result{true, {}};
  int reloads = 0;
  std::string verify_error;

  services make_services() {
    services s{.authenticator = authn, .registry = registry};
    s.rules = store.operations();
    s.decide = [](const identity& who, const request_facts& f) {
      policy::decision d;
      d.version = 7;
      if (std::find(who.groups.begin(), who.groups.end(), "engineering") != who.groups.end() && f.port == 443) {
        d.action = policy::policy_action::allow;
        d.rule_id = 1;
      }
      return d;
    };
    s.user_groups = [this](const std::string& user) { return authn.groups_of(user); };
    s.audit = &audit;
    s.verify_audit = [this]() -> result<audit::verify_report> {
      if (!verify_error.empty()) return failure{audit::error::database_unavailable, verify_error};
      return audit::verify_report{
          false, {{"a", 10, 10, std::nullopt}, {"b", 5, 5, audit::chain_break{3, "hash mismatch"}}}};
    };
    s.actions = &log;
    s.connections = [] {
      return std::vector<connection_view>{{"tunnel", "alice", "127.0.0.1:5000", "example.com:443", 10, 20,
                                           std::chrono::milliseconds(1500)}};
    };
    s.ready = [this] { return ready_state; };
    s.reload = [this] {
      ++reloads;
      return reload_result;
    };
    return s;
  }
};

inline audit::audit_record make_record(std::int64_t seq) {
  audit::audit_record r;
  r.ts = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000 - seq));
  r.instance = "a";
  r.seq = seq;
  r.client_ip = "10.0.0.1";
  r.username = "alice";
  r.groups = {"engineering"};
  r.method = "GET";
  r.scheme = "http";
  r.host = "example.com";
  r.port = 80;
  r.path = "/p,\"q\"";
  r.status = 200;
  r.decision = "allow";
  r.hash = {0xab, 0xcd};
  return r;
}

}  // namespace tollgate::admin_api::testing
