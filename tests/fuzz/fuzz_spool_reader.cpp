// libFuzzer: the audit spool reader on a spool file with arbitrary contents (a torn or
// corrupt tail after a crash, a disk error, tampering). Invariant: open() cuts what it
// cannot read and never crashes; reading ends. Frames carry a CRC-32C, which random
// bytes never match; so the input is read as [u16 length][payload] chunks that are
// framed with a correct checksum (reaching the record decoder), and whatever is left
// over is appended raw (a torn tail).
#include "spool.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string dir = [] {
    char d[] = "/tmp/tollgate-fuzz-spool.XXXXXX";
    if (::mkdtemp(d) == nullptr) std::abort();
    return std::string(d);
  }();
  for (const auto& e : std::filesystem::directory_iterator(dir)) std::filesystem::remove(e.path());
  std::string file;
  std::size_t at = 0;
  const auto put_u32 = [&file](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) file.push_back(static_cast<char>(v >> shift));
  };
  while (size - at >= 2) {
    const std::size_t len = std::size_t{data[at]} << 8 | data[at + 1];
    if (size - at - 2 < len) break;
    put_u32(static_cast<std::uint32_t>(len));
    put_u32(tollgate::audit::crc32c(data + at + 2, len));
    file.append(reinterpret_cast<const char*>(data + at + 2), len);
    at += 2 + len;
  }
  file.append(reinterpret_cast<const char*>(data + at), size - at);
  {
    std::ofstream out(dir + "/fuzz.0000000000000001.spool", std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
  }
  auto opened = tollgate::audit::spool::open(dir, "fuzz", 1ull << 30);
  if (!opened) return 0;
  auto& s = **opened;
  std::size_t rounds = 0;
  while (s.has_pending()) {
    const auto batch = s.peek(64);
    if (batch.empty()) break;
    s.consume();
    if (++rounds > size + 1) std::abort();  // more batches than bytes: reading does not end
  }
  return 0;
}
