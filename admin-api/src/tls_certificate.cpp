#include "tls_certificate.hpp"

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <ctime>

namespace tollgate::admin_api {

std::optional<std::chrono::system_clock::time_point> certificate_not_after(const SSL_CTX* ctx) {
  const X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace tollgate::admin_api
