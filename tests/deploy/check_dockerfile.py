"""deploy/docker/Dockerfile basics, without a Docker engine or hadolint:
multi-stage on Debian 12, the build stage uses scripts/install-deps.sh, the
runtime stage runs as a non-root user with a /healthz HEALTHCHECK, every COPY
source exists. With a built binary as second argument, also checks that the
runtime stage installs the Debian package of every shared library it needs.

usage: check_dockerfile.py SOURCE_DIR [TOLLGATE_BINARY]
"""
import os
import re
import subprocess
import sys

from deploy_check import Problems, require_tool

source = sys.argv[1]
binary = sys.argv[2] if len(sys.argv) > 2 else None
path = os.path.join(source, "deploy/docker/Dockerfile")
p = Problems("Dockerfile" + (" runtime libraries" if binary else ""))

# Join continuation lines, drop comments.
lines, current = [], ""
for raw in open(path):
    line = raw.rstrip("\n")
    if not current and line.lstrip().startswith("#"):
        continue
    if line.endswith("\\"):
        current += line[:-1] + " "
        continue
    current += line
    if current.strip():
        lines.append(current.strip())
    current = ""

stages = []
for line in lines:
    word, _, rest = line.partition(" ")
    word = word.upper()
    if word == "FROM":
        m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
        stages.append({"image": m.group(1), "name": m.group(2), "lines": []})
    elif stages:
        stages[-1]["lines"].append((word, rest))

if not p.check(len(stages) >= 2, "the Dockerfile must be multi-stage"):
    p.finish()
build, runtime = stages[0], stages[-1]
for s in stages:
    p.check(re.match(r"debian:(12|bookworm)(-slim)?(@sha256:[0-9a-f]+)?$", s["image"]) is not None,
            f"stage base {s['image']} is not Debian 12")


def instructions(stage, word):
    return [rest for w, rest in stage["lines"] if w == word]


run_text = " ".join(instructions(runtime, "RUN"))

if binary is None:
    p.check(build["name"] is not None, "the build stage needs a name (FROM ... AS build)")
    p.check(any("scripts/install-deps.sh" in r for r in instructions(build, "RUN")),
            "the build stage must install packages with scripts/install-deps.sh (same list as CI)")
    users = instructions(runtime, "USER")
    p.check(bool(users), "the runtime stage sets no USER (would run as root)")
    if users:
        user = users[-1].split(":")[0]
        p.check(user not in ("root", "0"), f"the runtime stage runs as {user}")
    hc = instructions(runtime, "HEALTHCHECK")
    p.check(bool(hc) and "/healthz" in hc[-1], "the runtime stage needs a HEALTHCHECK on /healthz")
    p.check("curl" in run_text or not hc or "curl" not in hc[-1], "HEALTHCHECK uses curl but curl is not installed")
    entry = instructions(runtime, "ENTRYPOINT")
    p.check(bool(entry) and "/usr/bin/tollgate" in entry[-1], "ENTRYPOINT must be /usr/bin/tollgate")
    exposed = " ".join(instructions(runtime, "EXPOSE")).split()
    p.check("3128" in exposed and "9090" in exposed, "EXPOSE 3128 (proxy) and 9090 (admin)")
    p.check(any("--from=" + build["name"] in c for c in instructions(runtime, "COPY")),
            "the runtime stage must copy the binary from the build stage")
    for s in stages:
        for rest in instructions(s, "COPY"):
            if "--from=" in rest:
                continue
            for src in rest.split()[:-1]:
                if not src.startswith("--") and src != ".":
                    p.check(os.path.exists(os.path.join(source, src)), f"COPY source {src} does not exist")
    ignore = open(os.path.join(source, "deploy/docker/Dockerfile.dockerignore")).read().split()
    p.check("build-*" in ignore and "var" in ignore, "Dockerfile.dockerignore must keep build-* and var out")
else:
    require_tool("dpkg-query")
    if not p.check(os.access(binary, os.X_OK), f"built binary {binary} is missing"):
        p.finish()
    # Only the libraries the binary names itself (DT_NEEDED): their own
    # dependencies come with their packages.
    readelf = require_tool("readelf")
    dynamic = subprocess.run([readelf, "-d", binary], capture_output=True, text=True, check=True).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", dynamic))
    # The image is built without io_uring (Docker's seccomp profile refuses it), so
    # a local io_uring build's liburing is not a library the image needs.
    if "-DTOLLGATE_IO_URING=OFF" in " ".join(instructions(build, "RUN")):
        needed = {n for n in needed if not n.startswith("liburing")}
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = [path for soname, path in re.findall(r"(\S+)\s+=>\s+(\S+)\s+\(", ldd) if soname in needed]
    p.check(len(libs) == len(needed), f"ldd resolves {len(libs)} of {len(needed)} needed libraries: {ldd}")
    installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", run_text))
    base = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libzstd1", "liblzma5", "libcrypt1"}
    seen = set()
    for lib in libs:
        real = os.path.realpath(lib)
        owner = None
        for candidate in (lib, real):
            r = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
            if r.returncode == 0:
                owner = r.stdout.split(":")[0].strip()
                break
        if owner is None or owner in seen:
            continue
        seen.add(owner)
        # debian:12-slim carries the essential set (libc6, libstdc++6, ...); everything else is installed.
        p.check(owner in installed or owner in base,
                f"{lib} comes from package {owner}, which the runtime stage does not install")
    print("runtime packages needed:", " ".join(sorted(seen)))
p.finish()
