// libFuzzer: the YAML config loader, on whatever a file may hold. Invariant: it answers
// with a config or with problems, each naming a line; it never throws out or crashes.
#include "tollgate/app/config.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = [] {
    char dir[] = "/tmp/tollgate-fuzz-config.XXXXXX";
    if (::mkdtemp(dir) == nullptr) std::abort();
    return std::string(dir) + "/tollgate.yaml";
  }();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  const auto result = tollgate::app::load_config(path);
  if (!result) {
    if (result.error().empty()) std::abort();
    for (const auto& p : result.error()) (void)tollgate::app::to_string(p);
  }
  return 0;
}
