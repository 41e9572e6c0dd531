#include "spool.hpp"

#include "tollgate/audit/canonical.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace tollgate::audit {
namespace {

constexpr std::uint32_t max_frame = 16u << 20;
constexpr std::size_t frame_header = 8;

std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

void put_u32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  out.append(b, 4);
}

std::uint32_t get_u32(const unsigned char* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// Instance names are free text; file names keep [A-Za-z0-9_-] and hex-escape the rest.
std::string file_stem(const std::string& instance) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : instance) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(digits[u >> 4]);
      out.push_back(digits[u & 15]);
    }
  }
  return out.empty() ? std::string("%") : out;
}

bool pread_all(int fd, void* buf, std::size_t len, std::uint64_t off) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    const auto n = ::pread(fd, p, len, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    off += static_cast<std::uint64_t>(n);
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

bool decode_payload(std::string_view payload, audit_record& rec) {
  if (payload.size() < 2 * hash_size) return false;
  const auto enc = payload.substr(0, payload.size() - 2 * hash_size);
  if (!decode_canonical(enc, rec)) return false;
  const auto* h = reinterpret_cast<const std::uint8_t*>(payload.data() + enc.size());
  rec.prev_hash.assign(h, h + hash_size);
  rec.hash.assign(h + hash_size, h + 2 * hash_size);
  return true;
}

// The length of the frame starting at `at` when it checks out (length in bounds,
// checksum, a record that decodes), else 0. The payload must open with the record's
// first field (ts: a value of 8 bytes), which rules out almost every wrong offset
// before the checksum is computed.
std::size_t frame_at(std::string_view buf, std::size_t at, audit_record* rec = nullptr) {
  static constexpr unsigned char ts_field[5] = {1, 0, 0, 0, 8};
  if (at > buf.size() || buf.size() - at < frame_header + sizeof ts_field) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(buf.data() + at);
  const auto len = get_u32(p);
  if (len > max_frame || len < 2 * hash_size || buf.size() - at - frame_header < len) return 0;
  if (std::memcmp(p + frame_header, ts_field, sizeof ts_field) != 0) return 0;
  if (crc32c(p + frame_header, len) != get_u32(p + 4)) return 0;
  audit_record decoded;
  if (!decode_payload(buf.substr(at + frame_header, len), decoded)) return 0;
  if (rec != nullptr) *rec = std::move(decoded);
  return frame_header + len;
}

// The first offset at or after `from` where a good frame starts.
std::optional<std::size_t> next_frame(std::string_view buf, std::size_t from) {
  for (std::size_t at = from; at + frame_header < buf.size(); ++at)
    if (frame_at(buf, at) != 0) return at;
  return std::nullopt;
}

bool read_all(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = std::move(ss).str();
  return static_cast<bool>(in) || in.eof();
}

bool write_synced(const std::string& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == data.size() && ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

void fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t len) noexcept {
  static const auto table = make_crc_table();
  std::uint32_t c = 0xFFFFFFFFu;
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < len; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

result<std::unique_ptr<spool>> spool::open(const std::string& dir, const std::string& instance, std::uint64_t max_bytes,
                               std::uint64_t rotate_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return failure{ec, "cannot create spool folder " + dir + ": " + ec.message()};

  std::unique_ptr<spool> s(new spool());
  s->dir_ = dir;
  s->stem_ = file_stem(instance);
  s->max_bytes_ = max_bytes;
  s->rotate_bytes_ = std::max<std::uint64_t>(std::min(rotate_bytes, max_bytes / 4), 1 << 16);

  const auto lock_path = dir + "/" + s->stem_ + ".lock";
  s->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd_ < 0) return errno_failure("cannot open " + lock_path);
  if (::flock(s->lock_fd_, LOCK_EX | LOCK_NB) != 0)
    return failure{error::spool_in_use,
                   "spool " + lock_path + " is in use by another process (instance names must be unique)"};

  const std::string prefix = s->stem_ + ".";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.find(".spool.quarantined") != std::string::npos) ++s->quarantined_files_;
    if (!name.starts_with(prefix) || !name.ends_with(".spool")) continue;
    const auto digits = std::string_view(name).substr(prefix.size(), name.size() - prefix.size() - 6);
    std::uint64_t number = 0;
    const auto [p, err] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (err != std::errc{} || p != digits.data() + digits.size()) continue;
    s->files_.push_back({number, entry.path().string(), 0});
  }
  if (ec) return failure{ec, "cannot list spool folder " + dir + ": " + ec.message()};
  std::sort(s->files_.begin(), s->files_.end(), [](const file& a, const file& b) { return a.number < b.number; });

  for (std::size_t i = 0; i < s->files_.size(); ++i) {
    if (!s->scan(s->files_[i], i + 1 == s->files_.size()))
      return failure{error::spool_damaged,
                     "cannot read or quarantine spool file " + s->files_[i].path + ": " + std::strerror(errno)};
  }
  std::erase_if(s->files_, [](const file& f) {
    if (f.size != 0) return false;
    ::unlink(f.path.c_str());
    return true;
  });
  for (const auto& f : s->files_) s->bytes_ += f.size;
  if (s->pending_records_ > 0)
    spdlog::info("audit spool {}: {} record(s) in {} file(s) wait for replay", dir, s->pending_records_,
                 s->files_.size());
  return s;
}

