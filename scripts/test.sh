#!/usr/bin/env bash
# Runs every wharf test. Works on a fresh machine: it builds the long-lived tools
# (OpenTofu, the AWS provider) in the background when they are not cached, runs
# the rest of the suite meanwhile, then the Terraform module tests.
#
#   scripts/test.sh            everything
#   scripts/test.sh -run X     extra flags go to `go test`
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

# System packages the real-client tests use (Debian's); installed when missing and root.
scripts/install-deps.sh

build_log="${TMPDIR:-/tmp}/wharf-build-tools.log"
scripts/build-tools.sh >"$build_log" 2>&1 &
build_pid=$!

status=0
echo "== go vet"
go vet ./... || status=1
# Packages that need a tool the background build makes (tofu, the versitygw S3
# server) run once it is there.
after_tools='/e2e/tfmodule|/e2e/scaleout|/internal/blob/s3$'
echo "== go test (all but the Terraform module and S3 tests; tool build runs meanwhile)"
go test -count=1 -timeout 45m $(go list ./... | grep -Ev "$after_tools") "$@" || status=1

echo "== fuzz targets (${FUZZTIME:-10s} each; scripts/fuzz.sh)"
scripts/fuzz.sh || status=1

# versitygw is the first tool built (about 2 minutes): the S3 tests run as soon as
# it is there, while OpenTofu and the AWS provider still build.
eval "$(scripts/build-tools.sh --env)"
echo "== waiting for versitygw from the tool build (log: $build_log)"
while [[ ! -x "$WHARF_VERSITYGW" ]] && kill -0 "$build_pid" 2>/dev/null; do sleep 5; done
echo "== go test of the S3 blob store and the replicas behind a load balancer (versitygw: $WHARF_VERSITYGW)"
go test -count=1 -timeout 30m $(go list ./... | grep -E "$after_tools" | grep -v /e2e/tfmodule) "$@" || status=1

echo "== waiting for the OpenTofu / AWS provider build (log: $build_log)"
if ! wait "$build_pid"; then
  tail -50 "$build_log"
  echo "tool build failed" >&2
  exit 1
fi
eval "$(scripts/build-tools.sh --env)"
echo "== go test ./e2e/tfmodule (tofu: $WHARF_TOFU)"
go test -count=1 -timeout 40m ./e2e/tfmodule/... "$@" || status=1
exit $status
