"""The README's first command, scripts/demo.sh, as a newcomer meets it.

Runs it with the built binary (TOLLGATE_BIN: no install, no build) on free ports with
its state in a temp folder (DEMO_VAR); pastes every `curl` line it prints and checks
each answer; stops it with SIGINT to its process group, as Ctrl-C in a terminal does,
and checks that everything it started is gone; then runs it a second time on the same
folder, which must come up again without errors.

Usage: check_demo.py SOURCE_DIR TOLLGATE_BINARY
"""
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

from deploy_check import require_tool

# The printed lines, in order: allow, deny, allow /public/, blocked category,
# no credentials, wrong password, then four admin API calls.
EXPECTED = ["200", "403", "200", "403", "407", "407", "200", "200", "200", "200"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Demo:
    def __init__(self, source, env, log_path):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(["bash", os.path.join(source, "scripts/demo.sh")], env=env, cwd=source,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_serving(self, since, seconds=180):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            if "serving (instance" in self.text()[since:]:
                return True
            time.sleep(0.2)
        return False

    def interrupt(self, seconds=90):
        """Ctrl-C: SIGINT to the whole foreground process group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def main():
    source, binary = sys.argv[1], sys.argv[2]
    for tool in ("curl", "openssl", "psql"):
        require_tool(tool)
    problems = []
    with tempfile.TemporaryDirectory(prefix="tollgate-demo-") as tmp:
        os.chmod(tmp, 0o755)
        ports = {name: free_port() for name in ("PROXY_PORT", "ADMIN_PORT", "PG_PORT", "LDAP_PORT", "ORIGIN_PORT")}
        env = dict(os.environ, TOLLGATE_BIN=binary, DEMO_VAR=os.path.join(tmp, "var"),
                   **{k: str(v) for k, v in ports.items()})
        log_path = os.path.join(tmp, "demo.log")

        demo = Demo(source, env, log_path)
        try:
            if not demo.wait_serving(0):
                print("FAIL: the demo did not come up:\n" + demo.text())
                return 1
            lines = [l.strip() for l in demo.text().splitlines() if l.strip().startswith("curl ")]
            if len(lines) != len(EXPECTED):
                problems.append(f"the demo printed {len(lines)} curl lines, expected {len(EXPECTED)}: {lines}")
            for line, want in zip(lines, EXPECTED):
                # As pasted into a shell, plus a status read-out.
                argv = shlex.split(line) + ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20"]
                got = subprocess.run(argv, capture_output=True, text=True).stdout
                print(f"{got}  {line}")
                if got != want:
                    problems.append(f"{line}: got {got}, expected {want}")

            first_run_end = len(demo.text())
            status = demo.interrupt()
            if status is None:
                problems.append("Ctrl-C did not stop the demo within 90 s")
            elif "demo: stopped" not in demo.text():
                problems.append("the demo did not report a clean stop:\n" + demo.text()[first_run_end:])
            time.sleep(0.5)
            still_open = [k for k, v in ports.items() if port_open(v)]
            if still_open:
                problems.append(f"after Ctrl-C these ports still answer: {still_open}")
        finally:
            demo.kill()

        # Second run on the same folder: no errors, and the first example works again.
        since = len(open(log_path, encoding="utf-8", errors="replace").read())
        demo = Demo(source, env, log_path)
        try:
            if not demo.wait_serving(since):
                problems.append("the second run did not come up:\n" + demo.text()[since:])
            else:
                second = demo.text()[since:]
                if re.search(r"\b(error|FATAL)\b", second, re.IGNORECASE):
                    problems.append("the second run logged an error:\n" + second)
                argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-x",
                        f"http://127.0.0.1:{ports['PROXY_PORT']}", "-U", "alice:alice-pw",
                        f"http://127.0.0.1:{ports['ORIGIN_PORT']}/internal/"]
                got = subprocess.run(argv, capture_output=True, text=True).stdout
                if got != "200":
                    problems.append(f"second run: alice got {got} for the internal page")
            if demo.interrupt() is None:
                problems.append("Ctrl-C did not stop the second run within 90 s")
        finally:
            demo.kill()

    for p in problems:
        print("FAIL: " + p)
    if not problems:
        print("demo: every printed example answered as expected; Ctrl-C stopped it; a second run reused its folder")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
