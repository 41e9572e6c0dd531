// Runs deploy/pac/proxy.pac the way a browser does (with the PAC helper
// functions) and checks where it sends a few URLs.
// usage: node check_pac.js SOURCE_DIR
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const pac = fs.readFileSync(path.join(process.argv[2], "deploy/pac/proxy.pac"), "utf8");

function ipToInt(ip) {
  return ip.split(".").reduce((acc, part) => (acc * 256) + Number(part), 0);
}
const sandbox = {
  isPlainHostName: (host) => !host.includes("."),
  dnsDomainIs: (host, domain) => host.toLowerCase().endsWith(domain.toLowerCase()),
  isInNet: (host, pattern, mask) => {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(host)) throw new Error("test resolves no names: " + host);
    return (ipToInt(host) & ipToInt(mask)) >>> 0 === (ipToInt(pattern) & ipToInt(mask)) >>> 0;
  },
  // A PAC file that resolves names blocks the browser; this one must not need to.
  dnsResolve: () => { throw new Error("the PAC file must not resolve names"); },
  myIpAddress: () => "10.1.2.3",
  shExpMatch: (s, p) => new RegExp("^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$").test(s),
};
vm.createContext(sandbox);
vm.runInContext(pac, sandbox, { filename: "proxy.pac" });

const cases = [
  ["http://example.com/", "example.com", /^PROXY \S+:3128$/],
  ["https://www.example.org/login", "www.example.org", /^PROXY \S+:3128$/],
  ["http://93.184.216.34/", "93.184.216.34", /^PROXY \S+:3128$/],
  ["http://intranet/", "intranet", /^DIRECT$/],
  ["https://wiki.corp.example.com/", "wiki.corp.example.com", /^DIRECT$/],
  ["http://10.20.30.40/", "10.20.30.40", /^DIRECT$/],
  ["http://192.168.1.1/", "192.168.1.1", /^DIRECT$/],
  ["http://localhost:8080/", "localhost", /^DIRECT$/],
];
let failed = 0;
for (const [url, host, want] of cases) {
  const got = sandbox.FindProxyForURL(url, host);
  if (!want.test(got)) {
    console.log(`FAIL: ${url} -> ${got}, want ${want}`);
    failed++;
  }
  // Never fall back to DIRECT for the internet: that would bypass the audit trail.
  if (got.startsWith("PROXY") && got.includes("DIRECT")) {
    console.log(`FAIL: ${url} -> ${got} falls back to DIRECT`);
    failed++;
  }
}
console.log(`proxy.pac: ${cases.length - failed} of ${cases.length} cases as expected`);
process.exit(failed ? 1 : 0);
