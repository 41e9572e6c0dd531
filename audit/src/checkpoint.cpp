#include "tollgate/audit/checkpoint.hpp"

#include "signed_message.hpp"
#include "tollgate/audit/canonical.hpp"

#include <boost/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tollgate::audit {
namespace {

std::string base64(const std::vector<std::uint8_t>& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), in.data(), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool unbase64(std::string_view in, std::vector<std::uint8_t>& out) {
  if (in.size() % 4 != 0) return false;
  out.resize(in.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return false;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (in.ends_with("==")) len -= 2;
  else if (in.ends_with("=")) len -= 1;
  out.resize(len);
  return true;
}

}  // namespace

std::string signed_message::rfc3339(std::int64_t us) {
  std::int64_t secs = us / 1'000'000;
  std::int64_t frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

namespace {

EVP_PKEY* read_key(std::string_view pem, bool allow_public) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  if (key == nullptr && allow_public) {
    BIO_reset(bio);
    key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  }
  BIO_free(bio);
  if (key != nullptr && EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return nullptr;
  }
  return key;
}

result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errno_failure("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Puts the file's name in front of from_pem()'s reason.
template <class Key>
result<std::unique_ptr<Key>> load_key(const std::string& pem_file) {
  auto pem = read_text_file(pem_file);
  if (!pem) return pem.error();
  auto key = Key::from_pem(*pem);
  if (!key) return failure{key.error().code, pem_file + ": " + key.error().message()};
  return key;
}

}  // namespace

std::string checkpoint_message(const checkpoint& c) {
  using namespace signed_message;
  std::string m = "tollgate-checkpoint-v1\n";
  put_bytes(m, c.instance);
  put_i64(m, c.seq);
  put_bytes(m, c.hash);
  put_i64(m, to_unix_micros(c.time));
  return m;
}

std::string to_line(const checkpoint& c) {
  boost::json::object o;
  o["instance"] = c.instance;
  o["seq"] = c.seq;
  o["hash"] = to_hex(c.hash);
  o["time"] = signed_message::rfc3339(to_unix_micros(c.time));
  o["time_us"] = to_unix_micros(c.time);
  o["sig"] = base64(c.signature);
  return boost::json::serialize(o);
}

std::optional<checkpoint> parse_line(std::string_view line) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const auto* inst = o.if_contains("instance");
  const auto* seq = o.if_contains("seq");
  const auto* hash = o.if_contains("hash");
  const auto* time = o.if_contains("time_us");
  const auto* sig = o.if_contains("sig");
  if (!inst || !inst->is_string() || !seq || !seq->is_int64() || !hash || !hash->is_string() || !time ||
      !time->is_int64() || !sig || !sig->is_string())
    return std::nullopt;
  checkpoint c;
  c.instance = std::string(inst->as_string());
  c.seq = seq->as_int64();
  c.time = from_unix_micros(time->as_int64());
  if (!from_hex(std::string_view(hash->as_string()), c.hash) || !unbase64(std::string_view(sig->as_string()), c.signature))
    return std::nullopt;
  return c;
}

result<std::unique_ptr<checkpoint_signer>> checkpoint_signer::from_pem(std::string_view pem) {
  EVP_PKEY* key = read_key(pem, false);
  if (key == nullptr) return failure{error::bad_key, "not an Ed25519 private key in PEM form"};
  return std::unique_ptr<checkpoint_signer>(new checkpoint_signer(key));
}

result<std::unique_ptr<checkpoint_signer>> checkpoint_signer::load(const std::string& pem_file) {
  return load_key<checkpoint_signer>(pem_file);
}

checkpoint_signer::~checkpoint_signer() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

void checkpoint_signer::sign(checkpoint& c) const { c.signature = sign_message(checkpoint_message(c)); }

std::vector<std::uint8_t> checkpoint_signer::sign_message(std::string_view msg) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 64;
  std::vector<std::uint8_t> signature(len, 0);
  const bool ok = ctx != nullptr &&
                  EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(key_)) == 1 &&
                  EVP_DigestSign(ctx, signature.data(), &len, reinterpret_cast<const unsigned char*>(msg.data()),
                                 msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("Ed25519 signing failed in OpenSSL");
  signature.resize(len);
  return signature;
}

std::string checkpoint_signer::public_key_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, static_cast<EVP_PKEY*>(key_));
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

result<std::unique_ptr<checkpoint_verifier>> checkpoint_verifier::from_pem(std::string_view pem) {
  EVP_PKEY* key = read_key(pem, true);
  if (key == nullptr) return failure{error::bad_key, "not an Ed25519 key in PEM form"};
  return std::unique_ptr<checkpoint_verifier>(new checkpoint_verifier(key));
}

result<std::unique_ptr<checkpoint_verifier>> checkpoint_verifier::load(const std::string& pem_file) {
  return load_key<checkpoint_verifier>(pem_file);
}

checkpoint_verifier::~checkpoint_verifier() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

bool checkpoint_verifier::verify(const checkpoint& c) const {
  return verify_message(checkpoint_message(c), c.signature);
}

bool checkpoint_verifier::verify_message(std::string_view msg, const std::vector<std::uint8_t>& signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr &&
                  EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(key_)) == 1 &&
                  EVP_DigestVerify(ctx, signature.data(), signature.size(),
                                   reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

result<void> append_checkpoint(const std::string& file, const checkpoint& c) {
  const auto line = to_line(c) + "\n";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return errno_failure("cannot open " + file);
  // One write() of one line with O_APPEND: concurrent appenders never interleave.
  const auto n = ::write(fd, line.data(), line.size());
  const bool ok = n == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  const auto failed = ok ? result<void>() : errno_failure("cannot write " + file);
  ::close(fd);
  return failed;
}

checkpoint_file_content read_checkpoints(const std::string& file) {
  checkpoint_file_content out;
  std::ifstream in(file);
  if (!in) {
    out.missing = true;
    return out;
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    if (auto c = parse_line(line)) out.checkpoints.push_back(std::move(*c));
    else out.bad_lines.push_back(number);
  }
  return out;
}

std::string generate_ed25519_pem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) throw std::runtime_error("Ed25519 key generation failed in OpenSSL");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return out;
}

result<bool> ensure_signing_key(const std::string& pem_file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(pem_file, ec)) return false;
  const auto folder = fs::path(pem_file).parent_path();
  if (!folder.empty()) fs::create_directories(folder, ec);
  if (ec) return failure{ec, "cannot create " + folder.string() + ": " + ec.message()};
  // Written whole under a private name, then linked into place: link() never
  // replaces, so a key another process put there first stays, and no reader ever
  // sees half a key.
  const auto tmp = pem_file + ".new." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno_failure("cannot create " + tmp);
  const auto pem = generate_ed25519_pem();
  const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
  const auto write_failure = written ? result<bool>(true) : errno_failure("cannot write " + tmp);
  ::close(fd);
  result<bool> made = write_failure;
  if (written && ::link(tmp.c_str(), pem_file.c_str()) != 0)
    made = errno == EEXIST ? result<bool>(false) : errno_failure("cannot create " + pem_file);
  ::unlink(tmp.c_str());
  return made;
}

}  // namespace tollgate::audit
