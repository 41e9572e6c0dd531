#pragma once
#include <string_view>

namespace tollgate::proxy::detail {

/// How a request ended: the audit record's `decision` column and the label of
/// tollgate_requests_total{decision}. to_string() gives the stored text.
enum class decision { allow, deny, auth_required, auth_failed, error };

constexpr std::string_view to_string(decision d) noexcept {
  switch (d) {
    case decision::allow:
      return "allow";
    case decision::deny:
      return "deny";
    case decision::auth_required:
      return "auth_required";
    case decision::auth_failed:
      return "auth_failed";
    case decision::error:
      return "error";
  }
  return "error";
}

}  // namespace tollgate::proxy::detail
