"""Checks docker-compose.yml without a Docker engine (scripts/check-compose runs this with .venv-image's Python).

1. The file against the Compose Specification's JSON schema (the copy check-jsonschema vendors, pinned in
   scripts/image-requirements.txt), with jsonschema; a known-bad file must be rejected (self-test). Then what
   `docker compose config` would also refuse and the schema cannot see: depends_on and volumes that name nothing,
   bind mounts of files that do not exist.
2. That it describes the stack of scripts/devstack and scripts/bootstrap: the same versions (pgvector and
   PostgreSQL, Redis, Prometheus, Alertmanager, Jaeger, MLflow and its pins), the same host ports, the same
   passwords by default; the API, worker and migrate services run the one image with serve / worker / migrate,
   set only variables the binary reads (core/config.cpp) and listen where the image and Prometheus expect.
3. docker/postgres-init.sql, run on a scratch PostgreSQL cluster, creates the databases, roles and extensions
   devstack creates; docker/prometheus.yml matches devstack's Prometheus config (and promtool accepts it with the
   rules mounted as compose mounts them); docker/alertmanager.yml is what `scripts/devstack alertmanager-config`
   prints for the n8n service (and amtool accepts it).
Exit 1 with every finding listed.
"""
import copy
import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = "ghcr.io/voltedge/voltedge"
# Jaeger's two numbering schemes: the Go module scripts/bootstrap builds (v1) and the release whose image
# compose runs (v2). From Jaeger's CHANGELOG ("v1.75.0 / v2.12.0 (2025-11-18)"); a bump of JAEGER_VERSION fails
# here until this table and compose's image move with it.
JAEGER_V1_TO_V2 = {"1.75.0": "2.12.0", "1.76.0": "2.13.0"}
N8N_WEBHOOK = "http://n8n:5678/webhook/voltedge-alerts"

findings = []


def fail(message):
    findings.append(message)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


