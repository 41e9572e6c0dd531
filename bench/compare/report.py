#!/usr/bin/env python3
"""Prints the tables of bench/compare.sh from its results file (one record per line,
space-separated key=value pairs). usage: report.py RESULTS [compare|growth]...
"""
import statistics
import sys
from collections import defaultdict

SIZES = [("1k", "1 KiB"), ("100k", "100 KiB")]
TARGETS = ["direct", "squid", "tinyproxy", "tollgate", "baseline"]


def load(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = {}
            for part in line.split():
                k, _, v = part.partition("=")
                rec[k] = v
            recs.append(rec)
    return recs


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_int(v):
    return "-" if v is None else f"{v:,.0f}"


def fmt_ms(v):
    if v is None:
        return "-"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def fmt_ratio(v):
    return "-" if v is None else f"{v:.2f}"


def fmt_mib(kb):
    return "-" if kb is None else f"{kb / 1024:.1f} MiB"


def table(header, rows, align=None):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    align = align or ["<"] + [">"] * (len(header) - 1)
    def line(r):
        return "  ".join(f"{str(c):{a}{w}}" for c, a, w in zip(r, align, widths)).rstrip()
    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def http_groups(recs, phase):
    g = defaultdict(list)
    for r in recs:
        if r.get("kind") == "http" and r.get("phase") == phase:
            g[(r["size"], r["target"], r.get("conns"), r.get("rules"))].append(r)
    return g


def summarize(runs):
    return dict(
        rps=med(num(r["rps"]) for r in runs),
        p50=med(num(r["p50"]) for r in runs),
        p99=med(num(r["p99"]) for r in runs),
        cpu=med(num(r.get("cpu_us")) for r in runs),
        rounds=" / ".join(fmt_int(num(r["rps"])) for r in sorted(runs, key=lambda r: int(r["round"]))),
        errors=sum(int(r.get("errors", 0)) for r in runs),
        non2xx=sum(int(r.get("non2xx", 0)) for r in runs),
        requests=sum(int(r.get("requests", 0)) for r in runs),
    )


def compare(recs, meta):
    groups = http_groups(recs, "compare")
    rss = {(r["size"], r["target"]): r for r in recs if r.get("kind") == "rss" and r.get("phase") == "compare"}
    for size, label in SIZES:
        s = {t: summarize(groups[(size, t, meta.get("conns"), meta.get("rules"))])
             for t in TARGETS if groups.get((size, t, meta.get("conns"), meta.get("rules")))}
        if not s:
            continue
        print(f"\n=== {label} (/{size}): wrk -t{meta.get('threads')} -c{meta.get('conns')} -d{meta.get('duration')}, "
              f"median of {meta.get('rounds')} alternating rounds")
        rows = []
        d = s.get("direct", {}).get("rps")
        q = s.get("squid", {}).get("rps")
        for t in TARGETS:
            if t not in s:
                continue
            v = s[t]
            rr = rss.get((size, t))
            rss_txt = "-"
            if rr:
                rss_txt = fmt_mib(num(rr["kb"]))
                if rr.get("helpers_kb"):
                    rss_txt += f" (+{fmt_mib(num(rr['helpers_kb']))} in {rr.get('helpers')} helpers)"
            rows.append([t, fmt_int(v["rps"]), fmt_ms(v["p50"]), fmt_ms(v["p99"]),
                         fmt_ratio(v["rps"] / d if d and v["rps"] else None),
                         fmt_ratio(v["rps"] / q if q and v["rps"] else None),
                         "-" if v["cpu"] is None else f"{v['cpu']:.1f}",
                         f"{v['errors']}/{v['non2xx']}", rss_txt, v["rounds"]])
        print(table(["target", "req/s", "p50 ms", "p99 ms", "x direct", "x squid", "cpu us/req",
                     "err/non2xx", "peak RSS", "req/s per round"], rows,
                    ["<", ">", ">", ">", ">", ">", ">", ">", "<", "<"]))
        tp = s.get("tinyproxy")
        if tp and tp["requests"] and tp["errors"] >= 0.9 * tp["requests"]:
            print("tinyproxy: no client keep-alive; it closes the connection after each response and wrk "
                  "counts every such close as a read error (the responses themselves are complete).")
        if "tollgate" in s and "squid" in s:
            t, sq = s["tollgate"], s["squid"]
            goal_rps = 2.0 if size == "1k" else 4.0
            verdict = [f"req/s {t['rps'] / sq['rps']:.2f}x Squid (target >= {goal_rps:.1f}x)"]
            if size == "1k":
                verdict.append(f"p99 {t['p99'] / sq['p99']:.2f} of Squid's (target <= 0.50)")
            print("Tollgate vs targets: " + "; ".join(verdict))
        if "tollgate" in s and "baseline" in s:
            t, b = s["tollgate"], s["baseline"]
            print(f"Tollgate vs baseline build: req/s {t['rps'] / b['rps']:.3f}x, "
                  f"p99 {t['p99'] / b['p99']:.2f}x, CPU/req "
                  + ("-" if not (t["cpu"] and b["cpu"]) else f"{t['cpu'] / b['cpu']:.2f}x"))
        audits = [r for r in recs if r.get("kind") == "audit" and r.get("phase") == "compare" and r.get("size") == size]
        for a in sorted(audits, key=lambda r: int(r["round"])):
            print(audit_line(a))


def audit_exact(a):
    rows, ok, origin, wrk, conns = (int(a[k]) for k in ("rows", "ok_rows", "origin", "wrk", "conns"))
    return rows == origin == ok and 0 <= rows - wrk <= conns


def audit_line(a):
    rows, ok, origin, wrk, conns = (int(a[k]) for k in ("rows", "ok_rows", "origin", "wrk", "conns"))
    inflight = rows - wrk
    exact = audit_exact(a)
    who = "" if a.get("instance", "main") == "main" else f" ({a['instance']})"
    return (f"  audit round {a['round']}{who}: {rows:,} new audit_log rows ({ok:,} allow/200); origin served {origin:,} "
            f"through Tollgate; wrk completed {wrk:,} (+{inflight} in flight when wrk stopped, at most {conns}) -> "
            + ("EXACT: one row per request" if exact else "MISMATCH"))


def growth(recs, meta):
    groups = http_groups(recs, "growth-conns")
    if groups:
        print(f"\n=== Tollgate growth with connections: /1k, {meta.get('rules')} rules, wrk -t{meta.get('threads')} "
              f"-d{meta.get('duration')}, median of {meta.get('rounds')} alternating rounds")
        rows = []
        for key in sorted(groups, key=lambda k: int(k[2])):
            v = summarize(groups[key])
            rows.append([key[2], fmt_int(v["rps"]), fmt_ms(v["p50"]), fmt_ms(v["p99"]),
                         "-" if v["cpu"] is None else f"{v['cpu']:.1f}", f"{v['errors']}/{v['non2xx']}", v["rounds"]])
        print(table(["connections", "req/s", "p50 ms", "p99 ms", "cpu us/req", "err/non2xx", "req/s per round"], rows,
                    ["<", ">", ">", ">", ">", ">", "<"]))
        for a in sorted((r for r in recs if r.get("kind") == "audit" and r.get("phase") == "growth-conns"),
                        key=lambda r: (int(r["conns"]), int(r["round"]))):
            print(audit_line(a).replace("audit round", f"c={a['conns']} audit round"))
    groups = http_groups(recs, "growth-rules")
    if groups:
        print(f"\n=== Tollgate growth with rules: /1k, wrk -t{meta.get('threads')} -c{meta.get('conns')} "
              f"-d{meta.get('duration')}, median of {meta.get('rounds')} alternating rounds (one instance per rule set)")
        rss = {r["rules"]: r for r in recs if r.get("kind") == "rss" and r.get("phase") == "growth-rules"}
        loads = {r["rules"]: r for r in recs if r.get("kind") == "load"}
        summ = {int(k[3]): summarize(v) for k, v in groups.items()}
        base = summ.get(int(meta.get("rules", 1000)), {}).get("rps")
        rows = []
        for n in sorted(summ):
            v = summ[n]
            rows.append([f"{n:,}", fmt_int(v["rps"]), fmt_ms(v["p50"]), fmt_ms(v["p99"]),
                         fmt_ratio(v["rps"] / base if base else None),
                         "-" if v["cpu"] is None else f"{v['cpu']:.1f}",
                         fmt_mib(num(rss[str(n)]["kb"])) if str(n) in rss else "-",
                         loads[str(n)]["seconds"] + " s" if str(n) in loads else "-",
                         f"{v['errors']}/{v['non2xx']}", v["rounds"]])
        print(table(["rules", "req/s", "p50 ms", "p99 ms", f"x {int(meta.get('rules', 1000)):,} rules", "cpu us/req",
                     "peak RSS", "start-up to policy loaded", "err/non2xx", "req/s per round"], rows,
                    ["<", ">", ">", ">", ">", ">", ">", ">", ">", "<"]))
        if summ:
            lo, hi = min(v["rps"] for v in summ.values()), max(v["rps"] for v in summ.values())
            print(f"spread of req/s across rule counts: {(hi - lo) / hi * 100:.1f}% of the highest (target <= 10%)")
        for a in sorted((r for r in recs if r.get("kind") == "audit" and r.get("phase") == "growth-rules"),
                        key=lambda r: (int(r["rules"]), int(r["round"]))):
            print(audit_line(a).replace("audit round", f"{int(a['rules']):,} rules audit round"))
    bulk = [r for r in recs if r.get("kind") == "bulk"]
    if bulk:
        by = defaultdict(list)
        for r in bulk:
            by[r["target"]].append(r)
        d = med(num(r["mbps"]) for r in by.get("direct", []))
        print(f"\n=== CONNECT bulk transfer: {int(bulk[0]['bytes']) / 2**30:g} GiB to a plain TCP sink on loopback, "
              f"median of {meta.get('rounds')} alternating rounds (MB = 10^6 bytes)")
        rows = []
        for t in ("direct", "tollgate"):
            if t not in by:
                continue
            m = med(num(r["mbps"]) for r in by[t])
            rows.append([t if t == "direct" else "through Tollgate CONNECT", f"{m:,.0f}",
                         fmt_ratio(m / d if d else None),
                         " / ".join(f"{num(r['mbps']):,.0f}" for r in sorted(by[t], key=lambda r: int(r["round"])))])
        print(table(["path", "MB/s", "x direct", "MB/s per round"], rows, ["<", ">", ">", "<"]))


def main():
    recs = load(sys.argv[1])
    meta = {}
    for r in recs:
        if r.get("kind") == "meta":
            meta.update(r)
    for part in sys.argv[2:] or ["compare", "growth"]:
        if part == "compare":
            compare(recs, meta)
        elif part == "growth":
            growth(recs, meta)
    audits = [r for r in recs if r.get("kind") == "audit"]
    if audits:
        good = sum(1 for a in audits if audit_exact(a))
        print(f"\nTollgate audit per measured round: {good} of {len(audits)} rounds exact"
              + ("" if good == len(audits) else " -- MISMATCH in the others"))
    totals = [r for r in recs if r.get("kind") == "audit_total"]
    for t in totals:
        print(f"\nTollgate audit, whole run of instance {t['instance']}: {int(t['rows']):,} rows "
              f"({t.get('events', '').replace(',', ', ')}); "
              f"tollgate_requests_total {int(t['requests_metric']):,}; written {int(t['written']):,}; "
              f"spooled {t['spooled']}; lost {t['lost']}; audit verify: {t['verify'].replace('_', ' ')}")


if __name__ == "__main__":
    main()
