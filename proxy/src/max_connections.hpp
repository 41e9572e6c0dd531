#pragma once
#include <cstddef>

namespace tollgate::proxy::detail {

/// The connection limit in force: `configured` when not 0; otherwise derived from
/// RLIMIT_NOFILE, leaving 256 descriptors for everything else and two per proxied
/// connection (client and upstream side).
std::size_t effective_max_connections(std::size_t configured) noexcept;

/// The derivation alone, for a given descriptor limit (unit-testable).
std::size_t derive_max_connections(std::size_t nofile) noexcept;

}  // namespace tollgate::proxy::detail
