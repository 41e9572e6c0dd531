// libFuzzer: what the admin API parses from a caller: query strings of the audit search,
// export and top-talkers routes, keyset cursors, and JSON rule bodies. Invariants: a
// cursor that decodes re-encodes to a cursor that decodes to the same position; a rule
// accepted from JSON survives rule_to_json -> rule_from_json unchanged; limits hold.
#include "cursor.hpp"
#include "query_params.hpp"
#include "tollgate/policy/rule_json.hpp"

#include <boost/json/parse.hpp>

#include <cstdlib>
#include <string_view>

using namespace tollgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  for (const bool for_export : {false, true}) {
    const auto p = admin_api::parse_audit_params(text, for_export);
    if (p && (p->limit == 0 || p->limit > admin_api::max_page_limit)) std::abort();
  }
  (void)admin_api::parse_top_params(text, std::chrono::system_clock::time_point(std::chrono::hours(500'000)));
  (void)admin_api::refuse_params(text);

  if (const auto c = admin_api::decode_cursor(text)) {
    const auto again = admin_api::decode_cursor(admin_api::encode_cursor(*c));
    if (!again || admin_api::encode_cursor(*again) != admin_api::encode_cursor(*c)) std::abort();
  }

  boost::system::error_code ec;
  const auto json = boost::json::parse(text, ec);
  if (ec) return 0;
  const auto parsed = policy::rule_from_json(json);
  if (const auto* r = std::get_if<policy::rule>(&parsed)) {
    const auto round = policy::rule_from_json(policy::rule_to_json(*r));
    const auto* back = std::get_if<policy::rule>(&round);
    if (back == nullptr) std::abort();
    policy::rule a = *r, b = *back;
    a.id = b.id = 0;
    a.version = b.version = 0;
    if (!(a == b)) std::abort();
  }
  return 0;
}
