"""deploy/k8s: every manifest parses; the kinds issue 8 asks for exist; the
Deployment's probes, security context and resources are right; names and keys
that refer to each other (Secret keys, ConfigMap keys, ports, selectors) agree.

usage: check_k8s.py SOURCE_DIR
"""
import os
import sys

import yaml

from deploy_check import Problems

folder = os.path.join(sys.argv[1], "deploy/k8s")
p = Problems("kubernetes manifests")
docs = []
files = sorted(f for f in os.listdir(folder) if f.endswith((".yaml", ".yml")))
for name in files:
    try:
        for doc in yaml.safe_load_all(open(os.path.join(folder, name))):
            if doc:
                doc["__file"] = name
                docs.append(doc)
    except yaml.YAMLError as e:
        p.check(False, f"{name}: {e}")

by_kind = {}
for d in docs:
    p.check("apiVersion" in d and "kind" in d and (d.get("kind") == "Kustomization" or d.get("metadata", {}).get("name")),
            f"{d['__file']}: apiVersion, kind and metadata.name are required")
    by_kind.setdefault(d["kind"], []).append(d)
for kind in ["Namespace", "Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "Job", "Kustomization"]:
    p.check(kind in by_kind, f"no {kind} manifest")
if p.items:
    p.finish()

kust = by_kind["Kustomization"][0]
for name in files:
    if name != "kustomization.yaml":
        p.check(name in kust["resources"], f"kustomization.yaml does not list {name}")

secret = by_kind["Secret"][0]
secret_keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
for key, value in secret.get("stringData", {}).items():
    p.check("REPLACE_ME" in value, f"Secret key {key} holds a value not marked REPLACE_ME")
configmap = by_kind["ConfigMap"][0]
config = yaml.safe_load(configmap["data"]["tollgate.yaml"])
p.check(set(config) <= {"proxy", "admin", "ldap", "postgres", "audit", "policy"},
        f"ConfigMap tollgate.yaml has unknown sections {set(config)}")
admin_port = int(config["admin"]["listen"].rsplit(":", 1)[1])
proxy_port = int(config["proxy"]["listen"][0].rsplit(":", 1)[1])
p.check(config["admin"]["listen"].startswith("0.0.0.0:"), "admin.listen must bind 0.0.0.0 in a pod for the probes")


def check_pod(owner, spec, probes):
    where = f"{owner['kind']} {owner['metadata']['name']}"
    psc = spec.get("securityContext", {})
    p.check(psc.get("runAsNonRoot") is True, f"{where}: pod securityContext.runAsNonRoot must be true")
    p.check(psc.get("runAsUser", 0) != 0, f"{where}: runAsUser must not be 0")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for c in spec["containers"]:
        sc = c.get("securityContext", {})
        p.check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem must be true")
        p.check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation must be false")
        p.check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities must drop ALL")
        res = c.get("resources", {})
        p.check("requests" in res and "limits" in res, f"{where}: resources need requests and limits")
        for env in c.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                p.check(ref["name"] == secret["metadata"]["name"] and ref["key"] in secret_keys,
                        f"{where}: env {env['name']} refers to missing secret key {ref}")
        for m in c.get("volumeMounts", []):
            v = volumes.get(m["name"])
            if not p.check(v is not None, f"{where}: mount of unknown volume {m['name']}"):
                continue
            if "configMap" in v and "subPath" in m:
                p.check(m["subPath"] in configmap["data"], f"{where}: ConfigMap has no key {m['subPath']}")
        ports = {pt["name"]: pt["containerPort"] for pt in c.get("ports", [])}
        if probes:
            p.check(ports.get("admin") == admin_port, f"{where}: container port 'admin' differs from admin.listen")
            p.check(ports.get("proxy") == proxy_port, f"{where}: container port 'proxy' differs from proxy.listen")
            for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
                got = c.get(probe, {}).get("httpGet", {})
                p.check(got.get("path") == path and got.get("port") in ("admin", admin_port),
                        f"{where}: {probe} must GET {path} on the admin port, has {got}")
    for v in volumes.values():
        if "secret" in v:
            p.check(v["secret"]["secretName"] == secret["metadata"]["name"], f"{where}: unknown secret volume")
            for item in v["secret"].get("items", []):
                p.check(item["key"] in secret_keys, f"{where}: Secret has no key {item['key']}")
        if "configMap" in v:
            p.check(v["configMap"]["name"] == configmap["metadata"]["name"], f"{where}: unknown ConfigMap")
    return where


deployment = by_kind["Deployment"][0]
pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
p.check(deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(),
        "Deployment selector does not match its pod labels")
check_pod(deployment, deployment["spec"]["template"]["spec"], probes=True)
p.check(deployment["spec"].get("replicas", 1) >= 2, "run at least two replicas (PDB, rolling updates)")

job = by_kind["Job"][0]
job_container = job["spec"]["template"]["spec"]["containers"][0]
p.check(job_container.get("args", [])[:1] == ["migrate"], "the Job must run `tollgate migrate`")
check_pod(job, job["spec"]["template"]["spec"], probes=False)

container_ports = {pt["name"] for pt in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
for svc in by_kind["Service"]:
    p.check(svc["spec"]["selector"].items() <= pod_labels.items(),
            f"Service {svc['metadata']['name']} selects no Deployment pod")
    for port in svc["spec"]["ports"]:
        p.check(port["targetPort"] in container_ports, f"Service {svc['metadata']['name']}: unknown targetPort")
pdb = by_kind["PodDisruptionBudget"][0]
p.check(pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(), "the PDB selects no Deployment pod")
for d in docs:
    if d["kind"] not in ("Namespace", "Kustomization"):
        p.check(d["metadata"].get("namespace") == "tollgate", f"{d['__file']}: namespace must be tollgate")
p.finish()
