#pragma once
#include "decision.hpp"
#include "tollgate/policy/policy.hpp"
#include "tollgate/common/identity.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/status.hpp>

#include <string>
#include <variant>

namespace tollgate::proxy::detail {

/// The request may go on: to this address (the one that was checked) and port.
struct allowed {
  boost::asio::ip::tcp::endpoint destination;
};

/// A text that is a literal (no allocation) or was built for this request.
struct answer_text {
  std::string_view literal;
  std::string built;

  answer_text() = default;
  answer_text(const char* s) : literal(s) {}  // NOLINT(google-explicit-constructor): literals read as text
  answer_text(std::string s) : built(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  std::string_view view() const noexcept { return built.empty() ? literal : std::string_view(built); }
};

/// The request is answered by the proxy itself.
struct refused {
  boost::beast::http::status status = boost::beast::http::status::forbidden;
  decision outcome = decision::error;
  std::string error;          ///< the audit record's `error`
  answer_text page;           ///< the answer's text
  bool retry_after = false;   ///< the answer says Retry-After: 1
  bool close = false;         ///< the connection closes after the answer
};

/// What the request_gate found about one request: who asked (as far as it got), what the
/// policy said (when it was asked), and whether the request goes on. Refused requests
/// keep what was learned before the refusal, so their record names user and rule.
struct verdict {
  /// The name the request is on record under: the directory's name once it said it, else
  /// the typed name folded (fold_user_name); empty when no credentials could be read.
  std::string username;
  identity who;            ///< empty unless authenticated
  policy::decision policy;   ///< rule ids and version; all empty when the policy was not asked
  std::variant<allowed, refused> result;

  bool is_allowed() const noexcept { return std::holds_alternative<allowed>(result); }
};

}  // namespace tollgate::proxy::detail
