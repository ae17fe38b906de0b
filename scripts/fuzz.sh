#!/usr/bin/env bash
# Runs every fuzz target in the repository for a short time each: the targets
# are discovered (`go test -list '^Fuzz'`), so new ones are picked up with no
# change here. A finding fails the run; Go writes the failing input under the
# package's testdata/fuzz/<Target>/, where committing it makes it a regular
# test case from then on.
#
#   scripts/fuzz.sh                 every target, 10s each
#   FUZZTIME=2m scripts/fuzz.sh     longer
#   scripts/fuzz.sh ./internal/formats/...   only these packages
#
# With FUZZLOG=file, one line per target is appended: package, target,
# executions, new interesting inputs, result (what bench/FUZZ.md records).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
fuzztime="${FUZZTIME:-10s}"
pkgs=("$@")
[ ${#pkgs[@]} -eq 0 ] && pkgs=(./...)

# `go test -list` prints a package's target names, then "ok  <package> ...".
if ! list=$(go test -list '^Fuzz' "${pkgs[@]}" 2>&1); then
  echo "$list" | grep -v '^ok' | tail -30
  echo "fuzz.sh: listing the fuzz targets failed (a package does not build?)" >&2
  exit 1
fi
targets=()
names=()
while read -r line; do
  case "$line" in
    Fuzz*) names+=("$line") ;;
    ok*)
      pkg=$(awk '{print $2}' <<<"$line")
      for n in "${names[@]}"; do targets+=("$pkg $n"); done
      names=()
      ;;
    *) names=() ;;
  esac
done <<<"$list"

if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets found" >&2
  exit 1
fi
# deadline_flake OUTPUT: the run failed only with the fuzz coordinator's
# shutdown race: "context deadline exceeded", and no input written, no panic.
deadline_flake() {
  grep -q 'context deadline exceeded' <<<"$1" &&
    ! grep -qE 'Failing input written|panic:' <<<"$1" &&
    ! grep -qE '^\s+[A-Za-z0-9_]+\.go:[0-9]+:' <<<"$1"
}

echo "fuzz.sh: ${#targets[@]} targets, $fuzztime each"
status=0
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1)
  rc=$?
  # Go 1.26's fuzz coordinator can report a bare "context deadline exceeded"
  # when -fuzztime ends while a worker is mid-call on a loaded machine
  # (golang/go#75804, fixed in Go 1.27). A real finding always writes its
  # input ("Failing input written to ..."), so only that shape is retried,
  # once; a second failure of any kind fails the run.
  if [ $rc -ne 0 ] && deadline_flake "$out"; then
    echo "fuzz.sh: $pkg $name: fuzz-time deadline race with no failing input (golang/go#75804); running it again" >&2
    out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1)
    rc=$?
  fi
  # The last progress line: "fuzz: elapsed: 10s, execs: 123456 (...), new interesting: 7 (total: 12)".
  last=$(grep -E '^fuzz: elapsed:' <<<"$out" | tail -1)
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
  newi=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
  result=ok
  if [ $rc -ne 0 ]; then
    result=FAIL
    status=1
    echo "$out" | tail -30
  fi
  printf '%-50s %-24s execs=%-10s new=%-5s %s\n' "$pkg" "$name" "${execs:-?}" "${newi:-?}" "$result"
  if [ -n "${FUZZLOG:-}" ]; then
    printf '%s\t%s\t%s\t%s\t%s\n' "$pkg" "$name" "${execs:-?}" "${newi:-?}" "$result" >>"$FUZZLOG"
  fi
done
exit $status
