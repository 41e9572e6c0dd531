#include "tollgate/audit/audit_record.hpp"

namespace tollgate::audit {

std::string_view to_string(audit_event e) noexcept {
  switch (e) {
    case audit_event::request: return "request";
    case audit_event::tunnel_open: return "tunnel_open";
    case audit_event::tunnel_close: return "tunnel_close";
  }
  return "request";
}

}  // namespace tollgate::audit
