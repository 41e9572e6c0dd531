#include "max_connections.hpp"

#include <sys/resource.h>

namespace tollgate::proxy::detail {

std::size_t derive_max_connections(std::size_t nofile) noexcept {
  constexpr std::size_t reserve = 256;
  constexpr std::size_t floor = 16;
  if (nofile <= reserve + 2 * floor) return floor;
  return (nofile - reserve) / 2;
}

std::size_t effective_max_connections(std::size_t configured) noexcept {
  if (configured != 0) return configured;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return derive_max_connections(1u << 20);
  return derive_max_connections(static_cast<std::size_t>(lim.rlim_cur));
}

}  // namespace tollgate::proxy::detail
