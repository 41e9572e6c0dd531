#include "tollgate/audit/error.hpp"

#include "tollgate/common/error_category.hpp"

namespace tollgate::audit {
namespace {

const char* describe(int value) noexcept {
  switch (static_cast<error>(value)) {
    case error::bad_key: return "not an Ed25519 key in PEM form";
    case error::key_missing: return "a checkpoint file needs the signing key to check it";
    case error::spool_in_use: return "the spool is in use by another process";
    case error::spool_damaged: return "a spool file can be neither read nor quarantined";
    case error::database_unavailable: return "PostgreSQL could not be read";
  }
  return "unknown audit error";
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const enum_error_category category{"tollgate.audit", describe};
  return category;
}

boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace tollgate::audit
