# The Helm chart checks' tools (scripts/check-helm, tests/deploy/helm.cmake), sourced by scripts/bootstrap with
# ROOT, CACHE, SUDO and log set. Each step checks first and does nothing when its result is present.
#   helm 3.22.0          Go module, .cache/tools/helm-3.22.0/helm
#   kubeconform 0.8.0    Go module, .cache/tools/kubeconform-0.8.0/kubeconform
#   helm-unittest 1.1.2  Go module built in a scratch module, a helm plugin in .cache/tools/helm-plugins/unittest
#   Kubernetes schemas   PyPI kubernetes-validate 1.37.0 (the wheel, hash-pinned), made standalone for kubeconform
#                        by scripts/k8s-schemas-convert into .cache/k8s-schemas/v1.37.0-standalone-strict
#   checkov 3.3.30       PyPI, its own venv .venv-helm (scripts/helm-requirements.txt)
# Without Go 1.26 (what helm 3.22 and helm-unittest 1.1.2 declare) the Go tools are skipped and the chart checks
# report them missing.
HELM_VERSION=3.22.0
KUBECONFORM_VERSION=0.8.0
HELM_UNITTEST_VERSION=1.1.2
K8S_SCHEMA_VERSION=1.37.0  # kubernetes-validate's version = the Kubernetes version of its newest schemas

# The Kubernetes version helm assumes when no cluster is asked (helm template, helm lint's deprecation rule): the
# release Makefiles set it from the client-go they build with (helm 3.22.0: k8s.io/client-go v0.37.0 -> 1.37);
# `go install` does not run the Makefile, and without these flags helm would assume Kubernetes 1.20. It is also
# the version of the schemas kubeconform checks against.
helm_ldflags_k8s() {
  local pkg
  for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    printf -- '-X %s.k8sVersionMajor=1 -X %s.k8sVersionMinor=%s ' "$pkg" "$pkg" "$(echo "$K8S_SCHEMA_VERSION" | cut -d. -f2)"
  done
}

helm_go_ok() {
  command -v go >/dev/null || { log "no Go toolchain: $1 not built (scripts/check-helm will say it is missing)"; return 1; }
}

# go_install NAME VERSION LDFLAGS PACKAGE: $ROOT/.cache/tools/NAME-VERSION/NAME by `go install PACKAGE@vVERSION`
# (these modules have no replace directives). LDFLAGS set the version string their release builds carry.
go_install() {
  local name=$1 version=$2 ldflags=$3 package=$4
  local dest=$ROOT/.cache/tools/$name-$version
  [ -x "$dest/$name" ] && { log "$name $version present"; return; }
  helm_go_ok "$name" || return 0
  log "building $name $version from its Go module"
  mkdir -p "$dest"
  GOBIN=$dest go install -trimpath -ldflags "-s -w $ldflags" "$package@v$version"
  log "$name in $dest"
}

install_helm() {
  go_install helm "$HELM_VERSION" \
    "-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.metadata= $(helm_ldflags_k8s)" \
    helm.sh/helm/v3/cmd/helm
}

install_kubeconform() {
  go_install kubeconform "$KUBECONFORM_VERSION" "-X main.version=v$KUBECONFORM_VERSION" \
    github.com/yannh/kubeconform/cmd/kubeconform
}

# helm-unittest's go.mod replaces github.com/vmware-labs/yaml-jsonpath with its own fork, and `go install` refuses
# a module with replace directives: it is built as a tool of a throwaway module carrying the same replace. It
# becomes a helm plugin by a plugin.yaml of our own (the release's runs an install hook that downloads binaries
# from GitHub); scripts/check-helm points HELM_PLUGINS at the folder.
install_helm_unittest() {
  local plugins=$ROOT/.cache/tools/helm-plugins dir=$ROOT/.cache/tools/helm-plugins/unittest
  if [ -x "$dir/untt" ] && grep -qx "version: \"$HELM_UNITTEST_VERSION\"" "$dir/plugin.yaml" 2>/dev/null; then
    log "helm-unittest $HELM_UNITTEST_VERSION present"; return
  fi
  helm_go_ok helm-unittest || return 0
  log "building helm-unittest $HELM_UNITTEST_VERSION from its Go module"
  local tmp=$CACHE/helm-unittest-build
  rm -rf "$tmp" "$dir" && mkdir -p "$tmp" "$dir"
  (cd "$tmp" && go mod init voltedge-helm-unittest-build >/dev/null 2>&1 \
    && go mod edit -replace github.com/vmware-labs/yaml-jsonpath@v0.3.2=github.com/helm-unittest/yaml-jsonpath@v0.4.0 \
    && go get -tool "github.com/helm-unittest/helm-unittest/cmd/helm-unittest@v$HELM_UNITTEST_VERSION" \
    && go build -trimpath \
      -ldflags "-s -w -X github.com/helm-unittest/helm-unittest/internal/build.version=$HELM_UNITTEST_VERSION $(helm_ldflags_k8s)" \
      -o "$dir/untt" github.com/helm-unittest/helm-unittest/cmd/helm-unittest)
  cat >"$dir/plugin.yaml" <<EOF
name: "unittest"
version: "$HELM_UNITTEST_VERSION"
usage: "unittest for helm charts"
description: "helm-unittest $HELM_UNITTEST_VERSION, built from its Go module by scripts/bootstrap.d/20-helm.sh"
ignoreFlags: false
command: "\$HELM_PLUGIN_DIR/untt"
EOF
  rm -rf "$tmp"
  log "helm-unittest plugin in $plugins"
}

# The schemas: the wheel is downloaded (hash-checked, not installed) with the checkov venv's pip, and converted.
# The stamp names the wheel's hash and the converter's, so a change to either converts again.
install_k8s_schemas() {
  local out=$ROOT/.cache/k8s-schemas/v$K8S_SCHEMA_VERSION-standalone-strict
  local req=$ROOT/scripts/k8s-schemas-requirements.txt conv=$ROOT/scripts/k8s-schemas-convert
  local stamp; stamp="$(sha256sum "$req" "$conv" | cut -d' ' -f1 | tr '\n' ' ')"
  if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
    log "Kubernetes $K8S_SCHEMA_VERSION schemas present"; return
  fi
  local pip=$ROOT/.venv-helm/bin/pip
  [ -x "$pip" ] || { log "no .venv-helm: Kubernetes schemas not fetched"; return 1; }
  log "fetching and converting the Kubernetes $K8S_SCHEMA_VERSION schemas (kubernetes-validate)"
  local tmp=$CACHE/k8s-schemas-download
  rm -rf "$tmp" && mkdir -p "$tmp"
  "$pip" download -q --disable-pip-version-check --no-deps --require-hashes -r "$req" -d "$tmp"
  local wheel=("$tmp"/kubernetes_validate-*.whl)
  python3 "$conv" "${wheel[0]}" "$K8S_SCHEMA_VERSION" "$out"
  echo "$stamp" >"$out/.stamp"
  rm -rf "$tmp"
}

install_helm
install_kubeconform
install_helm_unittest
# checkov and its dependencies, pinned in full, in a venv apart from the others (it pulls ~100 packages).
install_venv helm helm-requirements.txt checkov
install_k8s_schemas
