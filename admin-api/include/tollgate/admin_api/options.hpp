#pragma once
#include <string>
#include <vector>

namespace tollgate::admin_api {

/// Config `admin:`.
struct options {
  std::string listen = "127.0.0.1:9090";
  std::vector<std::string> admin_groups{"proxy-admins"};
  std::vector<std::string> auditor_groups{"auditors"};
  std::string tokens_file;      ///< lines "sha256-hex role [name]"; optional
  std::string tls_cert_file;    ///< both set: the admin listener speaks HTTPS
  std::string tls_key_file;
  bool metrics_require_token = false;
};

}  // namespace tollgate::admin_api
