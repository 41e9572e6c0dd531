#pragma once
#include <boost/beast/http/fields.hpp>

#include <string_view>

namespace tollgate::proxy::detail {

/// Removes hop-by-hop headers before a message crosses the proxy: `Connection` and
/// every header it names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`, `Upgrade`,
/// `Proxy-Authorization` and `Proxy-Authenticate`. Framing headers (`Content-Length`,
/// `Transfer-Encoding`) and `Host` are kept even when `Connection` names them: the
/// proxy re-frames the body exactly as it parsed it, and a client must not be able
/// to make the proxy drop the framing the origin then guesses at.
void strip_hop_by_hop(boost::beast::http::fields& f);

/// Appends `value` to the `Via` header (creating it when absent).
void append_via(boost::beast::http::fields& f, std::string_view value);

/// Appends the client's address to `X-Forwarded-For`.
void append_forwarded_for(boost::beast::http::fields& f, std::string_view client_ip);

}  // namespace tollgate::proxy::detail
