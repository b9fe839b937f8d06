"""The CycloneDX 1.6 SBOM of a VoltEdge release (make release writes dist/voltedge.cdx.json with it), and its check.

Syft has no C++ cataloguer, so the C++ dependencies come from the build's own dependency list:
  - `ninja -t inputs voltedge`: the libraries CMake's find_package / pkg_check_modules resolved and the objects of
    the binary; `ninja -t deps` of those objects: every header they compiled (header-only libraries such as
    nlohmann-json, CLI11, Eigen and Boost appear only there);
  - `ldd` of the binary and `objdump -p` (NEEDED) of each library it loads: what runs, and who loads whom;
  each file mapped to its Debian package by `dpkg -S`, with the version, architecture and source package dpkg
  has installed, as purl pkg:deb/debian/<name>@<version>?arch=<arch>&distro=debian-12.
Beside them: the MLflow server's pinned requirements (scripts/mlflow-requirements.txt, pkg:pypi) and the
embedding model (scripts/bootstrap's pinned wheel and the SHA-256 of each file).

  sbom.py generate --binary BIN --build-dir DIR --version V --commit C --out FILE
  sbom.py check FILE --binary BIN    (CycloneDX 1.6 JSON schema, strict; and what the file claims, re-measured)
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import uuid

from packageurl import PackageURL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DISTRO = "debian-12"
SPEC_VERSION = "1.6"


def run(cmd, check=True, cwd=None):
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if check and r.returncode:
        raise SystemExit(f"sbom: {' '.join(cmd[:4])} ... failed: {r.stderr.strip()[:500]}")
    return r.stdout


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- files to Debian packages ----------------------------------------------------------------------------------
def owners(paths):
    """{path: package} through dpkg -S; a path dpkg does not know is tried as its real path and with /usr toggled
    (Debian 12 is usr-merged: /lib is /usr/lib, and a package may have shipped the file under either)."""
    result = {}
    pending = {p: [p, os.path.realpath(p)] for p in paths}
    for p, tries in pending.items():
        for t in list(tries):
            tries.append(t[4:] if t.startswith("/usr/") else "/usr" + t)
    for attempt in range(4):
        ask = {}
        for p, tries in pending.items():
            if p not in result and attempt < len(tries):
                ask.setdefault(tries[attempt], []).append(p)
        if not ask:
            break
        out = subprocess.run(["dpkg", "-S", *ask], capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = re.match(r"^([^ :,]+)(?::[\w-]+)?(?:, [^:]+)?: (/.*)$", line)
            if m and m.group(2) in ask:
                for p in ask[m.group(2)]:
                    result.setdefault(p, m.group(1))
    return result


def package_info(names):
    out = run(["dpkg-query", "-W", "-f=${Package}\t${Version}\t${Architecture}\t${source:Package}\n", *sorted(names)])
    info = {}
    for line in out.splitlines():
        name, version, arch, source = line.split("\t")
        info[name] = {"version": version, "arch": arch, "source": source}
    return info


def deb_purl(name, info):
    return PackageURL(type="deb", namespace="debian", name=name, version=info["version"],
                      qualifiers={"arch": info["arch"], "distro": DISTRO}).to_string()


# --- the build's dependency list -------------------------------------------------------------------------------
def build_inputs(build_dir):
    inputs = run(["ninja", "-C", build_dir, "-t", "inputs", "voltedge"]).split()
    objects = [i for i in inputs if i.endswith(".o")]
    libraries = [i for i in inputs if re.search(r"\.so(\.|$)|\.a$", i) and i.startswith("/")]
    if not objects:
        raise SystemExit(f"sbom: ninja -t inputs voltedge in {build_dir} lists no objects")
    headers = set()
    for i in range(0, len(objects), 200):
        for line in run(["ninja", "-C", build_dir, "-t", "deps", *objects[i:i + 200]]).splitlines():
            path = line.strip()
            if line.startswith("    ") and path.startswith("/usr/"):
                headers.add(os.path.normpath(path))
    return libraries, headers


def runtime_graph(binary):
    """The libraries the binary loads (ldd) and, per library and for the binary, the libraries it names itself."""
    loaded = {}
    for line in run(["ldd", binary]).splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line) or re.match(r"\s*(/\S+) \(", line)
        if m:
            loaded[os.path.basename(m.group(1))] = m.group(2) if m.lastindex == 2 else m.group(1)

    def needed(path):
        return [l for l in re.findall(r"NEEDED\s+(\S+)", run(["objdump", "-p", path]))]

    edges = {binary: needed(binary)}
    for path in loaded.values():
        edges[path] = needed(path)
    return loaded, edges


# --- generate --------------------------------------------------------------------------------------------------
def model_component():
    text = open(os.path.join(ROOT, "scripts/bootstrap"), encoding="utf-8").read()
    wheel = re.search(r"^MODEL_WHEEL=(\S+)", text, re.M).group(1)
    wheel_sha = re.search(r"^MODEL_WHEEL_SHA256=([0-9a-f]{64})", text, re.M).group(1)
    files = re.findall(r'^\s+"(\S+) ([0-9a-f]{64})"', re.search(r"^MODEL_FILES=\((.*?)^\)", text, re.M | re.S).group(1), re.M)
    name, version = wheel.split("==")
    model_dir = os.environ.get("VOLTEDGE_MODEL_DIR") or os.path.join(ROOT, ".cache/models/minilm")
    file_components = []
    for fname, digest in files:
        path = os.path.join(model_dir, fname)
        present = os.path.exists(path)
        if present and sha256(path) != digest:
            raise SystemExit(f"sbom: {path}: SHA-256 differs from scripts/bootstrap's pin")
        file_components.append({
            "type": "file", "bom-ref": f"model-file:{fname}", "name": fname,
            "hashes": [{"alg": "SHA-256", "content": digest}],
            "properties": [{"name": "voltedge:verified-on-disk", "value": "true" if present else "false"}],
        })
    weights = dict(files)["model.safetensors"]
    return {
        "type": "machine-learning-model", "bom-ref": "model:all-MiniLM-L6-v2",
        "name": "all-MiniLM-L6-v2", "version": version,
        "description": "Sentence-embedding model of rag/ (retrieval), shipped in the image under /opt/voltedge/models/minilm",
        "purl": PackageURL(type="pypi", name=name, version=version).to_string(),
        "hashes": [{"alg": "SHA-256", "content": weights}],
        "properties": [{"name": "voltedge:wheel-sha256", "value": wheel_sha},
                       {"name": "voltedge:weights-file", "value": "model.safetensors"}],
        "components": file_components,
    }


def pypi_components():
    comps = []
    for line in open(os.path.join(ROOT, "scripts/mlflow-requirements.txt"), encoding="utf-8"):
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if m:
            purl = PackageURL(type="pypi", name=m.group(1).lower(), version=m.group(2)).to_string()
            comps.append({"type": "library", "bom-ref": purl, "name": m.group(1), "version": m.group(2),
                          "purl": purl, "scope": "required", "group": "mlflow-server",
                          "properties": [{"name": "voltedge:source", "value": "scripts/mlflow-requirements.txt"}]})
    return comps


def generate(args):
    binary = os.path.abspath(args.binary)
    libraries, headers = build_inputs(args.build_dir)
    loaded, edges = runtime_graph(binary)
    path_owner = owners(set(libraries) | headers | set(loaded.values()))
    missing = sorted(p for p in set(libraries) | set(loaded.values()) if p not in path_owner)
    if missing:
        raise SystemExit(f"sbom: no Debian package owns {missing}")
    soname_owner = {name: path_owner[path] for name, path in loaded.items()}
    linked_direct = {soname_owner[n] for n in edges[binary] if n in soname_owner}
    linked_all = set(soname_owner.values())
    header_pkgs = {path_owner[h] for h in headers if h in path_owner}
    link_pkgs = {path_owner[l] for l in libraries}
    info = package_info(linked_all | header_pkgs | link_pkgs)

    components, refs = [], {}
    for name in sorted(info):
        how = []
        if name in linked_direct:
            how.append("linked")
        elif name in linked_all:
            how.append("loaded")
        if name in link_pkgs:
            how.append("link-input")
        if name in header_pkgs:
            how.append("headers")
        ref = deb_purl(name, info[name])
        refs[name] = ref
        components.append({
            "type": "library", "bom-ref": ref, "name": name, "version": info[name]["version"], "purl": ref,
            "scope": "required",
            "properties": [{"name": "voltedge:use", "value": ",".join(how)},
                           {"name": "voltedge:debian-source", "value": info[name]["source"]}],
        })

    app_ref = f"voltedge@{args.version}"
    dependencies = {app_ref: sorted({refs[p] for p in linked_direct | header_pkgs | link_pkgs})}
    for path, names in edges.items():
        if path == binary:
            continue
        owner = path_owner[path]
        deps = {refs[soname_owner[n]] for n in names if n in soname_owner and soname_owner[n] != owner}
        dependencies.setdefault(refs[owner], [])
        dependencies[refs[owner]] = sorted(set(dependencies[refs[owner]]) | deps)
    for name, ref in refs.items():
        dependencies.setdefault(ref, [])

    pypi = pypi_components()
    model = model_component()
    components += pypi + [model]
    for c in pypi:
        dependencies[c["bom-ref"]] = []
    dependencies[model["bom-ref"]] = []

    digest = sha256(binary)
    commit_time = run(["git", "-C", ROOT, "log", "-1", "--format=%cI"], check=False).strip()
    timestamp = datetime.datetime.fromisoformat(commit_time).astimezone(datetime.timezone.utc) if commit_time \
        else datetime.datetime.now(datetime.timezone.utc)
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        # One serial number per binary: the same build gives the same SBOM.
        "serialNumber": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"voltedge:{args.version}:{digest}")),
        "version": 1,
        "metadata": {
            "timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "scripts/sbom.py",
                                      "description": "ninja -t inputs/deps, ldd, objdump and dpkg -S of the build"}]},
            "component": {
                "type": "application", "bom-ref": app_ref, "name": "voltedge", "version": args.version,
                "description": "VoltEdge load forecasting platform: the voltedge binary (dist/voltedge)",
                "licenses": [{"license": {"id": "MIT"}}],
                "hashes": [{"alg": "SHA-256", "content": digest}],
                "purl": PackageURL(type="generic", name="voltedge", version=args.version).to_string(),
                "properties": [{"name": "voltedge:git-commit", "value": args.commit},
                               {"name": "voltedge:platform", "value": f"linux/amd64 {DISTRO}"}],
            },
        },
        "components": components,
        "dependencies": [{"ref": ref, "dependsOn": deps} for ref, deps in dependencies.items()],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(bom, f, indent=2)
        f.write("\n")
    print(f"sbom: {args.out}: {len(info)} Debian packages ({len(linked_direct)} linked directly, "
          f"{len(linked_all)} loaded, {len(header_pkgs)} with compiled headers), {len(pypi)} PyPI packages, the model")


# --- check -----------------------------------------------------------------------------------------------------
def schema_errors(text):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    if errors is not None and not isinstance(errors, (list, tuple)) and not hasattr(errors, "__iter__"):
        errors = [errors]
    return [f"{getattr(e.data, 'json_path', '$')}: {getattr(e.data, 'message', e)}" for e in (errors or [])]


def check(args):
    problems = []
    text = open(args.file, encoding="utf-8").read()
    problems += [f"CycloneDX 1.6 schema: {e}" for e in schema_errors(text)]
    # Self-test: the validator must reject a component without a name and a hash of the wrong length.
    bad = json.loads(text)
    del bad["components"][0]["name"]
    bad["metadata"]["component"]["hashes"][0]["content"] = "abc"
    if len(schema_errors(json.dumps(bad))) < 2:
        problems.append("self-test: the CycloneDX validator accepted a component without a name and a short hash")
    bom = json.loads(text)
    if bom.get("specVersion") != SPEC_VERSION:
        problems.append(f"specVersion {bom.get('specVersion')}, expected {SPEC_VERSION}")
    app = bom["metadata"]["component"]
    if args.binary and app["hashes"][0]["content"] != sha256(args.binary):
        problems.append(f"the SBOM's SHA-256 of voltedge is not {args.binary}'s")
    debs = {c["name"]: c for c in bom["components"] if c.get("purl", "").startswith("pkg:deb/")}
    installed = package_info(debs) if debs else {}
    for name, c in debs.items():
        if name not in installed:
            problems.append(f"{name}: not installed here")
        elif c["version"] != installed[name]["version"] or c["purl"] != deb_purl(name, installed[name]):
            problems.append(f"{name}: SBOM says {c['purl']}, dpkg has {installed[name]['version']}")
    # Every library the binary loads must be there, under the package that owns it.
    if args.binary:
        loaded, _ = runtime_graph(os.path.abspath(args.binary))
        for soname, pkg in owners(set(loaded.values())).items():
            if pkg not in debs:
                problems.append(f"the binary loads {soname}, whose package {pkg} the SBOM does not list")
    for expected in ("nlohmann-json3-dev", "libcli11-dev", "libeigen3-dev", "libpqxx-6.4", "libxgboost0"):
        if expected not in debs:
            problems.append(f"{expected} missing (a header-only or linked dependency of the build)")
    refs = {c["bom-ref"] for c in bom["components"]} | {app["bom-ref"]}
    for d in bom["dependencies"]:
        for r in [d["ref"], *d.get("dependsOn", [])]:
            if r not in refs:
                problems.append(f"dependencies name {r}, which is no component")
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", open(os.path.join(ROOT, "scripts/mlflow-requirements.txt")).read(), re.M))
    pypi = {c["name"]: c["version"] for c in bom["components"] if c.get("purl", "").startswith("pkg:pypi/") and c.get("group") == "mlflow-server"}
    if pypi != pins:
        problems.append(f"PyPI components {pypi}, scripts/mlflow-requirements.txt pins {pins}")
    models = [c for c in bom["components"] if c["type"] == "machine-learning-model"]
    weights = re.search(r'"model.safetensors ([0-9a-f]{64})"', open(os.path.join(ROOT, "scripts/bootstrap")).read()).group(1)
    if len(models) != 1 or models[0]["hashes"][0]["content"] != weights:
        problems.append("the embedding model is missing, or its SHA-256 is not scripts/bootstrap's pin")
    for p in problems:
        print(f"sbom check: {args.file}: {p}", file=sys.stderr)
    if not problems:
        print(f"sbom check: {args.file}: valid CycloneDX {SPEC_VERSION}; {len(debs)} Debian packages as dpkg has them, "
              f"every loaded library's package listed, MLflow pins and the model's SHA-256 as pinned")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--binary", required=True)
    g.add_argument("--build-dir", required=True)
    g.add_argument("--version", required=True)
    g.add_argument("--commit", required=True)
    g.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("file")
    c.add_argument("--binary")
    args = parser.parse_args()
    return generate(args) if args.command == "generate" else check(args)


if __name__ == "__main__":
    sys.exit(main() or 0)
