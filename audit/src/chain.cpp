#include "tollgate/audit/chain.hpp"

#include "tollgate/audit/canonical.hpp"

namespace tollgate::audit {

std::vector<std::uint8_t> chain_head::next_prev_hash() const {
  return hash.empty() ? std::vector<std::uint8_t>(hash_size, 0) : hash;
}

void chain_append(chain_head& head, const std::string& instance, audit_record& rec) {
  chain_hasher hash;
  chain_append(head, instance, rec, hash);
}

void chain_append(chain_head& head, const std::string& instance, audit_record& rec, chain_hasher& hash) {
  rec.instance = instance;
  rec.seq = head.seq + 1;
  rec.prev_hash = head.next_prev_hash();
  rec.hash = hash(rec.prev_hash, canonical_encoding(rec));
  head.seq = rec.seq;
  head.hash = rec.hash;
}

}  // namespace tollgate::audit
