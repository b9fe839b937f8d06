# shellcheck shell=bash
# The tools of the image, Compose and release checks (tests/deploy/image.cmake) and of `make release`:
#  - .venv-image (scripts/image-requirements.txt): hadolint, the Compose Specification schema, jsonschema, the
#    CycloneDX schemas and validator;
#  - cosign, built from its Go module into .cache/tools/cosign-<version>/ (sign-blob / verify-blob with a key
#    pair; keyless signing needs Fulcio and Rekor, which cannot be reached from here).
# Sourced by scripts/bootstrap with ROOT, CACHE, SUDO and log set.

COSIGN_VERSION=2.6.5

# cosign's module has no replace directives, so a plain `go install` of the pinned version builds it (`cosign
# version` prints v$COSIGN_VERSION). Measured on 2 shared cores: with empty Go caches (~1.8 GB of modules to
# download) 21 minutes under a load of 12 (8 CPU minutes); with the module cache Jaeger's build left, 6 minutes;
# with warm caches 16 seconds; nothing when the binary is present. The build is reproducible: each gave the same
# binary (go1.26.8, -trimpath).
install_cosign() {
  local dest=$ROOT/.cache/tools/cosign-$COSIGN_VERSION
  [ -x "$dest/cosign" ] && { log "cosign $COSIGN_VERSION present"; return; }
  command -v go >/dev/null || { log "no Go toolchain: cosign not built (make release and the release check need it)"; return; }
  local gover; gover=$(go env GOVERSION | sed 's/^go//')
  if ! printf '%s\n' 1.25 "$gover" | sort -V -C; then  # cosign v2.6's go.mod asks for Go 1.25
    log "Go $gover is older than 1.25: cosign not built (make release and the release check need it)"; return
  fi
  log "building cosign $COSIGN_VERSION from its Go module (minutes on 2 cores with cold Go caches)"
  local tmp=$CACHE/cosign-build
  rm -rf "$tmp" && mkdir -p "$tmp" "$dest"
  GOBIN=$tmp nice go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=v$COSIGN_VERSION" \
    "github.com/sigstore/cosign/v2/cmd/cosign@v$COSIGN_VERSION"
  mv -f "$tmp/cosign" "$dest/cosign"
  rm -rf "$tmp"
  log "cosign in $dest"
}

install_venv image image-requirements.txt hadolint
install_cosign
