// Proxy auto-config for Tollgate. Serve it as
// application/x-ns-proxy-autoconfig (e.g. http://wpad.example.com/proxy.pac)
// and point browsers or the WPAD DNS name at it. See docs/clients.md.
//
// Replace proxy.example.com with the name of your load balancer in front of
// the Tollgate instances, and the internal names and networks with yours.
function FindProxyForURL(url, host) {
  // Plain host names ("intranet") and the proxy's own admin API: direct.
  if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example.com")) {
    return "DIRECT";
  }
  // Loopback and private networks: direct. Tollgate refuses them anyway
  // unless a rule names the address (proxy.block_private_destinations).
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) &&
      (isInNet(host, "127.0.0.0", "255.0.0.0") ||
       isInNet(host, "10.0.0.0", "255.0.0.0") ||
       isInNet(host, "172.16.0.0", "255.240.0.0") ||
       isInNet(host, "192.168.0.0", "255.255.0.0"))) {
    return "DIRECT";
  }
  if (host === "localhost") {
    return "DIRECT";
  }
  // Everything else through Tollgate; no DIRECT fallback, so an outage of
  // the proxy never turns into unaudited direct access.
  return "PROXY proxy.example.com:3128";
}
