#pragma once
#include "tollgate/admin_api/options.hpp"
#include "tollgate/auth/credentials.hpp"

#include <boost/system/result.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tollgate::admin_api {

/// admin: everything; auditor: audit reads, stats and connections only.
enum class role { auditor, admin };
std::string_view to_string(role r) noexcept;

/// Who is calling, once authenticated.
struct principal {
  std::string name;  ///< user name, or "token:<name>"
  role level = role::auditor;
};

/// What a route asks of its caller.
enum class access { open, metrics, auditor, admin };

/// True when `r` may use a route that asks for `a` (open/metrics are decided elsewhere).
bool permits(role r, access a) noexcept;

/// Role from directory groups: admin_groups win over auditor_groups; nullopt: neither.
std::optional<role> role_for_groups(const std::vector<std::string>& groups, const options& opts);

/// What an `Authorization` header holds.
struct no_credentials {};
struct bearer_token {
  std::string token;
};
struct malformed_credentials {};
using presented = std::variant<no_credentials, auth::credentials, bearer_token, malformed_credentials>;
presented parse_authorization(std::string_view header_value);

/// The bearer tokens of `tokens_file`: lines `<sha256-hex> <admin|auditor> [name]`,
/// `#` comments and blank lines ignored. Only hashes are kept in memory.
class token_table {
 public:
  struct entry {
    role level = role::auditor;
    std::string name;
  };
  /// Parses the file's text; the error names the line ("line 3: role must be admin or auditor").
  static boost::system::result<token_table, std::string> parse(std::string_view text);
  /// Reads and parses a file; the error names the file.
  static boost::system::result<token_table, std::string> load(const std::string& path);

  /// The entry whose hash is SHA-256(token), compared in constant time.
  std::optional<entry> find(std::string_view token) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, entry> entries_;  ///< lower-case hex hash -> entry
};

std::string sha256_hex(std::string_view data);

}  // namespace tollgate::admin_api
