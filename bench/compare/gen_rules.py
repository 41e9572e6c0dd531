#!/usr/bin/env python3
"""Writes a bootstrap rules file (YAML list, the format of deploy/demo/rules.yaml) with
COUNT rules for bench/compare.sh.

The shape is what a large organisation's policy looks like, scaled by COUNT:
  - a handful of fixed rules that come close to the benchmark request without
    deciding it (same address for other groups, same group for other paths or
    methods, a schedule, a report-mode rule, blocked categories);
  - filler rules: per-team allows by host name and port, category denies for
    everyone, intranet CIDRs, per-team path rules without hosts, report-mode
    trials, scheduled rules. Teams grow with COUNT (one team per 10 rules), so
    a team has about as many rules at 100,000 as at 1,000;
  - last (lowest priority): the rule that allows the benchmark user's group
    (engineering) to reach the origin and the bulk sink on 127.0.0.1.
So every benchmark request is decided by the very last rule.

usage: gen_rules.py COUNT ORIGIN_PORT SINK_PORT > rules.yaml
"""
import sys


def q(s):
    return '"' + s + '"'


def lst(items):
    return "[" + ", ".join(items) + "]"


def rule(priority, action, comment, groups=None, hosts=None, ports=None, methods=None,
         path_prefixes=None, schedule=None, mode=None):
    out = [f"- priority: {priority}", f"  action: {action}"]
    if groups:
        out.append("  groups: " + lst(q(g) for g in groups))
    if hosts:
        out.append("  hosts: " + lst(q(h) for h in hosts))
    if ports:
        out.append("  ports: " + lst(str(p) if isinstance(p, int) else q(p) for p in ports))
    if methods:
        out.append("  methods: " + lst(methods))
    if path_prefixes:
        out.append("  path_prefixes: " + lst(q(p) for p in path_prefixes))
    if schedule:
        out.append("  schedule: {days: [mon, tue, wed, thu, fri], from: \"08:00\", to: \"18:00\", tz: \"Europe/Berlin\"}")
    if mode:
        out.append(f"  mode: {mode}")
    out.append("  comment: " + q(comment))
    return "\n".join(out)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    count, origin, sink = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    if count < 10:
        sys.exit("COUNT must be at least 10")
    rules = []
    # Near misses: each is looked at for the benchmark request and does not decide it.
    fixed = [
        dict(action="deny", hosts=["127.0.0.1/32"], ports=[9, 19], comment="discard and chargen on loopback: never"),
        dict(action="allow", groups=["sales"], hosts=["127.0.0.1/32"], ports=[origin], methods=["GET", "HEAD"],
             path_prefixes=["/public/"], comment="sales: public pages of the origin only"),
        dict(action="deny", groups=["engineering"], methods=["POST", "PUT"], path_prefixes=["/upload/"],
             comment="engineering: no uploads over plain HTTP"),
        dict(action="allow", groups=["engineering"], hosts=[".social.example"], schedule=True,
             comment="engineering: social media in office hours"),
        dict(action="allow", groups=["engineering-all"], hosts=["127.0.0.1/32"], ports=[origin],
             path_prefixes=["/internal/"], mode="report", comment="trial: contractors on the intranet"),
        dict(action="deny", hosts=[".casino.example", ".gambling.example", ".malware.example"],
             comment="blocked categories, for everyone"),
    ]
    fillers = count - len(fixed) - 1
    teams = max(10, count // 10)
    prio = 100
    for f in fixed:
        rules.append(rule(prio, **f))
        prio += 1
    for i in range(fillers):
        team = f"team-{i % teams}"
        k = i % 20
        if k < 10:
            r = rule(prio, "allow", f"{team}: its services", groups=[team],
                     hosts=[f".svc{i}.example.com", f"api{i}.example.net"], ports=[443, "8000-8999"])
        elif k < 13:
            r = rule(prio, "deny", f"blocked category {i}", hosts=[f".cat{i}.blocked.example"])
        elif k == 13:
            r = rule(prio, "allow", f"{team}: intranet subnet", groups=[team],
                     hosts=[f"10.{(i >> 8) & 255}.{i & 255}.0/24"], ports=[80, 443, 8080])
        elif k == 14:
            r = rule(prio, "allow", f"engineering: tool {i}", groups=["engineering"],
                     hosts=[f"tool{i}.example.org"], ports=[443])
        elif k == 15:
            r = rule(prio, "allow", f"{team}: its paths anywhere", groups=[team], methods=["GET", "HEAD"],
                     path_prefixes=[f"/team{i}/"])
        elif k == 16:
            r = rule(prio, "allow", f"{team}: partner {i}", groups=[team], hosts=[f"partner{i}.example"],
                     mode="report")
        elif k == 17:
            r = rule(prio, "allow", f"{team}: social {i} in office hours", groups=[team],
                     hosts=[f".social{i}.example"], schedule=True)
        elif k == 18:
            r = rule(prio, "allow", f"{team}: lab host", groups=[team],
                     hosts=[f"192.168.{(i >> 8) & 255}.{i & 255}"], ports=[80, 443])
        else:
            r = rule(prio, "deny", f"{team}: no file sharing", groups=[team],
                     hosts=[f"*.share{i}.example", f"share{i}.example"])
        rules.append(r)
        prio += 1
    rules.append(rule(prio + 1000, "allow", "bench: engineering reaches the origin and the bulk sink",
                      groups=["engineering"], hosts=["127.0.0.1/32"], ports=[origin, sink]))
    assert len(rules) == count
    sys.stdout.write(f"# {count} rules for bench/compare.sh (bench/compare/gen_rules.py)\n")
    sys.stdout.write("\n".join(rules) + "\n")


if __name__ == "__main__":
    main()
