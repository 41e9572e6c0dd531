#pragma once
// An audit sink that writes JSON lines a test in another process reads back (the proxy
// testbed's), or only counts (the bench).
#include "tollgate/audit/audit_sink.hpp"
#include "tollgate/audit/room_waiters.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace tollgate::testing {

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
