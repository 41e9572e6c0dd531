#include "response.hpp"

#include <boost/json/serialize.hpp>

namespace tollgate::admin_api {

api_response json_response(unsigned status, const boost::json::value& body) {
  api_response r;
  r.status = status;
  r.body = boost::json::serialize(body);
  r.body += '\n';
  return r;
}

api_response error_response(unsigned status, std::string_view code, std::string_view message,
                            boost::json::object extra) {
  extra["code"] = code;
  extra["message"] = message;
  boost::json::object body;
  body["error"] = std::move(extra);
  return json_response(status, body);
}

boost::json::object list_body(boost::json::array items, const std::string& next_cursor) {
  boost::json::object o;
  o["items"] = std::move(items);
  if (next_cursor.empty())
    o["next_cursor"] = nullptr;
  else
    o["next_cursor"] = next_cursor;
  return o;
}

}  // namespace tollgate::admin_api
