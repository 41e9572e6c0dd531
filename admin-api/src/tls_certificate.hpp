#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace tollgate::admin_api {

/// The notAfter time of the first certificate in a PEM file (the server's own, in a
/// chain file); nullopt when the file holds no readable certificate.
std::optional<std::chrono::system_clock::time_point> certificate_not_after(const std::string& pem_file);

}  // namespace tollgate::admin_api