// Checks every frame of one file, counts its records, and cuts off a torn tail.
bool spool::scan(file& f, bool last) {
  const int fd = ::open(f.path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t off = 0;
  std::uint64_t records = 0;
  std::string payload;
  const char* problem = nullptr;
  while (off < size) {
    unsigned char hdr[frame_header];
    if (size - off < frame_header) { problem = "short frame header"; break; }
    if (!pread_all(fd, hdr, frame_header, off)) { problem = "unreadable frame header"; break; }
    const auto len = get_u32(hdr);
    if (len > max_frame || size - off - frame_header < len) { problem = "frame runs past the end"; break; }
    payload.resize(len);
    if (!pread_all(fd, payload.data(), len, off + frame_header)) { problem = "unreadable frame"; break; }
    if (crc32c(payload.data(), len) != get_u32(hdr + 4)) { problem = "checksum mismatch"; break; }
    audit_record rec;
    if (!decode_payload(payload, rec)) { problem = "undecodable record"; break; }
    if (rec.seq > head_.seq) head_ = {rec.seq, rec.hash};
    off += frame_header + len;
    ++records;
  }
  if (problem != nullptr) {
    const int salvaged = salvage(f, 0, off, problem);
    if (salvaged != 0) {
      ::close(fd);
      if (salvaged > 0) pending_records_ += f.records;
      return salvaged > 0;
    }
    // Nothing good follows the bad frame: a write cut short.
    const auto cut = size - off;
    if (last) {
      spdlog::warn("audit spool {}: dropped a torn tail of {} byte(s) at offset {} ({}): a write cut short by a crash",
                   f.path, cut, off, problem);
    } else {
      spdlog::error("audit spool {}: corrupt frame at offset {} ({}); {} byte(s) after it cannot be replayed",
                    f.path, off, problem, cut);
    }
    if (::ftruncate(fd, static_cast<off_t>(off)) != 0 || ::fsync(fd) != 0) {
      ::close(fd);
      return false;
    }
    dropped_bytes_ += cut;
  }
  ::close(fd);
  f.size = off;
  f.records = records;
  pending_records_ += records;
  return true;
}

// The file is quarantined whole and replaced by its good frames from `from` on:
// those before the bad frame at `bad_at`, and every good frame found after it.
// 1: done; 0: nothing good follows `bad_at` (a torn tail: left as it is); -1: an
// I/O error (errno says which).
int spool::salvage(file& f, std::uint64_t from, std::uint64_t bad_at, const char* problem) {
  std::string all;
  if (!read_all(f.path, all)) return -1;
  const auto resume = next_frame(all, bad_at + 1);
  if (!resume) return 0;

  std::string kept = all.substr(from, bad_at - from);
  std::uint64_t before = 0;
  for (std::size_t at = 0; at < kept.size(); ++before) {
    const auto n = frame_at(kept, at);
    if (n == 0) break;  // cannot happen: these frames were read back before
    at += n;
  }
  std::uint64_t after = 0;
  std::uint64_t lost = *resume - bad_at;
  for (std::size_t at = *resume; at < all.size();) {
    audit_record rec;
    if (const auto n = frame_at(all, at, &rec)) {
      kept.append(all, at, n);
      if (rec.seq > head_.seq) head_ = {rec.seq, rec.hash};
      ++after;
      at += n;
      continue;
    }
    const auto next = next_frame(all, at + 1);
    lost += (next ? *next : all.size()) - at;
    if (!next) break;
    at = *next;
  }

  // link() never replaces: an earlier quarantined copy of this file name stays too.
  std::string aside = f.path + ".quarantined";
  for (int k = 2; ::link(f.path.c_str(), aside.c_str()) != 0; ++k) {
    if (errno != EEXIST) return -1;
    aside = f.path + ".quarantined." + std::to_string(k);
  }
  const auto copy = f.path + ".salvage";
  if (!write_synced(copy, kept) || ::rename(copy.c_str(), f.path.c_str()) != 0) return -1;
  fsync_dir(dir_);
  ++quarantined_files_;
  f.size = kept.size();
  f.records = before + after;
  spdlog::error(
      "audit spool {}: bad frame at offset {} ({}) with good frames after it: the whole file is quarantined as {} "
      "for inspection; {} record(s) before and {} after the {} bad byte(s) will be replayed; the records in them "
      "are lost and audit verify will show their seqs missing",
      f.path, bad_at, problem, aside, before, after, lost);
  return 1;
}

spool::~spool() {
  if (write_fd_ >= 0) ::close(write_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::error_code spool::start_file() {
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = -1;
  const std::uint64_t number = files_.empty() ? 1 : files_.back().number + 1;
  char name[32];
  std::snprintf(name, sizeof name, ".%016llu.spool", static_cast<unsigned long long>(number));
  file f{number, dir_ + "/" + stem_ + name, 0};
  write_fd_ = ::open(f.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (write_fd_ < 0) return {errno, std::generic_category()};
  fsync_dir(dir_);  // the new name must survive a crash as well as its contents
  files_.push_back(std::move(f));
  return {};
}

std::error_code spool::append(std::span<const audit_record> batch, bool ignore_limit) {
  if (batch.empty()) return {};
  std::string buf;
  buf.reserve(batch.size() * 512);
  for (const auto& rec : batch) {
    const auto at = buf.size();
    buf.append(frame_header, '\0');
    buf += canonical_encoding(rec);
    buf.append(reinterpret_cast<const char*>(rec.prev_hash.data()), rec.prev_hash.size());
    buf.append(reinterpret_cast<const char*>(rec.hash.data()), rec.hash.size());
    const auto len = static_cast<std::uint32_t>(buf.size() - at - frame_header);
    std::string hdr;
    put_u32(hdr, len);
    put_u32(hdr, crc32c(buf.data() + at + frame_header, len));
    buf.replace(at, frame_header, hdr);
  }
  if (!ignore_limit && !has_room(buf.size())) return std::make_error_code(std::errc::no_space_on_device);

  if (write_fd_ < 0 || files_.empty() || files_.back().size >= rotate_bytes_) {
    if (auto ec = start_file()) return ec;
  }
  auto& f = files_.back();
  std::size_t done = 0;
  while (done < buf.size()) {
    const auto n = ::write(write_fd_, buf.data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::error_code ec(n < 0 ? errno : ENOSPC, std::generic_category());
      // Take back a partial batch so the file ends on a frame boundary again.
      if (::ftruncate(write_fd_, static_cast<off_t>(f.size)) != 0)
        spdlog::error("audit spool {}: cannot cut a partial write: {}", f.path, std::strerror(errno));
      return ec;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(write_fd_) != 0) {
    const std::error_code ec(errno, std::generic_category());
    if (::ftruncate(write_fd_, static_cast<off_t>(f.size)) != 0)
      spdlog::error("audit spool {}: cannot cut an unsynced write: {}", f.path, std::strerror(errno));
    return ec;
  }
  f.size += buf.size();
  f.records += batch.size();
  bytes_ += buf.size();
  pending_records_ += batch.size();
  if (batch.back().seq > head_.seq) head_ = {batch.back().seq, batch.back().hash};
  return {};
}

std::vector<audit_record> spool::peek(std::size_t max) {
  std::vector<audit_record> out;
  peek_count_ = 0;
  peek_end_ = read_offset_;
  while (!files_.empty() && read_offset_ >= files_.front().size && files_.size() > 1) {
    bytes_ -= files_.front().size;
    pending_records_ -= std::min(pending_records_, files_.front().records);
    ::unlink(files_.front().path.c_str());
    files_.erase(files_.begin());
    read_offset_ = peek_end_ = 0;
  }
  if (files_.empty()) return out;
  const auto& f = files_.front();
  const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    spdlog::error("audit spool {}: cannot open for replay: {}", f.path, std::strerror(errno));
    return out;
  }
  std::uint64_t off = read_offset_;
  std::string payload;
  while (out.size() < max && f.size - off >= frame_header) {
    unsigned char hdr[frame_header];
    if (!pread_all(fd, hdr, frame_header, off)) break;
    const auto len = get_u32(hdr);
    if (len > max_frame || f.size - off - frame_header < len) break;
    payload.resize(len);
    if (!pread_all(fd, payload.data(), len, off + frame_header)) break;
    audit_record rec;
    if (crc32c(payload.data(), len) != get_u32(hdr + 4) || !decode_payload(payload, rec)) {
      // Written and checked by this process or open(): only a disk fault gets here.
      if (!out.empty()) break;  // deliver the good frames first; the next peek starts here
      ::close(fd);
      return peek_past_damage(off, max);
    }
    out.push_back(std::move(rec));
    off += frame_header + len;
  }
  ::close(fd);
  peek_end_ = off;
  peek_count_ = out.size();
  return out;
}

// The frame at `off` of the oldest file, where replay stands, went bad on disk:
// the file is quarantined and its good frames from here on are replayed (those
// before `off` were delivered already); with none, the rest of the file is skipped.
std::vector<audit_record> spool::peek_past_damage(std::uint64_t off, std::size_t max) {
  auto& f = files_.front();
  const auto old_size = f.size;
  const auto old_records = f.records;
  if (salvage(f, off, off, "checksum or record gone bad on disk") > 0) {
    if (files_.size() == 1 && write_fd_ >= 0) {  // appends must not go on into the quarantined file
      ::close(write_fd_);
      write_fd_ = -1;
    }
    bytes_ = bytes_ - old_size + f.size;
    pending_records_ = pending_records_ - std::min(pending_records_, old_records) + f.records;
    read_offset_ = 0;
    return peek(max);
  }
  spdlog::error("audit spool {}: frame at offset {} went bad on disk and nothing good follows; skipping the rest "
                "of the file",
                f.path, off);
  peek_end_ = f.size;
  peek_count_ = 0;
  return {};
}

void spool::consume() {
  if (files_.empty()) return;
  read_offset_ = peek_end_;
  pending_records_ -= std::min<std::uint64_t>(pending_records_, peek_count_);
  files_.front().records -= std::min<std::uint64_t>(files_.front().records, peek_count_);
  peek_count_ = 0;
  if (read_offset_ < files_.front().size) return;
  pending_records_ -= std::min(pending_records_, files_.front().records);  // skipped past damage
  // The oldest file is delivered: remove it (closing it first if it is also the newest).
  if (files_.size() == 1 && write_fd_ >= 0) {
    ::close(write_fd_);
    write_fd_ = -1;
  }
  bytes_ -= files_.front().size;
  ::unlink(files_.front().path.c_str());
  files_.erase(files_.begin());
  read_offset_ = peek_end_ = 0;
  if (files_.empty()) pending_records_ = 0;
}

void spool::save_head(const chain_head& head) {
  const auto path = dir_ + "/" + stem_ + ".head";
  const auto tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << head.seq << ' ' << to_hex(head.hash) << '\n';
    if (!out) {
      spdlog::warn("audit spool: cannot write {}", tmp);
      return;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) spdlog::warn("audit spool: cannot rename {}", tmp);
}

chain_head spool::saved_head() const {
  std::ifstream in(dir_ + "/" + stem_ + ".head");
  chain_head h;
  std::string hex;
  if (!(in >> h.seq >> hex) || !from_hex(hex, h.hash) || h.hash.size() != hash_size) return {};
  return h;
}

}  // namespace tollgate::audit
