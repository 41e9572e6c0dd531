// Rules CRUD: validation (422 naming the field), ETag / If-Match (412), 201 + Location.
#include "api.hpp"
#include "tollgate/policy/rule_json.hpp"

namespace tollgate::admin_api {

namespace {

api_response rule_response(unsigned status, const policy::rule& r) {
  auto res = json_response(status, policy::rule_to_json(r));
  res.headers.emplace_back("ETag", etag_for(r.version));
  return res;
}

actor actor_of(const api_request& req) {
  return actor{req.who.name, std::string(to_string(req.who.level)), req.client_ip};
}

api_response validation_failed(const std::vector<policy::rule_problem>& problems) {
  if (problems.empty()) return error_response(422, "validation_failed", "the rule was refused", {{"field", ""}});
  boost::json::array list;
  for (const auto& p : problems) list.push_back({{"field", p.field}, {"message", p.message}});
  const auto& first = problems.front();
  return error_response(422, "validation_failed", (first.field.empty() ? "" : first.field + ": ") + first.message,
                        {{"field", first.field}, {"problems", std::move(list)}});
}

api_response rule_not_found(std::int64_t id) {
  return error_response(404, "not_found", "there is no rule " + std::to_string(id));
}

api_response stale(const std::optional<policy::rule>& current) {
  boost::json::object extra;
  if (current) extra["current_version"] = current->version;
  return error_response(412, "precondition_failed",
                        "the rule has changed since it was read (If-Match does not match its ETag)", extra);
}

// The body of a create or replace, read and validated; or the 4xx to answer.
std::variant<policy::rule, api_response> read_rule(const api_request& req) {
  auto body = parse_json_body(req, false);
  if (auto* err = std::get_if<api_response>(&body)) return std::move(*err);
  auto parsed = policy::rule_from_json(std::get<boost::json::object>(body));
  if (auto* problems = std::get_if<std::vector<policy::rule_problem>>(&parsed)) return validation_failed(*problems);
  return std::get<policy::rule>(std::move(parsed));
}

}  // namespace

api_response api::rules_list() {
  if (!svc_.rules.list) return error_response(503, "not_available", "the rule store is not available");
  boost::json::array items;
  for (const auto& r : svc_.rules.list()) items.push_back(policy::rule_to_json(r));
  return json_response(200, list_body(std::move(items)));
}

api_response api::rule_get(std::int64_t id) {
  if (!svc_.rules.get) return error_response(503, "not_available", "the rule store is not available");
  const auto r = svc_.rules.get(id);
  if (!r) return rule_not_found(id);
  return rule_response(200, *r);
}

api_response api::rules_create(const api_request& req) {
  if (!svc_.rules.create) return error_response(503, "not_available", "the rule store is not available");
  auto read = read_rule(req);
  if (auto* err = std::get_if<api_response>(&read)) return std::move(*err);
  auto& r = std::get<policy::rule>(read);
  r.id = 0;
  const auto result = svc_.rules.create(r, actor_of(req));
  if (result.status == rule_write_status::invalid) return validation_failed(result.problems);
  if (result.status != rule_write_status::ok || !result.rule)
    return error_response(503, "unavailable", "the rule store did not store the rule");
  const auto& stored = *result.rule;
  if (!svc_.rules.records_changes)
    record_action(req, "rule.create", "rule/" + std::to_string(stored.id), std::nullopt, policy::rule_to_json(stored));
  auto res = rule_response(201, stored);
  res.headers.emplace_back("Location", "/api/v1/rules/" + std::to_string(stored.id));
  return res;
}

api_response api::rule_replace(const api_request& req, std::int64_t id) {
  if (!svc_.rules.update || !svc_.rules.get)
    return error_response(503, "not_available", "the rule store is not available");
  auto expected = parse_if_match(req.if_match);
  if (auto* err = std::get_if<api_response>(&expected)) return std::move(*err);
  auto read = read_rule(req);
  if (auto* err = std::get_if<api_response>(&read)) return std::move(*err);
  auto& r = std::get<policy::rule>(read);
  r.id = id;
  const auto before = svc_.rules.get(id);
  if (!before) return rule_not_found(id);
  const auto result = svc_.rules.update(r, std::get<std::optional<std::int64_t>>(expected), actor_of(req));
  switch (result.status) {
    case rule_write_status::not_found:
      return rule_not_found(id);
    case rule_write_status::conflict:
      return stale(result.rule);
    case rule_write_status::invalid:
      return validation_failed(result.problems);
    case rule_write_status::ok:
      break;
  }
  const auto& after = result.rule ? *result.rule : r;
  if (!svc_.rules.records_changes)
    record_action(req, "rule.update", "rule/" + std::to_string(id), policy::rule_to_json(*before),
                  policy::rule_to_json(after));
  return rule_response(200, after);
}

api_response api::rule_delete(const api_request& req, std::int64_t id) {
  if (!svc_.rules.remove) return error_response(503, "not_available", "the rule store is not available");
  auto expected = parse_if_match(req.if_match);
  if (auto* err = std::get_if<api_response>(&expected)) return std::move(*err);
  const auto result = svc_.rules.remove(id, std::get<std::optional<std::int64_t>>(expected), actor_of(req));
  switch (result.status) {
    case rule_write_status::not_found:
      return rule_not_found(id);
    case rule_write_status::conflict:
      return stale(result.rule);
    case rule_write_status::invalid:
      return validation_failed(result.problems);
    case rule_write_status::ok:
      break;
  }
  if (!svc_.rules.records_changes)
    record_action(req, "rule.delete", "rule/" + std::to_string(id),
                result.rule ? std::optional<boost::json::value>(policy::rule_to_json(*result.rule)) : std::nullopt,
                std::nullopt);
  api_response res;
  res.status = 204;
  res.content_type.clear();
  return res;
}

}  // namespace tollgate::admin_api
