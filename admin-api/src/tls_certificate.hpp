#pragma once
#include <openssl/ssl.h>

#include <chrono>
#include <optional>

namespace tollgate::admin_api {

/// The notAfter time of the certificate a TLS server context presents; nullopt when it
/// has none or the date cannot be read.
std::optional<std::chrono::system_clock::time_point> certificate_not_after(const SSL_CTX* ctx);

}  // namespace tollgate::admin_api
