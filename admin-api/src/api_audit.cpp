// Audit search, verification and top talkers (exports are streamed by the session).
#include "api.hpp"
#include "cursor.hpp"
#include "record_format.hpp"
#include "time_format.hpp"

namespace tollgate::admin_api {

namespace {

api_response bad_param(const param_error& e) {
  return error_response(400, e.code, (e.field.empty() ? "" : e.field + ": ") + e.message, {{"field", e.field}});
}

}  // namespace

api_response api::audit_search(const api_request& req) {
  auto params = parse_audit_params(req.query, false);
  if (!params) return bad_param(params.error());
  if (svc_.audit == nullptr) return error_response(503, "not_available", "audit search is not available");
  const auto page = svc_.audit->search(params->filter, params->cursor, params->limit);
  boost::json::array items;
  items.reserve(page.items.size());
  for (const auto& r : page.items) items.push_back(record_to_json(r));
  return json_response(200, list_body(std::move(items), page.next ? encode_cursor(*page.next) : std::string()));
}

std::variant<api_response, export_plan> api::prepare_export(const api_request& req) const {
  auto params = parse_audit_params(req.query, true);
  if (!params) return bad_param(params.error());
  if (svc_.audit == nullptr) return error_response(503, "not_available", "audit export is not available");
  return export_plan{params->filter, params->format};
}

api_response api::audit_verify() {
  if (!svc_.verify_audit) return error_response(503, "not_available", "audit verification is not available");
  const auto outcome = svc_.verify_audit();
  if (!outcome)
    return error_response(503, "unavailable", "the audit chains could not be checked: " + outcome.error().message());
  const auto& report = *outcome;
  boost::json::array instances;
  for (const auto& c : report.instances) {
    boost::json::value brk = nullptr;
    if (c.broken) brk = boost::json::object{{"seq", c.broken->seq}, {"reason", c.broken->reason}};
    instances.push_back({{"instance", c.instance}, {"records", c.records}, {"last_seq", c.last_seq}, {"break", brk}});
  }
  return json_response(200, {{"intact", report.intact}, {"instances", std::move(instances)}});
}

api_response api::stats_top(const api_request& req) {
  auto params = parse_top_params(req.query, std::chrono::system_clock::now());
  if (!params) return bad_param(params.error());
  if (svc_.audit == nullptr) return error_response(503, "not_available", "audit statistics are not available");
  boost::json::array items;
  for (const auto& e : svc_.audit->top(params->by, params->from, params->to, params->limit))
    items.push_back({{"key", e.key}, {"requests", e.requests}, {"bytes_up", e.bytes_up}, {"bytes_down", e.bytes_down}});
  auto body = list_body(std::move(items));
  body["by"] = params->by == top_by::user ? "user" : "host";
  body["from"] = format_rfc3339(params->from);
  body["to"] = format_rfc3339(params->to);
  return json_response(200, body);
}

}  // namespace tollgate::admin_api