# --- 1. the Compose Specification --------------------------------------------------------------------------------
def compose_schema():
    text = (importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text()
    return json.loads(text)


def schema_errors(document, schema):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return sorted(
        ("/".join(str(p) for p in e.absolute_path) or "(top)") + ": " + e.message
        for e in validator.iter_errors(document))


def self_test(schema, document):
    """The schema must reject a misspelt key, a wrong type and an unknown depends_on condition."""
    bad = copy.deepcopy(document)
    bad["services"]["api"]["helthcheck"] = {"test": ["CMD", "true"]}
    bad["services"]["redis"]["ports"] = {"6379": "6379"}
    bad["services"]["worker"]["depends_on"]["redis"]["condition"] = "service_ready"
    errors = schema_errors(bad, schema)
    for needle in ("helthcheck", "services/redis/ports", "services/worker/depends_on"):
        if not any(needle in e for e in errors):
            fail(f"self-test: the Compose schema did not reject the broken file at {needle} (errors: {errors})")


def semantic_checks(doc):
    services = doc["services"]
    volumes = set((doc.get("volumes") or {}).keys())
    for name, svc in services.items():
        depends = svc.get("depends_on") or {}
        for dep in depends if isinstance(depends, list) else depends.keys():
            if dep not in services:
                fail(f"{name}: depends_on names {dep}, which is no service")
        for vol in svc.get("volumes") or []:
            source = vol.split(":")[0] if isinstance(vol, str) else vol.get("source", "")
            if source.startswith((".", "/")):
                if not os.path.exists(os.path.join(ROOT, source)):
                    fail(f"{name}: mounts {source}, which does not exist")
            elif source and source not in volumes:
                fail(f"{name}: mounts the volume {source}, which volumes: does not declare")


# --- 2. devstack and bootstrap -----------------------------------------------------------------------------------
def shell_default(text, var):
    """VAR=${OVERRIDE:-default} or VAR=value in a shell script: the default."""
    m = re.search(rf"^{var}=(?:\$\{{\w+:-([^}}]*)\}}|([^\s#]+))", text, re.M)
    if not m:
        fail(f"cannot find {var}= in the script")
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


def interpolation_default(value):
    """'x${VAR:-d}y' -> 'xdy', as compose interpolates it with VAR unset."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def debian_upstream(version):
    """'5:7.0.15-1~deb12u6' -> '7.0.15'; '2.42.0+ds-5+deb12u1' -> '2.42.0'."""
    return re.sub(r"[+~-].*$", "", version.split(":", 1)[-1])


def host_package_version(name):
    for cmd in (["dpkg-query", "-W", "-f=${Version}", name], ["apt-cache", "policy", name]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            if cmd[0] == "dpkg-query":
                return r.stdout.strip()
            m = re.search(r"Candidate: (\S+)", r.stdout)
            if m and m.group(1) != "(none)":
                return m.group(1)
    return None


def host_ports(svc):
    """{container port: host port} of a service's ports: entries ("host:container")."""
    out = {}
    for p in svc.get("ports") or []:
        parts = str(p).split(":")
        if len(parts) == 2:
            out[int(parts[1])] = int(parts[0])
        else:
            fail(f"port entry {p!r}: expected HOST:CONTAINER")
    return out


def config_variables():
    """Every environment variable the binary reads: core/config.cpp declares each, and nothing else reads any."""
    names = set(re.findall(r'^\s+\w+\("[a-z]+",\s*"([A-Z][A-Z0-9_]*)"', read("core/config.cpp"), re.M))
    if len(names) < 20:
        fail(f"core/config.cpp: found only {len(names)} settings; has its format changed?")
    return names


def dockerfile_env():
    text = re.sub(r"\\\n", " ", read("docker/Dockerfile"))
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    exposed = {int(p) for line in text.splitlines() if line.startswith("EXPOSE ") for p in line.split()[1:]}
    return env, exposed


def check_versions(doc, bootstrap, devstack):
    services = doc["services"]

    def image(name):
        return services.get(name, {}).get("image", "")

    pgvector = shell_default(bootstrap, "PGVECTOR_VERSION")
    pg_major = re.search(r"^PG_BIN=/usr/lib/postgresql/(\d+)/bin", devstack, re.M)
    want = f"pgvector/pgvector:{pgvector}-pg{pg_major.group(1) if pg_major else '?'}"
    if image("postgres") != want:
        fail(f"postgres: image {image('postgres')}, devstack runs PostgreSQL/pgvector as {want}")

    redis = host_package_version("redis-server")
    if not redis:
        fail("redis-server: neither installed nor known to apt here (scripts/bootstrap installs it)")
    elif image("redis") != f"redis:{debian_upstream(redis)}":
        fail(f"redis: image {image('redis')}, devstack runs Debian's redis-server {redis}")

    packages = dict(re.findall(r"([\w.-]+)=([\w.+~:-]+)", re.search(r"^PROMETHEUS_PACKAGES=\((.*)\)", bootstrap, re.M).group(1)))
    for service, package, repo in (("prometheus", "prometheus", "prom/prometheus"),
                                   ("alertmanager", "prometheus-alertmanager", "prom/alertmanager")):
        want = f"{repo}:v{debian_upstream(packages.get(package, '?'))}"
        if image(service) != want:
            fail(f"{service}: image {image(service)}, scripts/bootstrap installs {package}={packages.get(package)} ({want})")

    jaeger = shell_default(bootstrap, "JAEGER_VERSION")
    if jaeger not in JAEGER_V1_TO_V2:
        fail(f"jaeger: scripts/bootstrap builds {jaeger}; add its v2 release to JAEGER_V1_TO_V2 and compose")
    elif image("jaeger") != f"jaegertracing/jaeger:{JAEGER_V1_TO_V2[jaeger]}":
        fail(f"jaeger: image {image('jaeger')}, scripts/bootstrap builds v{jaeger} = jaegertracing/jaeger:{JAEGER_V1_TO_V2[jaeger]}")

    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", read("scripts/mlflow-requirements.txt"), re.M))
    if image("mlflow") != f"ghcr.io/mlflow/mlflow:v{pins.get('mlflow')}":
        fail(f"mlflow: image {image('mlflow')}, scripts/mlflow-requirements.txt pins mlflow=={pins.get('mlflow')}")
    command = " ".join(services.get("mlflow", {}).get("command") or [])
    installed = dict(re.findall(r"([A-Za-z0-9_.-]+)==(\S+)", command))
    for name, version in pins.items():
        if name != "mlflow" and installed.get(name) != version:
            fail(f"mlflow: the service installs {name}=={installed.get(name)}, scripts/mlflow-requirements.txt pins {version}")
    if re.search(r"pip install[^&]*\s(?![\w.-]+==)[A-Za-z][\w.-]*(\s|$)", command.split("&&")[0]):
        fail("mlflow: the service's pip install names a package without an exact version")

    n8n = services.get("n8n", {})
    if not re.fullmatch(r"n8nio/n8n:\d+\.\d+\.\d+", n8n.get("image", "")):
        fail(f"n8n: image {n8n.get('image')!r} is not an exact n8nio/n8n release")
    if n8n.get("profiles") != ["n8n"]:
        fail("n8n: must run only with the n8n profile (profiles: [n8n])")
    for name, svc in services.items():
        img = svc.get("image", "")
        if name != "n8n" and svc.get("profiles"):
            fail(f"{name}: has profiles, so a plain `docker compose up` would leave it out")
        if not re.search(r":[\w.${}:-]+$", img) or img.endswith(":latest"):
            fail(f"{name}: image {img!r} has no exact tag")


def check_ports(doc, devstack):
    services = doc["services"]
    env, exposed = dockerfile_env()
    api_port = int(env.get("VOLTEDGE_API_PORT", 0))
    worker_port = int(env.get("VOLTEDGE_WORKER_METRICS_PORT", 0))
    if env.get("VOLTEDGE_API_HOST") != "0.0.0.0":
        fail("docker/Dockerfile: VOLTEDGE_API_HOST must be 0.0.0.0 (the binary's default 127.0.0.1 is unreachable from outside the container)")
    if (api_port, worker_port) != (8080, 9090) or not {8080, 9090} <= exposed:
        fail(f"docker/Dockerfile: API on {api_port}, worker metrics on {worker_port}, EXPOSE {sorted(exposed)}; the image's ports are 8080 and 9090")

    def port(var):
        value = shell_default(devstack, var)
        return int(value) if value else None

    webhook = shell_default(devstack, "ALERT_WEBHOOK_URL") or ""
    m = re.match(r"http://127\.0\.0\.1:(\d+)/", webhook)
    expected = {  # service: {container port: devstack's port}
        "postgres": {5432: port("PG_PORT")},
        "redis": {6379: port("REDIS_PORT")},
        "mlflow": {5000: port("MLFLOW_PORT")},
        "api": {api_port: port("API_PORT")},
        "worker": {worker_port: port("WORKER_METRICS_PORT")},
        "prometheus": {9090: port("PROMETHEUS_PORT")},
        "alertmanager": {9093: port("ALERTMANAGER_PORT")},
        "jaeger": {16686: port("JAEGER_UI_PORT"), 4318: port("JAEGER_OTLP_PORT")},
        "n8n": {5678: int(m.group(1)) if m else None},
    }
    for name, want in expected.items():
        got = host_ports(services.get(name, {}))
        for container, host in want.items():
            if got.get(container) != host:
                fail(f"{name}: container port {container} is published on {got.get(container)}, devstack uses {host}")


def service_environment(svc):
    """A service's environment: its env_file(s) overridden by environment:."""
    merged = {}
    env_files = svc.get("env_file") or []
    for env_file in [env_files] if isinstance(env_files, str) else env_files:
        path = env_file if isinstance(env_file, str) else env_file["path"]
        for line in read(path).splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                merged[key.strip()] = value
    environment = svc.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(e.split("=", 1) if "=" in e else (e, "") for e in environment)
    merged.update(environment)
    return merged


def check_voltedge_services(doc, devstack):
    services = doc["services"]
    variables = config_variables()
    env, _ = dockerfile_env()
    for name in env:
        if name.startswith(("VOLTEDGE_", "DATABASE_", "REDIS_", "MLFLOW_", "OTEL_")) and name not in variables:
            fail(f"docker/Dockerfile sets {name}, which the binary does not read")
    for name, command in (("migrate", ["migrate"]), ("api", ["serve"]), ("worker", ["worker"])):
        svc = services.get(name)
        if not svc:
            fail(f"no {name} service")
            continue
        if not str(svc.get("image", "")).startswith(IMAGE + ":"):
            fail(f"{name}: image {svc.get('image')}, expected {IMAGE}:<version>")
        if (svc.get("build") or {}).get("dockerfile") != "docker/Dockerfile":
            fail(f"{name}: not built from docker/Dockerfile")
        if svc.get("command") != command or svc.get("entrypoint"):
            fail(f"{name}: runs {svc.get('entrypoint') or ''} {svc.get('command')}, expected the image's entrypoint with {command}")
        environment = service_environment(svc)
        for var in environment:
            if var not in variables:
                fail(f"{name}: sets {var}, which the binary does not read (core/config.cpp)")
        # (the binary takes SQLAlchemy's postgresql+psycopg2:// too)
        url = interpolation_default(str(environment.get("DATABASE_URL", ""))).replace("postgresql+psycopg2://", "postgresql://")
        if not url.startswith(f"postgresql://voltedge_app:{shell_default(devstack, 'APP_PASSWORD')}@postgres:5432/voltedge"):
            fail(f"{name}: DATABASE_URL {url}: expected voltedge_app with devstack's password on postgres:5432/voltedge")
    admin = interpolation_default(str(service_environment(services.get("migrate") or {}).get("DATABASE_ADMIN_URL", "")))
    if admin != f"postgresql://postgres:{shell_default(devstack, 'ADMIN_PASSWORD')}@postgres:5432/voltedge":
        fail(f"migrate: DATABASE_ADMIN_URL {admin}: expected the postgres superuser with devstack's password")
    for name in ("api", "worker"):
        if "DATABASE_ADMIN_URL" in service_environment(services.get(name) or {}):
            fail(f"{name}: has the administrative login; only migrate needs it")
    pg_env = service_environment(services["postgres"])
    if interpolation_default(str(pg_env.get("POSTGRES_PASSWORD"))) != shell_default(devstack, "ADMIN_PASSWORD") \
            or pg_env.get("POSTGRES_USER") != "postgres" or pg_env.get("POSTGRES_DB") != "voltedge":
        fail("postgres: POSTGRES_USER/POSTGRES_DB/POSTGRES_PASSWORD differ from devstack's postgres / voltedge / ADMIN_PASSWORD")
    mlflow_password = interpolation_default(str(service_environment(services["mlflow"]).get("MLFLOW_DB_PASSWORD")))
    if mlflow_password != shell_default(devstack, "MLFLOW_PASSWORD"):
        fail(f"mlflow: its database password defaults to {mlflow_password}, devstack's is {shell_default(devstack, 'MLFLOW_PASSWORD')}")


# --- 3. the files compose mounts ----------------------------------------------------------------------------------
def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def devstack_postgres_objects(devstack):
    body = re.search(r"^start_postgres\(\) \{\n(.*?)^\}", devstack, re.M | re.S).group(1)
    databases = set(re.findall(r"CREATE DATABASE (\w+)", body)) | {"voltedge"}
    roles = set(re.findall(r"CREATE ROLE (\w+)", body))
    extensions = set(re.findall(r"CREATE EXTENSION IF NOT EXISTS (\w+)", body))
    with_extensions = set(re.search(r"for db in ([\w ]+); do", body).group(1).split())
    owners = dict(re.findall(r"CREATE DATABASE (\w+) OWNER (\w+)", body))
    return databases, roles, {db: extensions for db in with_extensions}, owners


def check_postgres_init(devstack, password):
    """Runs docker/postgres-init.sql as the postgres image runs it (psql, as the superuser, in POSTGRES_DB) on a
    scratch cluster and compares its databases, roles, owners and extensions with devstack's start_postgres."""
    pg_bin = re.search(r"^PG_BIN=(\S+)", devstack, re.M).group(1)
    if not os.path.exists(os.path.join(pg_bin, "initdb")):
        fail(f"{pg_bin}/initdb missing (scripts/bootstrap installs PostgreSQL 15): docker/postgres-init.sql not run")
        return
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    tmp = tempfile.mkdtemp(prefix="voltedge-compose-pg-")
    data, sock = os.path.join(tmp, "data"), os.path.join(tmp, "run")
    os.makedirs(sock)
    if as_pg:
        shutil.chown(tmp, "postgres")
        shutil.chown(sock, "postgres")
    psql = as_pg + ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", sock, "-p", "5432", "-U", "postgres"]
    started = False
    try:
        r = run(as_pg + [f"{pg_bin}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"])
        if r.returncode:
            fail(f"initdb of the scratch cluster failed: {r.stderr.strip()}")
            return
        r = run(as_pg + [f"{pg_bin}/pg_ctl", "-D", data, "-w", "-t", "60", "-l", os.path.join(tmp, "log"), "-o",
                         f"-c listen_addresses='' -c unix_socket_directories='{sock}' -c port=5432", "start"])
        if r.returncode:
            fail(f"the scratch cluster did not start: {r.stderr.strip()} {r.stdout.strip()}")
            return
        started = True
        run(psql + ["-d", "postgres", "-c", "CREATE DATABASE voltedge"])  # what POSTGRES_DB makes the entrypoint do
        with open(os.path.join(ROOT, "docker/postgres-init.sql"), encoding="utf-8") as f:
            r = run(psql + ["-d", "voltedge"], stdin=f)
        if r.returncode:
            fail(f"docker/postgres-init.sql failed on PostgreSQL: {r.stderr.strip()}")
            return

        def query(db, sql):
            r = run(psql + ["-d", db, "-tA", "-c", sql])
            return set(r.stdout.split()) if r.returncode == 0 else set()

        databases = query("postgres", "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'")
        roles = query("postgres", "SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> 'postgres'")
        owners = dict(x.split("|") for x in query("postgres", "SELECT datname || '|' || pg_get_userbyid(datdba) FROM pg_database"))
        want_dbs, want_roles, want_ext, want_owners = devstack_postgres_objects(devstack)
        if databases != want_dbs:
            fail(f"docker/postgres-init.sql makes the databases {sorted(databases)}, devstack {sorted(want_dbs)}")
        if roles != want_roles:
            fail(f"docker/postgres-init.sql makes the roles {sorted(roles)}, devstack {sorted(want_roles)}")
        for db, owner in want_owners.items():
            if owners.get(db) != owner:
                fail(f"database {db}: owner {owners.get(db)} in compose, {owner} in devstack")
        for db in sorted(databases | set(want_ext)):
            got = query(db, "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")
            if got != want_ext.get(db, set()):
                fail(f"database {db}: extensions {sorted(got)} in compose, {sorted(want_ext.get(db, set()))} in devstack")
        # The mlflow role's password: the one the mlflow service logs in with (scram verifier check in SQL).
        sql = ("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'mlflow'")
        if query("postgres", sql) != {"t"}:
            fail("docker/postgres-init.sql: the mlflow role has no password")
        if f"CREATE ROLE mlflow LOGIN PASSWORD '{password}'" not in read("docker/postgres-init.sql"):
            fail(f"docker/postgres-init.sql: the mlflow role's password is not devstack's ({password})")
    finally:
        if started:
            run(as_pg + [f"{pg_bin}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(tmp, ignore_errors=True)


def devstack_prometheus_config(devstack):
    m = re.search(r'cat >"\$dir/prometheus.yml" <<YAML\n(.*?)^YAML', devstack, re.M | re.S)
    if not m:
        fail("scripts/devstack: write_prometheus_config's heredoc not found")
        return None
    text = m.group(1).replace("$auth", "")
    text = re.sub(r"\$(\w+)", lambda v: {"ROOT": "/ROOT"}.get(v.group(1), "0"), text)
    return yaml.safe_load(text)


def check_prometheus(doc, devstack, env):
    ours = yaml.safe_load(read("docker/prometheus.yml"))
    theirs = devstack_prometheus_config(devstack)
    if theirs is None:
        return
    if ours.get("global") != theirs.get("global"):
        fail(f"docker/prometheus.yml: global {ours.get('global')}, devstack {theirs.get('global')}")
    jobs = {j["job_name"]: j for j in ours.get("scrape_configs", [])}
    if set(jobs) != {j["job_name"] for j in theirs.get("scrape_configs", [])}:
        fail(f"docker/prometheus.yml scrapes {sorted(jobs)}, devstack {[j['job_name'] for j in theirs['scrape_configs']]}")
    targets = {"voltedge-api": f"api:{env.get('VOLTEDGE_API_PORT')}", "voltedge-worker": f"worker:{env.get('VOLTEDGE_WORKER_METRICS_PORT')}"}
    for job, target in targets.items():
        got = [t for sc in jobs.get(job, {}).get("static_configs", []) for t in sc.get("targets", [])]
        if got != [target]:
            fail(f"docker/prometheus.yml: {job} scrapes {got}, the compose service listens on {target}")
    am = [t for a in ours.get("alerting", {}).get("alertmanagers", []) for sc in a.get("static_configs", []) for t in sc["targets"]]
    if am != ["alertmanager:9093"]:
        fail(f"docker/prometheus.yml: alerts go to {am}, expected alertmanager:9093")
    # The rule files: devstack reads observability/prometheus/rules/*.yml; compose mounts that folder where the
    # config's relative glob points (the config's own folder, /etc/prometheus).
    theirs_rules = [r.replace("/ROOT/", "") for r in theirs.get("rule_files", [])]
    mounts = dict(v.split(":")[:2] for v in doc["services"]["prometheus"].get("volumes", []) if v.startswith("./"))
    resolved = []
    for rule in ours.get("rule_files", []):
        path = os.path.join("/etc/prometheus", rule)
        for source, target in mounts.items():
            if path.startswith(target.rstrip("/") + "/"):
                resolved.append(os.path.normpath(source + path[len(target.rstrip("/")):]))
    if resolved != theirs_rules:
        fail(f"docker/prometheus.yml: its rules resolve to {resolved} through compose's mounts, devstack reads {theirs_rules}")
    if mounts.get("./docker/prometheus.yml") != "/etc/prometheus/prometheus.yml":
        fail("prometheus: docker/prometheus.yml is not mounted at /etc/prometheus/prometheus.yml")
    promtool = shutil.which("promtool")
    if not promtool:
        fail("promtool missing (scripts/bootstrap installs prometheus): docker/prometheus.yml not checked by it")
        return
    tmp = tempfile.mkdtemp(prefix="voltedge-compose-prom-")
    try:
        shutil.copy(os.path.join(ROOT, "docker/prometheus.yml"), tmp)
        os.symlink(os.path.join(ROOT, "observability/prometheus/rules"), os.path.join(tmp, "rules"))
        r = run([promtool, "check", "config", os.path.join(tmp, "prometheus.yml")])
        if r.returncode or "SUCCESS: 0 rule files" in r.stdout:
            fail(f"promtool check config docker/prometheus.yml: {r.stdout.strip()} {r.stderr.strip()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_alertmanager(doc):
    env = dict(os.environ, VOLTEDGE_ALERT_WEBHOOK_URL=N8N_WEBHOOK)
    r = run([os.path.join(ROOT, "scripts/devstack"), "alertmanager-config"], env=env)
    ours = read("docker/alertmanager.yml")
    body = "".join(l for l in ours.splitlines(keepends=True) if not l.startswith("# Written by:") and not l.startswith("# (Alertmanager of docker-compose.yml"))
    if r.returncode or body != r.stdout:
        fail("docker/alertmanager.yml differs from `VOLTEDGE_ALERT_WEBHOOK_URL=" + N8N_WEBHOOK
             + " scripts/devstack alertmanager-config` (regenerate it so: see its first line)")
    n8n_ports = host_ports(doc["services"].get("n8n", {}))
    if 5678 not in n8n_ports:
        fail("n8n: Alertmanager's webhook goes to n8n:5678, which the n8n service does not listen on")
    amtool = shutil.which("amtool")
    if not amtool:
        fail("amtool missing (scripts/bootstrap installs prometheus-alertmanager): docker/alertmanager.yml not checked by it")
        return
    r = run([amtool, "check-config", os.path.join(ROOT, "docker/alertmanager.yml")])
    if r.returncode:
        fail(f"amtool check-config docker/alertmanager.yml: {r.stdout.strip()} {r.stderr.strip()}")
    volumes = doc["services"]["alertmanager"].get("volumes", [])
    if "./docker/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro" not in volumes:
        fail("alertmanager: docker/alertmanager.yml is not mounted at /etc/alertmanager/alertmanager.yml")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docker-compose.yml")
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    schema = compose_schema()
    for e in schema_errors(doc, schema):
        fail(f"{os.path.basename(path)} against the Compose Specification: {e}")
    self_test(schema, doc)
    if findings:  # the rest reads fields the schema guarantees
        return report()
    bootstrap, devstack = read("scripts/bootstrap"), read("scripts/devstack")
    env, _ = dockerfile_env()
    checks = [
        ("references", lambda: semantic_checks(doc)),
        ("versions", lambda: check_versions(doc, bootstrap, devstack)),
        ("ports", lambda: check_ports(doc, devstack)),
        ("the voltedge services", lambda: check_voltedge_services(doc, devstack)),
        ("docker/postgres-init.sql", lambda: check_postgres_init(devstack, shell_default(devstack, "MLFLOW_PASSWORD"))),
        ("Prometheus", lambda: check_prometheus(doc, devstack, env)),
        ("Alertmanager", lambda: check_alertmanager(doc)),
    ]
    for name, check in checks:
        try:
            check()
        except (KeyError, AttributeError, TypeError, ValueError) as e:  # a service or setting it expects is missing
            fail(f"{name}: could not be checked ({type(e).__name__}: {e}); the file lacks what this check reads")
    return report()


def report():
    for f in findings:
        print(f"check-compose: {f}", file=sys.stderr)
    if findings:
        return 1
    print("check-compose: docker-compose.yml OK (Compose Specification schema; devstack's versions, ports, "
          "databases, roles, extensions, Prometheus and Alertmanager configs; the binary's variables)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
