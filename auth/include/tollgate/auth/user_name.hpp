#pragma once
#include <string>
#include <string_view>

namespace tollgate::auth {

/// The key under which the credential cache, the lockout and request coalescing know a
/// user name: the spellings a directory matching `uid` case-insensitively (caseIgnoreMatch)
/// takes for one entry fold to one key, so `Alice`, `alice `, `ＡＬＩＣＥ` and `ALİCE` share
/// alice's lockout budget and cache entry.
///
/// Folding: simple lower case per character (so U+0130 `İ` becomes `i`, as slapd matches
/// it), then Unicode case folding with NFKC (fullwidth and other compatibility forms,
/// ligatures), then spaces trimmed at both ends and inner runs cut to one space (LDAP's
/// insignificant-space handling; NFKC has already made no-break and ideographic spaces
/// plain ones). ASCII names take a fast path without any Unicode tables.
///
/// The fold may join names the directory keeps apart (never the reverse for the matching
/// rules above); that is safe because an identity always comes from the directory's answer
/// for a password, never from the key. Not valid UTF-8: folded as ASCII bytes only.
std::string fold_user_name(std::string_view typed);

}  // namespace tollgate::auth
