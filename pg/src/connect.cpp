#include "tollgate/pg/connect.hpp"

namespace tollgate::pg {

std::string with_connect_timeout(const std::string& dsn, int seconds) {
  if (dsn.find("connect_timeout") != std::string::npos) return dsn;
  const auto value = std::to_string(seconds);
  if (dsn.starts_with("postgresql://") || dsn.starts_with("postgres://"))
    return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + value;
  return dsn + (dsn.empty() ? "" : " ") + "connect_timeout=" + value;
}

result<std::unique_ptr<pqxx::connection>> connect(const std::string& dsn) {
  return capture([&] { return std::make_unique<pqxx::connection>(dsn); });
}

}  // namespace tollgate::pg
