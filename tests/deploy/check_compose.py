"""deploy/docker/docker-compose.yml, checked without a Docker engine: the
services issue 8 asks for, health checks, start order (migration one-shot
before Tollgate), every bind-mounted file exists, and ports stay on loopback.

usage: check_compose.py SOURCE_DIR
"""
import os
import sys

import yaml

from deploy_check import Problems

source = sys.argv[1]
folder = os.path.join(source, "deploy/docker")
p = Problems("docker-compose")
compose = yaml.safe_load(open(os.path.join(folder, "docker-compose.yml")))
services = compose.get("services", {})

for name in ["postgres", "openldap", "migrate", "tollgate", "prometheus", "grafana"]:
    p.check(name in services, f"service {name} is missing")
if p.items:
    p.finish()

for name in ["postgres", "openldap", "tollgate", "prometheus", "grafana"]:
    hc = services[name].get("healthcheck", {})
    p.check(bool(hc.get("test")), f"service {name} has no healthcheck")
p.check(any("/healthz" in str(part) for part in services["tollgate"]["healthcheck"]["test"]),
        "tollgate's healthcheck must GET /healthz")

migrate, tollgate = services["migrate"], services["tollgate"]
p.check(migrate.get("command", [None])[0] == "migrate", "the migrate service must run `tollgate migrate`")
p.check(migrate.get("restart") == "no", "migrate is a one-shot (restart: \"no\")")
p.check(tollgate.get("depends_on", {}).get("migrate", {}).get("condition") == "service_completed_successfully",
        "tollgate must wait for migrate to complete successfully")
p.check(migrate.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
        "migrate must wait for a healthy postgres")
p.check(tollgate.get("command", [None])[0] == "serve", "tollgate must run `serve`")
p.check(migrate.get("build") == tollgate.get("build") and tollgate.get("build", {}).get("dockerfile")
        == "deploy/docker/Dockerfile", "migrate and tollgate must be built from deploy/docker/Dockerfile")
p.check(os.path.isfile(os.path.join(folder, tollgate["build"]["context"], tollgate["build"]["dockerfile"])),
        "the build context plus dockerfile does not name the Dockerfile")
p.check("cap_drop" in tollgate and tollgate.get("read_only") is True, "tollgate should run read-only with cap_drop")

mounts = {}
for name, svc in services.items():
    for volume in svc.get("volumes", []):
        src, _, rest = volume.partition(":")
        target = rest.split(":")[0]
        mounts.setdefault(name, {})[target] = src
        if src.startswith((".", "/")):
            p.check(os.path.exists(os.path.normpath(os.path.join(folder, src))),
                    f"service {name} mounts {src}, which does not exist")
        else:
            p.check(src in compose.get("volumes", {}), f"service {name} uses undeclared volume {src}")
    for port in svc.get("ports", []):
        p.check(str(port).startswith("127.0.0.1:"), f"service {name} publishes {port} beyond loopback")

p.check(mounts["openldap"].get("/ldifs/directory.ldif", "").endswith("tests/fixtures/directory.ldif"),
        "openldap must load the fixture LDIF")
p.check(services["openldap"].get("environment", {}).get("LDAP_CUSTOM_LDIF_DIR") == "/ldifs",
        "openldap must read the mounted LDIF folder")
p.check(any(s.endswith("tollgate-alerts.yml") for s in mounts["prometheus"].values()),
        "prometheus must mount the alert rules")
p.check(any(s.endswith("tollgate-dashboard.json") for s in mounts["grafana"].values()),
        "grafana must mount the dashboard")
p.check("/etc/tollgate/tollgate.yaml" in mounts["tollgate"], "tollgate must mount its config")

config = yaml.safe_load(open(os.path.join(folder, "tollgate.yaml")))
p.check(set(config) <= {"proxy", "admin", "ldap", "postgres", "audit", "policy"},
        f"tollgate.yaml has unknown sections {set(config)}")
p.check(config["admin"]["listen"].endswith(":9090") and config["admin"]["listen"].startswith("0.0.0.0"),
        "admin.listen must be 0.0.0.0:9090 (health check, Prometheus)")
p.check(config["ldap"]["uris"][0].startswith("ldap://openldap:"), "ldap.uris must point at the openldap service")
p.check("@postgres:" in config["postgres"]["dsn"], "postgres.dsn must point at the postgres service")
for key in ("bind_password_file",):
    path = config["ldap"][key]
    p.check(path in mounts["tollgate"] and path in mounts["migrate"], f"{path} is not mounted into tollgate and migrate")
scrape = yaml.safe_load(open(os.path.join(source, "deploy/prometheus/prometheus.yml")))
targets = [t for job in scrape["scrape_configs"] if job["job_name"] == "tollgate"
           for sc in job["static_configs"] for t in sc["targets"]]
p.check("tollgate:9090" in targets, "prometheus.yml must scrape tollgate:9090 as job tollgate")
p.finish()
