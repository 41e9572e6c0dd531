#pragma once
#include "access.hpp"
#include "query_params.hpp"
#include "response.hpp"
#include "routes.hpp"
#include "tollgate/admin_api/options.hpp"
#include "tollgate/admin_api/services.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <variant>

namespace prometheus {
class Counter;
}

namespace tollgate::admin_api {

/// One authenticated request as the handlers see it (transport already dealt with).
struct api_request {
  route_match match;         ///< status == found
  std::string query;         ///< percent-encoded, without '?'
  std::string body;
  std::string content_type;  ///< Content-Type header as sent
  std::string if_match;      ///< If-Match header as sent; empty when absent
  principal who;             ///< meaningless for open routes
  std::string client_ip;
};

/// An export the session will stream: the filter, and how to format rows.
struct export_plan {
  audit_filter filter;
  export_format format = export_format::ndjson;
};

/// The REST handlers, free of any transport: routing and authentication happen
/// before, streaming of exports after. Thread-safe; handle() blocks on services, so
/// it runs on a worker thread, never an io thread.
class api {
 public:
  api(const options& opts, services& svc);

  /// Answers every route except audit_export. Never throws: a service that throws
  /// becomes 503 `unavailable`, bad input a 4xx.
  api_response handle(const api_request& req);

  /// Checks an export request: an error response, or what to stream.
  std::variant<api_response, export_plan> prepare_export(const api_request& req) const;

  /// Records one admin write. Failures are logged and counted, never thrown: the
  /// write itself has already happened.
  void record_action(const api_request& req, std::string action, std::string target,
                     std::optional<boost::json::value> before, std::optional<boost::json::value> after);

  services& svc() { return svc_; }

 private:
  api_response dispatch(const api_request& req);
  api_response readyz();
  api_response metrics();
  api_response rules_list();
  api_response rules_create(const api_request& req);
  api_response rule_get(std::int64_t id);
  api_response rule_replace(const api_request& req, std::int64_t id);
  api_response rule_delete(const api_request& req, std::int64_t id);
  api_response policy_test(const api_request& req);
  api_response audit_search(const api_request& req);
  api_response audit_verify();
  api_response connections();
  api_response stats_top(const api_request& req);
  api_response auth_cache_flush(const api_request& req);
  api_response reload(const api_request& req);

  const options& opts_;
  services& svc_;
  prometheus::Counter* unrecorded_ = nullptr;
};

/// Parses a JSON request body: an object, or the 4xx to answer (400 malformed, 415
/// wrong Content-Type, 422 not an object). An empty body is `{}` when `empty_ok`.
std::variant<boost::json::object, api_response> parse_json_body(const api_request& req, bool empty_ok);

/// `If-Match` -> expected version: nullopt for absent or `*`; an error response for
/// anything that is not one strong ETag of ours (`"<version>"`).
std::variant<std::optional<std::int64_t>, api_response> parse_if_match(const std::string& header);

std::string etag_for(std::int64_t version);

}  // namespace tollgate::admin_api
