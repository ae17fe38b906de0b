#!/usr/bin/env bash
# Builds the long-lived tools the end-to-end tests need, when they are not already on
# the machine, and caches them outside the repository keyed by version:
#
#   versitygw  — Versity's S3 gateway, the S3-compatible server the S3 blob tests run
#                against (internal/blob/s3, e2e/scaleout, bench); `go install` of its
#                module (about 2 minutes from an empty build cache; why this server:
#                docs/tool-build.md). Built first: it is quick and unblocks the S3 tests.
#   OpenTofu   — from its Go module source (go install refuses it: its go.mod has a replace)
#   AWS provider — from the Go module proxy's copy of a provider fork (the Terraform
#                  registry is not reachable from these machines)
#
# Usage: scripts/build-tools.sh            build what is missing, print the env to use
#        scripts/build-tools.sh --env      only print the env (for `eval`), build nothing
#
# Output: $WHARF_TOOLS_CACHE/bin/tofu and a provider filesystem mirror under
# $WHARF_TOOLS_CACHE/mirror, plus $WHARF_TOOLS_CACHE/tofurc pointing tofu at it.
# On a machine where `tofu` and the registry work, none of this is needed: the tests
# use whatever `tofu`/`terraform` is on PATH and let it install the provider itself.
set -euo pipefail

