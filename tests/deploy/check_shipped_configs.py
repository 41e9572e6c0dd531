"""The config files shipped in deploy/ (docker compose, the Kubernetes
ConfigMap) pass the real `tollgate check-config`. Their *_file keys name paths
inside containers, so a temp copy points them at local stand-ins (a fresh
Ed25519 key, a password file, the bootstrap rules shipped beside them).

usage: check_shipped_configs.py SOURCE_DIR TOLLGATE_BINARY
"""
import os
import subprocess
import sys
import tempfile

import yaml

from deploy_check import Problems, require_tool

source, binary = sys.argv[1], sys.argv[2]
p = Problems("shipped configs")
openssl = require_tool("openssl")
if not p.check(os.access(binary, os.X_OK), f"built binary {binary} is missing: build target `tollgate` first"):
    p.finish()

configmap = next(d for d in yaml.safe_load_all(open(os.path.join(source, "deploy/k8s/configmap.yaml")))
                 if d and d.get("kind") == "ConfigMap")
shipped = {
    "deploy/docker/tollgate.yaml": (open(os.path.join(source, "deploy/docker/tollgate.yaml")).read(),
                                    open(os.path.join(source, "deploy/demo/rules.yaml")).read()),
    "deploy/k8s/configmap.yaml": (configmap["data"]["tollgate.yaml"], configmap["data"]["rules.yaml"]),
}

with tempfile.TemporaryDirectory() as tmp:
    key = os.path.join(tmp, "audit-ed25519.pem")
    subprocess.run([openssl, "genpkey", "-algorithm", "ed25519", "-out", key], check=True, capture_output=True)
    password = os.path.join(tmp, "ldap-password")
    with open(password, "w") as f:
        f.write("stand-in\n")
    env = dict(os.environ, TOLLGATE_PG_WRITER_PASSWORD="w", TOLLGATE_PG_OWNER_PASSWORD="o")
    for name, (text, rules) in shipped.items():
        rules_path = os.path.join(tmp, name.replace("/", "_") + ".rules.yaml")
        with open(rules_path, "w") as f:
            f.write(rules)
        stand_ins = {"bind_password_file": password, "signing_key_file": key, "bootstrap_rules_file": rules_path}
        # Replace the paths textually so line numbers in messages still match the shipped file.
        lines = []
        for line in text.splitlines():
            stripped = line.strip()
            for k, v in stand_ins.items():
                if stripped.startswith(k + ":"):
                    line = line[: line.index(k)] + f"{k}: {v}"
            for k in ("spool_dir", "checkpoint_file"):
                if stripped.startswith(k + ":"):
                    line = line[: line.index(k)] + f"{k}: {os.path.join(tmp, k)}"
            lines.append(line)
        copy = os.path.join(tmp, os.path.basename(name))
        with open(copy, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([binary, "check-config", "--config", copy], capture_output=True, text=True, env=env)
        print(f"{name}: exit {r.returncode} {r.stdout}{r.stderr}")
        p.check(r.returncode == 0, f"{name} fails check-config:\n{r.stdout}{r.stderr}")
p.finish()
