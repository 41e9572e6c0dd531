#pragma once
#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace tollgate::admin_api {

/// One write made through the admin API, as stored in `admin_actions`.
struct admin_action {
  std::string actor;   ///< user name, or "token:<name>" for a bearer token
  std::string role;    ///< admin|auditor
  std::string action;  ///< e.g. "rule.create", "rule.update", "rule.delete", "auth.cache.flush", "config.reload"
  std::string target;  ///< e.g. "rule/42"; empty when none
  std::optional<boost::json::value> before;
  std::optional<boost::json::value> after;
  std::string client_ip;  ///< textual address of the admin's client
};

/// Where admin writes are recorded. record() blocks (called on a worker thread) and
/// throws std::exception when the record could not be stored.
class admin_action_log {
 public:
  virtual ~admin_action_log() = default;
  virtual void record(const admin_action& a) = 0;
};

}  // namespace tollgate::admin_api
