#include "tollgate/audit/canonical.hpp"

#include <openssl/evp.h>

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace tollgate::audit {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  out.append(b, 4);
}

void put_i64(std::string& out, std::int64_t s) {
  const auto v = static_cast<std::uint64_t>(s);
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (56 - 8 * i));
  out.append(b, 8);
}

std::uint32_t get_u32(std::string_view in, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

std::int64_t get_i64(std::string_view in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return static_cast<std::int64_t>(v);
}

// Parses a textual IPv4/IPv6 address into its bytes; 0 when it is not one.
std::size_t parse_address(std::string_view text, unsigned char (&buf)[16]) {
  if (text.empty() || text.size() > 64) return 0;
  char z[65];
  std::memcpy(z, text.data(), text.size());
  z[text.size()] = '\0';
  if (::inet_pton(AF_INET, z, buf) == 1) return 4;
  if (::inet_pton(AF_INET6, z, buf) == 1) return 16;
  return 0;
}

// Fields of a record in column order; the decoder reads them back the same way.
struct field_reader {
  std::string_view in;
  std::size_t at = 0;
  bool ok = true;

  // nullopt-like: returns false for NULL; `value` gets the bytes otherwise.
  bool next(std::string_view& value) {
    if (!ok || at >= in.size()) { ok = false; return false; }
    const auto tag = static_cast<unsigned char>(in[at++]);
    if (tag == 0) return false;
    if (tag != 1 || in.size() - at < 4) { ok = false; return false; }
    const auto len = get_u32(in, at);
    at += 4;
    if (in.size() - at < len) { ok = false; return false; }
    value = in.substr(at, len);
    at += len;
    return true;
  }
  std::int64_t integer() {
    std::string_view v;
    if (!next(v)) return 0;
    if (v.size() != 8) { ok = false; return 0; }
    return get_i64(v);
  }
  std::optional<std::int64_t> optional_integer() {
    std::string_view v;
    if (!next(v)) return std::nullopt;
    if (v.size() != 8) { ok = false; return std::nullopt; }
    return get_i64(v);
  }
  std::string text() {
    std::string_view v;
    return next(v) ? std::string(v) : std::string();
  }
  std::string inet() {
    std::string_view v;
    if (!next(v)) return {};
    char buf[INET6_ADDRSTRLEN];
    const int af = v.size() == 4 ? AF_INET : v.size() == 16 ? AF_INET6 : 0;
    if (af == 0 || ::inet_ntop(af, v.data(), buf, sizeof buf) == nullptr) { ok = false; return {}; }
    return buf;
  }
  std::vector<std::string> text_array() {
    std::vector<std::string> items;
    std::string_view v;
    if (!next(v)) return items;
    std::size_t i = 0;
    while (i < v.size()) {
      if (v.size() - i < 4) { ok = false; return items; }
      const auto len = get_u32(v, i);
      i += 4;
      if (v.size() - i < len) { ok = false; return items; }
      items.emplace_back(v.substr(i, len));
      i += len;
    }
    return items;
  }
};

bool known_decision(std::string_view d) {
  return d == "allow" || d == "deny" || d == "auth_required" || d == "auth_failed" || d == "error";
}

// Replaces invalid UTF-8 with U+FFFD and drops NUL bytes.
void make_storable(std::string& s) {
  bool plain = true;
  for (const char c : s) {
    if (c == '\0' || (static_cast<unsigned char>(c) & 0x80) != 0) { plain = false; break; }
  }
  if (plain) return;
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c == 0) { ++i; continue; }
    if (c < 0x80) { out.push_back(static_cast<char>(c)); ++i; continue; }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    bool valid = len != 0 && i + len <= n;
    for (std::size_t k = 1; valid && k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) valid = false;
      else cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (valid) {
      const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
      valid = !overlong && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (valid) {
      out.append(reinterpret_cast<const char*>(p + i), len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  s = std::move(out);
}

void note_error(audit_record& rec, std::string_view note) {
  if (!rec.error.empty()) rec.error += "; ";
  rec.error += note;
}

// An address in the text form inet_ntop gives, or empty (with a note) when unparsable.
// An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a socket listening on [::] reports
// for an IPv4 client) is stored as the IPv4 address it is, so a search by an IPv4
// address or network (client_ip=10.1.2.0/24) finds it.
void normalise_address(audit_record& rec, std::string& addr, std::string_view what) {
  if (addr.empty()) return;
  unsigned char buf[16];
  auto len = parse_address(addr, buf);
  if (len == 0) {
    std::string shown = addr.substr(0, 64);
    make_storable(shown);
    note_error(rec, std::string(what) + " unparsable: " + shown);
    addr.clear();
    return;
  }
  static constexpr unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (len == 16 && std::memcmp(buf, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
    std::memmove(buf, buf + 12, 4);
    len = 4;
  }
  char text[INET6_ADDRSTRLEN];
  ::inet_ntop(len == 4 ? AF_INET : AF_INET6, buf, text, sizeof text);
  addr = text;
}

std::uint64_t clamp_bigint(std::uint64_t v) {
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return v > max ? max : v;
}

}  // namespace

void canonical_writer::header(std::uint32_t len) {
  out_.push_back('\x01');
  put_u32(out_, len);
}

void canonical_writer::null() { out_.push_back('\x00'); }

void canonical_writer::integer(std::int64_t v) {
  header(8);
  put_i64(out_, v);
}

void canonical_writer::text(std::string_view v) {
  header(static_cast<std::uint32_t>(v.size()));
  out_.append(v);
}

void canonical_writer::inet(std::string_view v) {
  unsigned char buf[16];
  const auto len = parse_address(v, buf);
  if (len == 0) {
    text(v);
    return;
  }
  header(static_cast<std::uint32_t>(len));
  out_.append(reinterpret_cast<const char*>(buf), len);
}

void canonical_writer::text_array(std::span<const std::string> items) {
  std::size_t total = 0;
  for (const auto& s : items) total += 4 + s.size();
  header(static_cast<std::uint32_t>(total));
  for (const auto& s : items) {
    put_u32(out_, static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
}

std::int64_t to_unix_micros(std::chrono::system_clock::time_point t) noexcept {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix_micros(std::int64_t us) noexcept {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::microseconds(us)));
}

std::string canonical_encoding(const audit_record& r) {
  canonical_writer w;
  w.integer(to_unix_micros(r.ts));
  w.text(r.instance);
  w.integer(r.seq);
  w.text(to_string(r.event));
  if (r.client_ip.empty()) w.null(); else w.inet(r.client_ip);
  w.integer(r.client_port);
  w.optional_text(r.username);
  w.text_array(r.groups);
  w.optional_text(r.method);
  w.optional_text(r.scheme);
  w.optional_text(r.host);
  w.integer(r.port);
  w.optional_text(r.path);
  w.integer(r.status);
  w.text(r.decision);
  if (r.rule_id) w.integer(*r.rule_id); else w.null();
  if (r.would_rule_id) w.integer(*r.would_rule_id); else w.null();
  w.integer(r.policy_version);
  w.integer(static_cast<std::int64_t>(r.bytes_up));
  w.integer(static_cast<std::int64_t>(r.bytes_down));
  w.integer(static_cast<std::int64_t>(r.duration_us));
  if (r.upstream_ip.empty()) w.null(); else w.inet(r.upstream_ip);
  w.optional_text(r.user_agent);
  w.optional_text(r.error);
  return w.take();
}

bool decode_canonical(std::string_view bytes, audit_record& r) {
  field_reader f{bytes};
  r.ts = from_unix_micros(f.integer());
  r.instance = f.text();
  r.seq = f.integer();
  const auto event = f.text();
  if (event == "request") r.event = audit_event::request;
  else if (event == "tunnel_open") r.event = audit_event::tunnel_open;
  else if (event == "tunnel_close") r.event = audit_event::tunnel_close;
  else return false;
  r.client_ip = f.inet();
  r.client_port = static_cast<std::uint16_t>(f.integer());
  r.username = f.text();
  r.groups = f.text_array();
  r.method = f.text();
  r.scheme = f.text();
  r.host = f.text();
  r.port = static_cast<std::uint16_t>(f.integer());
  r.path = f.text();
  r.status = static_cast<int>(f.integer());
  r.decision = f.text();
  r.rule_id = f.optional_integer();
  r.would_rule_id = f.optional_integer();
  r.policy_version = f.integer();
  r.bytes_up = static_cast<std::uint64_t>(f.integer());
  r.bytes_down = static_cast<std::uint64_t>(f.integer());
  r.duration_us = static_cast<std::uint64_t>(f.integer());
  r.upstream_ip = f.inet();
  r.user_agent = f.text();
  r.error = f.text();
  return f.ok && f.at == bytes.size();
}

std::vector<std::uint8_t> chain_hash(std::span<const std::uint8_t> prev_hash, std::string_view encoding) {
  chain_hasher hash;
  return hash(prev_hash, encoding);
}

chain_hasher::chain_hasher() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
  if (md_ == nullptr || ctx_ == nullptr) {
    EVP_MD_free(md_);
    EVP_MD_CTX_free(ctx_);
    throw std::runtime_error("OpenSSL offers no SHA-256");
  }
}

chain_hasher::~chain_hasher() {
  EVP_MD_CTX_free(ctx_);
  EVP_MD_free(md_);
}

std::vector<std::uint8_t> chain_hasher::operator()(std::span<const std::uint8_t> prev_hash, std::string_view encoding) {
  std::vector<std::uint8_t> out(hash_size);
  unsigned int len = 0;
  const bool ok = EVP_DigestInit_ex(ctx_, md_, nullptr) == 1 &&
                  EVP_DigestUpdate(ctx_, prev_hash.data(), prev_hash.size()) == 1 &&
                  EVP_DigestUpdate(ctx_, encoding.data(), encoding.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx_, out.data(), &len) == 1;
  if (!ok || len != hash_size) throw std::runtime_error("SHA-256 failed in OpenSSL");
  return out;
}

void sanitize(audit_record& r) {
  r.ts = from_unix_micros(to_unix_micros(r.ts));
  for (auto* s : {&r.username, &r.method, &r.scheme, &r.host, &r.path, &r.decision, &r.user_agent,
                  &r.error, &r.instance}) {
    make_storable(*s);
  }
  for (auto& g : r.groups) make_storable(g);
  normalise_address(r, r.client_ip, "client_ip");
  normalise_address(r, r.upstream_ip, "upstream_ip");
  if (!known_decision(r.decision)) {
    note_error(r, "unknown decision: " + r.decision.substr(0, 64));
    r.decision = "error";
  }
  r.bytes_up = clamp_bigint(r.bytes_up);
  r.bytes_down = clamp_bigint(r.bytes_down);
  r.duration_us = clamp_bigint(r.duration_us);
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

bool from_hex(std::string_view hex, std::vector<std::uint8_t>& out) {
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return true;
}

}  // namespace tollgate::audit
