#!/usr/bin/env python3
"""Every file a comment names is in the repository.

Comments say where the rest of a story lives ("see proxy/src/tunnel.cpp",
"docs/security.md"); after a move or a rename such a pointer leads nowhere. This
reads the comments of every tracked C++, CMake, shell and Python file, takes each
word that looks like a file name (a known extension, with or without folders) and
looks for it: relative to the repository, to the commenting file's folder, or as
the tail of a tracked path. A name found nowhere is printed as FILE:LINE: NAME and
the exit status is 1.

usage: check-comment-paths.py [REPO]   (default: the repository this script is in)
"""
import os
import re
import subprocess
import sys

EXTENSIONS = "cpp|hpp|h|md|sh|py|sql|yaml|yml|json|lua|txt|cmake|in|conf|ldif|service|supp"
NAME = re.compile(r"(?<![\w./<-])((?:[\w.-]+/)*[\w-]+(?:\.[\w-]+)*\.(?:" + EXTENSIONS + r"))(?![\w/])")
# Names that are not files of this repository: system headers, library files, URLs'
# tails, and files the programs create at run time.
NOT_OURS = re.compile(
    r"^(?:/|\.\./|[\w.-]+\.h$|boost/|pqxx/|sys/|linux/|netinet/|arpa/|prometheus/|gtest/|spdlog/|yaml-cpp/|"
    r"date/|openssl/|ldap\.|lber\.|example/|include/boost|proxygen/|source/|src/http/|"
    r"(?:www|docs)\.[\w-]+\.\w+/)")


def tracked(repo):
    out = subprocess.run(["git", "-C", repo, "ls-files"], check=True, capture_output=True, text=True).stdout
    return out.split("\n")[:-1]


def comments(path, text):
    """(line number, comment text) of a file, by its language's comment markers."""
    cpp = path.endswith((".cpp", ".hpp", ".h"))
    for number, line in enumerate(text.split("\n"), 1):
        if cpp:
            i = line.find("//")
            if i >= 0 and line[:i].count('"') % 2 == 0:
                yield number, line[i + 2:]
            elif line.lstrip().startswith(("*", "/*")):
                yield number, line
        else:
            i = line.find("#")
            if i >= 0 and line[:i].count('"') % 2 == 0 and line[:i].count("'") % 2 == 0 and not line.startswith("#!"):
                yield number, line[i + 1:]


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    files = tracked(repo)
    paths = set(files)
    dirs = {os.path.dirname(f) for f in files}
    tails = {}
    for f in files:
        parts = f.split("/")
        for k in range(len(parts)):
            tails.setdefault("/".join(parts[k:]), f)
    sources = [f for f in files if f.endswith((".cpp", ".hpp", ".h", ".sh", ".py")) or os.path.basename(f) == "CMakeLists.txt"]
    missing = []
    for f in sources:
        try:
            text = open(os.path.join(repo, f), encoding="utf-8").read()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        here = os.path.dirname(f)
        for number, comment in comments(f, text):
            if "http://" in comment or "https://" in comment:
                comment = re.sub(r"https?://\S+", "", comment)
            for name in NAME.findall(comment):
                name = name.rstrip(".")
                # NNNN_name.sql and the like are patterns, not names.
                if NOT_OURS.match(name) or "*" in name or re.search(r"([A-Z])\1\1", name):
                    continue
                if (name in paths or name in dirs or os.path.normpath(os.path.join(here, name)) in paths
                        or name in tails):
                    continue
                missing.append(f"{f}:{number}: {name}")
    for m in missing:
        print(m)
    if missing:
        print(f"check-comment-paths: {len(missing)} comment(s) name a file that is not in the repository",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
