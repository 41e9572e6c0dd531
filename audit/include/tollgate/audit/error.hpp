#pragma once
// The audit component's error codes (the shape: tollgate/common/result.hpp).
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace tollgate::audit {

/// Why an audit factory or adapter failed. OS errors (open, write, flock) are
/// passed through as system codes; these are the audit's own reasons.
enum class error {
  bad_key = 1,           ///< the file is not an Ed25519 key in PEM form
  key_missing,           ///< a checkpoint file is given without the key that signs it
  spool_in_use,          ///< another process holds the spool's instance lock
  spool_damaged,         ///< a spool file can be neither read nor quarantined
  database_unavailable,  ///< PostgreSQL could not be read
};

const boost::system::error_category& error_category() noexcept;
boost::system::error_code make_error_code(error e) noexcept;

}  // namespace tollgate::audit

template <>
struct boost::system::is_error_code_enum<tollgate::audit::error> : std::true_type {};
