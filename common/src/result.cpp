#include "tollgate/common/result.hpp"

#include <boost/throw_exception.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tollgate {

failure errno_failure(const std::string& what) {
  const int e = errno;
  return failure{{e, boost::system::system_category()}, what + ": " + std::strerror(e)};
}

void throw_exception_from_error(const failure& f, const boost::source_location& loc) {
  boost::throw_exception(std::runtime_error(f.message()), loc);
}

}  // namespace tollgate
