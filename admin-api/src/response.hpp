#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tollgate::admin_api {

/// What a handler answers; the session turns it into an HTTP response.
struct api_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

api_response json_response(unsigned status, const boost::json::value& body);

/// The design's error shape: {"error": {"code", "message", ...extra}}.
api_response error_response(unsigned status, std::string_view code, std::string_view message,
                            boost::json::object extra = {});

/// {"items": [...], "next_cursor": cursor-or-null}.
boost::json::object list_body(boost::json::array items, const std::string& next_cursor = {});

}  // namespace tollgate::admin_api