# The whole script is one compound command, so bash parses it all before running
# any of it: editing this file while a long build runs cannot derail that build.
{

TOFU_VERSION="${TOFU_VERSION:-v1.10.10}"
PROVIDER_VERSION="${PROVIDER_VERSION:-6.13.0}"
PROVIDER_FORK="github.com/upbound/terraform-provider-aws"
PROVIDER_FORK_VERSION="${PROVIDER_FORK_VERSION:-v0.0.0-20251204202605-7049bcc1808e}"
CACHE="${WHARF_TOOLS_CACHE:-/var/cache/wharf-tools}"
VGW_MODULE="github.com/versity/versitygw"
VGW_VERSION="${VGW_VERSION:-v1.8.0}"
VGW_BIN="$CACHE/versitygw-$VGW_VERSION/versitygw"

TOFU_BIN="$CACHE/tofu-$TOFU_VERSION/tofu"
MIRROR="$CACHE/mirror"
PROVIDER_DIR="$MIRROR/registry.opentofu.org/hashicorp/aws/$PROVIDER_VERSION/linux_amd64"
PROVIDER_BIN="$PROVIDER_DIR/terraform-provider-aws_v$PROVIDER_VERSION"
TOFURC="$CACHE/tofurc"

print_env() {
  echo "export WHARF_TOFU=$TOFU_BIN"
  echo "export WHARF_VERSITYGW=$VGW_BIN"
  echo "export TF_CLI_CONFIG_FILE=$TOFURC"
}

if [[ "${1:-}" == "--env" ]]; then print_env; exit 0; fi

mkdir -p "$CACHE"
log() { echo "build-tools: $*" >&2; }
# How long a build took and the machine's load meanwhile: the numbers
# docs/tool-build.md records come from these lines.
took() { echo "$(( $(date +%s) - $1 ))s, load $(cut -d' ' -f1-3 /proc/loadavg)"; }

# One build at a time: a second caller (CI starts one early, the test script another)
# waits here and then finds the tools cached.
exec 9>"$CACHE/.lock"
flock 9

build_tofu() {
  if [[ -x "$TOFU_BIN" ]]; then log "tofu $TOFU_VERSION cached"; return; fi
  log "building OpenTofu $TOFU_VERSION (about 5 minutes)"
  local dir src start
  start=$(date +%s)
  dir="$(go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  src="$(mktemp -d)"
  cp -r "$dir/." "$src/"
  chmod -R u+w "$src"
  mkdir -p "$(dirname "$TOFU_BIN")"
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$TOFU_BIN.tmp" ./cmd/tofu)
  mv "$TOFU_BIN.tmp" "$TOFU_BIN"
  rm -rf "$src"
  log "tofu ready: $TOFU_BIN ($(took "$start"))"
}

build_versitygw() {
  if [[ -x "$VGW_BIN" ]]; then log "versitygw $VGW_VERSION cached"; return; fi
  log "building versitygw $VGW_VERSION (2 minutes on two quiet cores, up to 9 under load)"
  local bin start
  start=$(date +%s)
  bin="$(mktemp -d)"
  # Its go.mod has no replace directive, so a plain `go install module@version` works.
  GOBIN="$bin" go install -trimpath -ldflags "-s -w -X main.Version=$VGW_VERSION" "$VGW_MODULE/cmd/versitygw@$VGW_VERSION"
  mkdir -p "$(dirname "$VGW_BIN")"
  mv "$bin/versitygw" "$VGW_BIN.tmp"
  mv "$VGW_BIN.tmp" "$VGW_BIN"
  rm -rf "$bin"
  log "versitygw ready: $VGW_BIN ($(took "$start"))"
}

build_provider() {
  if [[ -x "$PROVIDER_BIN" ]]; then log "aws provider $PROVIDER_VERSION cached"; return; fi
  log "building the AWS provider $PROVIDER_VERSION (30+ minutes on two cores)"
  local dir wrap logreplace start
  start=$(date +%s)
  export GONOSUMDB="$PROVIDER_FORK" GONOSUMCHECK="$PROVIDER_FORK" GOPRIVATE=""
  dir="$(GOFLAGS=-mod=mod go mod download -json "$PROVIDER_FORK@$PROVIDER_FORK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  wrap="$(mktemp -d)"
  # The fork's go.mod replaces terraform-plugin-log; a replace only counts in the main
  # module, so the wrapper repeats it.
  logreplace="$(grep -E '^replace github.com/hashicorp/terraform-plugin-log' "$dir/go.mod" || true)"
  goversion="$(sed -n 's/^go //p' "$dir/go.mod")"
  cat > "$wrap/go.mod" <<MOD
module wharf.local/aws-provider-build

go $goversion

require github.com/hashicorp/terraform-provider-aws v0.0.0-00010101000000-000000000000

replace github.com/hashicorp/terraform-provider-aws => $PROVIDER_FORK $PROVIDER_FORK_VERSION
$logreplace
MOD
  cp "$dir/go.sum" "$wrap/go.sum"
  cat > "$wrap/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/hashicorp/terraform-provider-aws"
GO
  mkdir -p "$PROVIDER_DIR"
  (cd "$wrap" && GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true)
  (cd "$wrap" && GOFLAGS=-mod=mod GOMAXPROCS=2 go build -p 2 -trimpath \
      -ldflags "-s -w -X github.com/hashicorp/terraform-provider-aws/version.ProviderVersion=$PROVIDER_VERSION" \
      -o "$PROVIDER_BIN.tmp" github.com/hashicorp/terraform-provider-aws)
  mv "$PROVIDER_BIN.tmp" "$PROVIDER_BIN"
  rm -rf "$wrap"
  log "aws provider ready: $PROVIDER_BIN ($(took "$start"))"
}

write_tofurc() {
  cat > "$TOFURC.tmp" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.opentofu.org/hashicorp/aws", "registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.opentofu.org/hashicorp/aws", "registry.terraform.io/hashicorp/aws"]
  }
}
RC
  mv "$TOFURC.tmp" "$TOFURC"
  # terraform looks for registry.terraform.io in the same mirror. Its mirror scan
  # does not follow a symlinked directory, so the binary is hard-linked (no copy).
  local tfdir="$MIRROR/registry.terraform.io/hashicorp/aws/$PROVIDER_VERSION/linux_amd64"
  if [[ -L "$MIRROR/registry.terraform.io/hashicorp/aws" ]]; then rm "$MIRROR/registry.terraform.io/hashicorp/aws"; fi
  mkdir -p "$tfdir"
  ln -f "$PROVIDER_BIN" "$tfdir/" 2>/dev/null || cp "$PROVIDER_BIN" "$tfdir/"
}

build_versitygw
build_tofu
build_provider
write_tofurc
print_env
exit 0
}
