#!/usr/bin/env bash
# bench/run.sh — wharf against nginx and Verdaccio, side by side in one run on
# one machine (issue 9). Not part of CI; see bench/README.md.
#
#   bench/run.sh                     every case; writes bench/RESULTS.md
#   bench/run.sh tarball packument   only those cases; writes $WORK/RESULTS.md (bench/RESULTS.md is
#                                    only ever written by a full run, so its figures are from one run)
#
# Cases: tarball packument npmci pip maven api list rss
#
# Environment:
#   WHARF_BENCH_CACHE  cache outside the repo (Verdaccio's install)   default /var/cache/wharf-bench
#   WHARF_BENCH_DUR    wrk duration per measurement                  default 10s
#   WHARF_BENCH_ROUNDS interleaved nginx/wharf rounds per cached-GET row (medians reported)  default 3
#   WHARF_BENCH_QUIET_PCT, WHARF_BENCH_QUIET_MAX  a measurement starts once the machine is busy
#                      less than PCT % of one core (default 5), waiting at most MAX s (default 60)
#   WHARF_BENCH_OUT    where the results go                          default above
#   WHARF_BENCH_REPS   measured runs of npm ci, pip and mvn per system (the best counts)  default 1
#   WHARF_BENCH_KEEP=1 keep the work directory (logs, data) afterwards
#   WHARF_BENCH_DEBUG_ADDR  serve wharf's net/http/pprof there (--debug-addr), e.g. 127.0.0.1:6061
#   NPM_REGISTRY       upstream of the npm cases                     default $(npm config get registry)
#
# Everything listens on 127.0.0.1 with ports the kernel hands out; every
# process started here is stopped on exit (trap). The npm cases warm wharf and
# Verdaccio from NPM_REGISTRY; no registry host name is written to any file in
# the repository (the lockfile is generated in the work directory and its
# `resolved` URLs are stripped before use).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${WHARF_BENCH_CACHE:-/var/cache/wharf-bench}
DUR=${WHARF_BENCH_DUR:-10s}
ROUNDS=${WHARF_BENCH_ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: WHARF_BENCH_ROUNDS must be a positive integer" >&2; exit 2; }
ALL_CASES=(tarball packument npmci pip maven api list rss)
if [[ $# -gt 0 ]]; then CASES=("$@"); else CASES=("${ALL_CASES[@]}"); fi
for c in "${CASES[@]}"; do
  [[ " ${ALL_CASES[*]} " == *" $c "* ]] || { echo "run.sh: unknown case '$c' (cases: ${ALL_CASES[*]})" >&2; exit 2; }
done
WORK=$(mktemp -d /tmp/wharf-bench.XXXXXX)
chmod 755 "$WORK" # nginx's workers run unprivileged and read the fixtures under it
if [[ $# -gt 0 ]]; then OUT=${WHARF_BENCH_OUT:-$WORK/RESULTS.md}; else OUT=${WHARF_BENCH_OUT:-$ROOT/bench/RESULTS.md}; fi
FRAG=$WORK/results
mkdir -p "$FRAG" "$WORK/log"
START_TS=$(date +%s)
FAILED=()
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
REPS=${WHARF_BENCH_REPS:-1}

# ---------------------------------------------------------------- processes
PIDS=()
cleanup() {
  local rc=$?
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[i]}" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -z ${WHARF_BENCH_KEEP:-} ]]; then rm -rf "$WORK"; else echo "work directory kept: $WORK" >&2; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s [%4ds] %s\n' "$(date -u +%H:%M:%S)" $(($(date +%s) - START_TS)) "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { # URL [seconds]
  local i
  for ((i = 0; i < ${2:-60} * 10; i++)); do
    curl -s -o /dev/null --max-time 2 "$1" && return 0
    sleep 0.1
  done
  die "nothing answers at $1"
}

# ---------------------------------------------------------------- quiet
# Every measurement starts from a quiet machine. A saturated server keeps
# working after its client stops (Verdaccio has up to 64 requests in flight for
# seconds when wrk ends); on 2 cores that work would land in the next
# measurement. quiesce samples the CPU time over 0.5 s windows until the machine
# as a whole (/proc/stat, minus the sampler itself) is busy less than
# QUIET_PCT % of one core, for at most QUIET_MAX s; past that (a machine that
# others share) it still waits, up to another 60 s, until the processes this
# script started (every descendant of this shell) are that quiet. Each wait is
# logged and recorded for the results.
QUIET_PCT=${WHARF_BENCH_QUIET_PCT:-5}
QUIET_MAX=${WHARF_BENCH_QUIET_MAX:-60}
quiesce() { # LABEL
  local out waited machine own ok
  out=$(python3 - "$$" "$QUIET_PCT" "$QUIET_MAX" <<'EOF'
import glob, os, sys, time
root, pct, cap = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
hz = os.sysconf("SC_CLK_TCK")
me = os.getpid()

def machine():
    f = open("/proc/stat").readline().split()[1:]
    user, nice, system, idle, iowait, irq, softirq = map(int, f[:7])
    return user + nice + system + irq + softirq  # steal is not this machine's work

def descendants():
    seen, todo = set(), [root]
    while todo:
        p = todo.pop()
        for c in glob.glob("/proc/%d/task/*/children" % p):
            try:
                kids = [int(x) for x in open(c).read().split()]
            except OSError:
                continue
            for k in kids:
                if k not in seen and k != me:
                    seen.add(k)
                    todo.append(k)
    return seen

def ticks(pids):
    t = {}
    for p in pids:
        try:
            f = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
            t[p] = int(f[11]) + int(f[12])  # utime + stime
        except (OSError, IndexError):
            pass
    return t

def self_ticks():
    t = os.times()
    return (t.user + t.system) * hz

start = time.monotonic()
while True:
    m0, o0, s0, t0 = machine(), ticks(descendants()), self_ticks(), time.monotonic()
    time.sleep(0.5)
    m1, o1, s1, t1 = machine(), ticks(list(o0)), self_ticks(), time.monotonic()
    window = (t1 - t0) * hz  # ticks of one core in the window
    busy_m = max(0.0, (m1 - m0) - (s1 - s0)) * 100 / window
    busy_o = sum(o1[p] - o0[p] for p in o1 if p in o0) * 100 / window
    waited = t1 - start
    quiet = busy_m < pct
    if quiet or (waited >= cap and busy_o < pct) or waited >= cap + 60:
        print("%.1f %.1f %.1f %s" % (waited, busy_m, busy_o, "yes" if quiet else "no"))
        break
EOF
  ) || die "quiesce: the sampler failed"
  read -r waited machine own ok <<<"$out"
  log "quiet before $1: waited ${waited} s; last 0.5 s: machine busy ${machine} % of one core, the processes started here ${own} %$([[ $ok == yes ]] || echo " (the machine was not quiet within ${QUIET_MAX} s)")"
  # A file, not a variable: the cases run in subshells.
  echo "$1 $waited $machine $own $ok" >>"$WORK/log/quiet.txt"
}

# ---------------------------------------------------------------- tools
need() { command -v "$1" >/dev/null || die "$1 is not installed ($2)"; }
ensure_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || missing+=(nginx-light)
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]} (Debian)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/log/apt.log" 2>&1 ||
      die "apt-get install ${missing[*]} (see $WORK/log/apt.log)"
  fi
  need go "the Go toolchain"
  need node "Debian's nodejs"
  need npm "Debian's npm"
  need curl curl
}

VERDACCIO=$CACHE/verdaccio/node_modules/verdaccio/bin/verdaccio
ensure_verdaccio() {
  [[ -x $VERDACCIO || -f $VERDACCIO ]] && return 0
  log "installing Verdaccio 5.33.0 into $CACHE/verdaccio (once)"
  mkdir -p "$CACHE/verdaccio"
  # Verdaccio 6 needs Node 22; 5.33 runs on Node 20 with node-fetch pinned.
  cat >"$CACHE/verdaccio/package.json" <<'EOF'
{"private":true,"dependencies":{"verdaccio":"5.33.0"},"overrides":{"node-fetch":"2.7.0"}}
EOF
  (cd "$CACHE/verdaccio" && npm install --no-audit --no-fund --loglevel=error) >"$WORK/log/verdaccio-install.log" 2>&1 ||
    die "npm install verdaccio (see $WORK/log/verdaccio-install.log)"
}

build() {
  log "building wharf and wharfbench"
  (cd "$ROOT" && go build -o "$WORK/bin/wharf" ./cmd/wharf && go build -o "$WORK/bin/wharfbench" ./bench/cmd/wharfbench) ||
    die "go build"
}

# ---------------------------------------------------------------- results
# Every measured figure goes through these, into markdown fragments that are
# put together at the end.
row() { # FILE cells...
  local f=$FRAG/$1 line="|" c
  shift
  for c in "$@"; do line+=" $c |"; done
  echo "$line" >>"$f"
}
ratio() { python3 -c "import sys; a,b=float(sys.argv[1] or 0),float(sys.argv[2] or 0); print('%.3f' % (a/b) if b else 'n/a')" "$1" "$2"; }
best() { python3 -c "import sys; print(min(map(float, sys.argv[1:])))" "$@"; }
runs() { [[ $# -gt 1 ]] && echo " (runs: $(IFS=,; echo "$*" | sed 's/,/, /g'))" || true; }
fmt_int() { python3 -c "import sys; print('{:,.0f}'.format(float(sys.argv[1])))" "$1"; }

# wrk_rate NAME URL [header...] -> sets RATE (formatted req/s), RPS, P99 (ms) and
# ERRS; the raw output is kept in the log. A server that completes fewer than 64
# answers (one per connection) in DUR is measured again for 30 s: its rate is
# then answers completed over those 30 s, with their number. (Estimating from
# bytes read would say 0 for a server that renders a document whole before
# sending it.)
wrk_rate() {
  local name=$1 url=$2
  shift 2
  local args=() h d=$DUR
  for h in "$@"; do args+=(-H "$h"); done
  while :; do
    # A 60 s timeout: wrk's default 2 s would count a slow server's answers as
    # socket timeouts instead of in its rate.
    wrk -t2 -c64 -d"$d" --timeout 60s --latency "${args[@]}" "$url" >"$WORK/log/wrk-$name.txt" 2>&1 || die "wrk $name"
    read -r RPS P99 ERRS DONE RATE < <(python3 - "$WORK/log/wrk-$name.txt" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
done = int(re.search(r"(\d+) requests in", t).group(1))
p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s|m)\b", t)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
err = re.search(r"Socket errors:.*?read (\d+), write (\d+), timeout (\d+)", t)
ms = 0.0
if p99 and done:
    v, u = float(p99.group(1)), p99.group(2)
    ms = {"us": v / 1000, "ms": v, "s": v * 1000, "m": v * 60000}[u]
n_err = (int(bad.group(1)) if bad else 0) + (sum(int(x) for x in err.groups()) if err else 0)
rate = "{:,.0f}".format(rps) if rps >= 100 else "{:.1f}".format(rps)
if done < 128:
    rate += " (%d answers)" % done
print("%.2f %.1f %d %d %s" % (rps, ms, n_err, done, rate))
EOF
    )
    [[ -n $RPS ]] || die "wrk $name: no result (see $WORK/log/wrk-$name.txt)"
    [[ $DONE -lt 64 && $d == "$DUR" && $DUR != 30s ]] || break
    log "$name: $DONE answers in $DUR; measuring again for 30 s"
    d=30s
    quiesce "$name-30s" # the short run's requests still in flight must not count
  done
  [[ $d == "$DUR" ]] || RATE="$RATE in 30 s"
}

# compare NAME LABEL FRAGMENT NGINX_URL WHARF_URL VERDACCIO_URL [header...]: one
# table row. nginx and wharf are measured in ROUNDS interleaved rounds (nginx,
# wharf, nginx, wharf, ...), each run from a quiet machine, so that a moment's
# load elsewhere moves one round, not the figure: the row gives each system's
# median rate, the ratio of the medians (the bold figure) and the per-round
# ratios' min–max. Verdaccio (two orders of magnitude slower, saturated for
# seconds after wrk stops) once, last. wharf's requests carry the token; every
# system gets the headers given.
compare() {
  local name=$1 label=$2 frag=$3 nurl=$4 wurl=$5 vurl=$6
  shift 6
  local i ns=() ws=() nps=() wps=() ne=0 we=0
  for ((i = 1; i <= ROUNDS; i++)); do
    quiesce "$name-nginx-$i"
    wrk_rate "$name-nginx-$i" "$nurl" "$@"
    ns+=("$RPS") nps+=("$P99") ne=$((ne + ERRS))
    quiesce "$name-wharf-$i"
    wrk_rate "$name-wharf-$i" "$wurl" "Authorization: Bearer $TOKEN" "$@"
    ws+=("$RPS") wps+=("$P99") we=$((we + ERRS))
    log "$name round $i/$ROUNDS: nginx ${ns[-1]}/s, wharf ${ws[-1]}/s, wharf / nginx $(ratio "${ws[-1]}" "${ns[-1]}")"
  done
  quiesce "$name-verdaccio"
  wrk_rate "$name-verdaccio" "$vurl" "$@"
  local v=$RPS vp=$P99 ve=$ERRS vr=$RATE cells
  cells=$(python3 - "$ROUNDS" "$v" "${ns[@]}" "${ws[@]}" "${nps[@]}" "${wps[@]}" <<'EOF'
import statistics as st, sys
r, v = int(sys.argv[1]), float(sys.argv[2])
a = [float(x) for x in sys.argv[3:]]
ns, ws, nps, wps = a[:r], a[r:2 * r], a[2 * r:3 * r], a[3 * r:]
fmt = lambda x: "{:,.0f}".format(x) if x >= 100 else "{:.1f}".format(x)
n, w = st.median(ns), st.median(ws)
per = [x / y if y else 0 for x, y in zip(ws, ns)]
print("\t".join([
    "%s (p99 %.1f ms)" % (fmt(n), st.median(nps)),
    "%s (p99 %.1f ms)" % (fmt(w), st.median(wps)),
    "**%.3f**" % (w / n) if n else "n/a",
    "%.3f–%.3f" % (min(per), max(per)),
    "%.3f" % (w / v) if v else "n/a",
    "nginx %s; wharf %s; wharf / nginx %s" % (", ".join(map(fmt, ns)), ", ".join(map(fmt, ws)), ", ".join("%.3f" % x for x in per)),
]))
EOF
  )
  local nc wc rc sc vc rounds
  IFS=$'\t' read -r nc wc rc sc vc rounds <<<"$cells"
  row "$frag.md" "$label" "$nc" "$wc" "$vr (p99 $vp ms)" "$rc" "$sc" "$vc"
  echo "- $label — $rounds" >>"$FRAG/rounds.md"
  [[ $((we + ne + ve)) -eq 0 ]] || row "$frag.md" "$label: errors or non-2xx over every round (nginx/wharf/Verdaccio)" "$ne" "$we" "$ve" "" "" ""
  return 0
}

# ---------------------------------------------------------------- servers
WHARF_KEY=AKIAWHARFBENCHADMIN01
WHARF_SECRET=wharf-bench-admin-secret-0123456789abcdef
export AWS_ACCESS_KEY_ID=$WHARF_KEY AWS_SECRET_ACCESS_KEY=$WHARF_SECRET AWS_DEFAULT_REGION=us-east-1

NGINX_PORT=$(free_port)
NGINX=http://127.0.0.1:$NGINX_PORT
WWW=$WORK/www
start_nginx() {
  mkdir -p "$WWW" "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/log/nginx-error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  types { application/json json; }
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WWW;
    # Precompressed .gz beside a file is served to clients that accept gzip
    # (the best nginx can do with the same bytes).
    gzip_static on;
    location /pypi/simple/ { index index.html; }
  }
}
EOF
  nginx -c "$WORK/nginx/nginx.conf" -g 'daemon off;' >"$WORK/log/nginx.log" 2>&1 &
  PIDS+=($!)
  NGINX_PID=$!
  wait_http "$NGINX/" 20
  log "nginx on $NGINX"
}

WHARF_PORT=$(free_port)
WHARF=http://127.0.0.1:$WHARF_PORT
start_wharf() {
  WHARF_ROOT_ACCESS_KEY_ID=$WHARF_KEY WHARF_ROOT_SECRET_ACCESS_KEY=$WHARF_SECRET "$WORK/bin/wharf" serve --listen "127.0.0.1:$WHARF_PORT" --data-dir "$WORK/wharf-data" --log-level warn \
    --metadata-ttl 1h ${WHARF_BENCH_DEBUG_ADDR:+--debug-addr "$WHARF_BENCH_DEBUG_ADDR"} \
    --upstream public:npmjs="$NPM_REGISTRY" \
    --upstream public:pypi="$NGINX/pypi/" \
    --upstream public:maven-central="$NGINX/maven2/" \
    >"$WORK/log/wharf.log" 2>&1 &
  PIDS+=($!)
  WHARF_PID=$!
  wait_http "$WHARF/healthz" 60
  eval "$("$WORK/bin/wharfbench" setup -endpoint "$WHARF" -upstreams npm,pypi,maven)"
  [[ -n ${TOKEN:-} && -n ${NPM_URL:-} ]] || die "wharfbench setup"
  log "wharf on $WHARF (pid $WHARF_PID)"
}

VERDACCIO_PORT=$(free_port)
VERD=http://127.0.0.1:$VERDACCIO_PORT
start_verdaccio() {
  [[ -n ${VERD_PID:-} ]] && return 0
  mkdir -p "$WORK/verdaccio/storage"
  cat >"$WORK/verdaccio/config.yaml" <<EOF
storage: $WORK/verdaccio/storage
auth:
  htpasswd:
    file: $WORK/verdaccio/htpasswd
    max_users: -1
uplinks:
  upstream:
    url: $NPM_REGISTRY
    timeout: 60s
    # Like wharf's --metadata-ttl 1h here: no revalidation in the middle of a measurement.
    maxage: 60m
packages:
  '@*/*':
    access: \$all
    proxy: upstream
  '**':
    access: \$all
    proxy: upstream
web:
  enable: false
server:
  keepAliveTimeout: 60
listen: 127.0.0.1:$VERDACCIO_PORT
log: { type: stdout, format: pretty, level: warn }
EOF
  node "$VERDACCIO" --config "$WORK/verdaccio/config.yaml" >"$WORK/log/verdaccio.log" 2>&1 &
  PIDS+=($!)
  VERD_PID=$!
  wait_http "$VERD/-/ping" 60
  log "Verdaccio on $VERD (pid $VERD_PID)"
}

# ---------------------------------------------------------------- cases
TARBALL_PKG=semver
TARBALL_FILE=semver-7.5.4.tgz
PACKUMENT_PKG=caniuse-lite  # 971 versions at the time of writing, ~1 MB: in every webpack toolchain
ABBREV='Accept: application/vnd.npm.install-v1+json'

case_tarball() {
  log "case tarball: $TARBALL_PKG/-/$TARBALL_FILE"
  start_verdaccio
  local path="$TARBALL_PKG/-/$TARBALL_FILE" auth="Authorization: Bearer $TOKEN"
  # Warm: wharf fetches the packument (the tarball's integrity) and the tarball once.
  curl -sf -H "$auth" -o /dev/null "$NPM_URL$TARBALL_PKG" || die "wharf packument $TARBALL_PKG"
  mkdir -p "$WWW/npm/$TARBALL_PKG/-"
  curl -sf -H "$auth" -o "$WWW/npm/$path" "$NPM_URL$path" || die "wharf tarball"
  curl -sf -o "$WORK/verd.tgz" "$VERD/$path" || die "Verdaccio tarball"
  cmp -s "$WWW/npm/$path" "$WORK/verd.tgz" || die "wharf and Verdaccio serve different bytes for $path"
  local size
  size=$(stat -c %s "$WWW/npm/$path")
  compare tarball "cached tarball \`$TARBALL_FILE\`, $((size / 1024)) KiB" tarball "$NGINX/npm/$path" "$NPM_URL$path" "$VERD/$path"
}

case_packument() {
  log "case packument: $PACKUMENT_PKG"
  start_verdaccio
  local auth="Authorization: Bearer $TOKEN" d="$WWW/npm-full" a="$WWW/npm-abbrev"
  mkdir -p "$d" "$a"
  curl -sf -H "$auth" -o "$d/$PACKUMENT_PKG.json" "$NPM_URL$PACKUMENT_PKG" || die "wharf packument"
  curl -sf -H "$auth" -H "$ABBREV" -o "$a/$PACKUMENT_PKG.json" "$NPM_URL$PACKUMENT_PKG" || die "wharf abbreviated packument"
  curl -sf -o /dev/null "$VERD/$PACKUMENT_PKG" || die "Verdaccio packument"
  local nver
  nver=$(node -e 'const p=require(process.argv[1]); console.log(Object.keys(p.versions).length)' "$d/$PACKUMENT_PKG.json")
  # The gzip variant nginx serves (gzip_static) is wharf's own gzip answer, byte
  # for byte (no decoding on the way), so both systems send the same bytes.
  curl -sf -H "$auth" -H "Accept: application/json" -H 'Accept-Encoding: gzip' -o "$d/$PACKUMENT_PKG.json.gz" "$NPM_URL$PACKUMENT_PKG" ||
    die "wharf packument, gzip"
  curl -sf -H "$auth" -H "$ABBREV" -H 'Accept-Encoding: gzip' -o "$a/$PACKUMENT_PKG.json.gz" "$NPM_URL$PACKUMENT_PKG" ||
    die "wharf abbreviated packument, gzip"
  local f
  for f in "$d/$PACKUMENT_PKG.json" "$a/$PACKUMENT_PKG.json"; do
    gzip -t "$f.gz" 2>/dev/null || die "wharf did not answer $f gzip-encoded to Accept-Encoding: gzip"
    cmp -s <(gzip -dc "$f.gz") "$f" || die "wharf's gzip answer for $f is not its identity answer compressed"
  done
  # What each system answers (size, encoding, whether a revalidation gets 304).
  local kind hdr sys url extra
  for kind in full abbrev; do
    [[ $kind == full ]] && hdr="Accept: application/json" || hdr=$ABBREV
    for sys in wharf verdaccio; do
      if [[ $sys == wharf ]]; then url=$NPM_URL$PACKUMENT_PKG extra="$auth"; else url=$VERD/$PACKUMENT_PKG extra="X-None: 1"; fi
      local plain gz etag code
      plain=$(curl -s -H "$extra" -H "$hdr" -o /dev/null -w '%{size_download}' "$url")
      gz=$(curl -s -H "$extra" -H "$hdr" -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$url")
      etag=$(curl -s -H "$extra" -H "$hdr" -D - -o /dev/null "$url" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
      code=none
      [[ -n $etag ]] && code=$(curl -s -H "$extra" -H "$hdr" -H "If-None-Match: $etag" -o /dev/null -w '%{http_code}' "$url")
      row packument-info.md "$sys" "$kind" "$plain" "$gz" "$([[ -n $etag ]] && echo yes || echo no)" "$code"
    done
  done
  local gzh='Accept-Encoding: gzip'
  for kind in full abbrev full-gzip abbrev-gzip; do
    local hs=() nurl label
    case $kind in
      full) hs=("Accept: application/json"); nurl=$NGINX/npm-full/$PACKUMENT_PKG.json; label="full packument" ;;
      abbrev) hs=("$ABBREV"); nurl=$NGINX/npm-abbrev/$PACKUMENT_PKG.json; label="abbreviated packument" ;;
      full-gzip) hs=("Accept: application/json" "$gzh"); nurl=$NGINX/npm-full/$PACKUMENT_PKG.json; label="full packument, gzip" ;;
      abbrev-gzip) hs=("$ABBREV" "$gzh"); nurl=$NGINX/npm-abbrev/$PACKUMENT_PKG.json; label="abbreviated packument, gzip" ;;
    esac
    compare "packument-$kind" "$label ($nver versions)" packument "$nurl" "$NPM_URL$PACKUMENT_PKG" "$VERD/$PACKUMENT_PKG" "${hs[@]}"
  done
}

# npm_ci NAME USERCONFIG CACHE [extra args] -> seconds
npm_ci() {
  local name=$1 rc=$2 cache=$3
  shift 3
  local t0 t1 dir=$WORK/npmci-$name
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$WORK/npmci/package.json" "$WORK/npmci/package-lock.json" "$dir/"
  t0=$(date +%s.%N)
  (cd "$dir" && npm ci --userconfig "$rc" --cache "$cache" --ignore-scripts --no-audit --no-fund --loglevel=error "$@") \
    >"$WORK/log/npmci-$name.log" 2>&1 || die "npm ci $name (see $WORK/log/npmci-$name.log)"
  t1=$(date +%s.%N)
  rm -rf "$dir"
  python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1"
}

case_npmci() {
  log "case npmci: resolving bench/npm/package.json through wharf"
  start_verdaccio
  mkdir -p "$WORK/npmci"
  cp "$ROOT/bench/npm/package.json" "$WORK/npmci/"
  local wrc=$WORK/npmrc-wharf vrc=$WORK/npmrc-verdaccio
  printf 'registry=%s\n//%s:_authToken=%s\n' "$NPM_URL" "${NPM_URL#http://}" "$TOKEN" >"$wrc"
  printf 'registry=%s/\n' "$VERD" >"$vrc"
  (cd "$WORK/npmci" && npm install --package-lock-only --userconfig "$wrc" --cache "$WORK/npmcache-lock" --ignore-scripts \
    --no-audit --no-fund --loglevel=error) >"$WORK/log/npm-lock.log" 2>&1 || die "npm install --package-lock-only (see $WORK/log/npm-lock.log)"
  # The lockfile names no registry: npm ci takes each package from the configured one.
  node -e '
    const fs = require("fs"); const f = process.argv[1]; const l = JSON.parse(fs.readFileSync(f));
    for (const p of Object.values(l.packages)) delete p.resolved;
    fs.writeFileSync(f, JSON.stringify(l, null, 2));' "$WORK/npmci/package-lock.json"
  local npkg
  npkg=$(node -e 'console.log(Object.keys(require(process.argv[1]).packages).filter(k => k).length)' "$WORK/npmci/package-lock.json")
  log "lockfile: $npkg packages; warming wharf (tarballs from the upstream, cold npm cache)"
  local ww wv off
  # The two warm-ups wait on the upstream, not on this machine's cores: they run
  # at the same time (unmeasured but for their own duration).
  npm_ci wharf-warm "$wrc" "$WORK/npmcache-ww" >"$WORK/npm-ww.txt" &
  local p1=$!
  npm_ci verdaccio-warm "$vrc" "$WORK/npmcache-vw" >"$WORK/npm-vw.txt" &
  local p2=$!
  wait $p1 || die "wharf warm-up"
  wait $p2 || die "Verdaccio warm-up"
  ww=$(cat "$WORK/npm-ww.txt") wv=$(cat "$WORK/npm-vw.txt")
  log "warm-ups (concurrent): wharf ${ww}s, Verdaccio ${wv}s; measuring (cold npm cache each)"
  local i ws=() vs=()
  for ((i = 1; i <= REPS; i++)); do
    quiesce "npmci-wharf-$i"
    ws+=("$(npm_ci "wharf-$i" "$wrc" "$WORK/npmcache-w$i")")
    quiesce "npmci-verdaccio-$i"
    vs+=("$(npm_ci "verdaccio-$i" "$vrc" "$WORK/npmcache-v$i")")
  done
  quiesce npmci-offline
  off=$(npm_ci offline "$wrc" "$WORK/npmcache-w$REPS" --offline)
  local w v
  w=$(best "${ws[@]}") v=$(best "${vs[@]}")
  row npmci.md "\`npm ci\`, $npkg packages, cold npm cache" "${w} s$(runs "${ws[@]}")" "${v} s$(runs "${vs[@]}")" "${off} s" \
    "**$(ratio "$w" "$v")** (goal ≤ 0.35)" "**$(ratio "$w" "$off")** (goal ≤ 2.5)"
  row npmci.md "warm-up (first \`npm ci\`, fetching from the upstream; the two at the same time)" "${ww} s" "${wv} s" "" "" ""
}

pip_install() { # NAME INDEX-URL -> seconds
  local name=$1 index=$2 t0 t1
  rm -rf "$WORK/pip-target"
  t0=$(date +%s.%N)
  "$WORK/venv/bin/pip" install --disable-pip-version-check --no-cache-dir --target "$WORK/pip-target" --index-url "$index" \
    -r "$WWW/pypi/requirements.txt" >"$WORK/log/pip-$name.log" 2>&1 || die "pip install $name (see $WORK/log/pip-$name.log)"
  t1=$(date +%s.%N)
  [[ $(ls -d "$WORK/pip-target"/benchdist_* 2>/dev/null | grep -vc dist-info) -eq $PIP_N ]] || die "pip install $name: not every distribution installed"
  python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1"
}

PIP_N=60
LIST_VERSIONS=${WHARF_BENCH_LIST_VERSIONS:-1000000}
case_pip() {
  log "case pip: $PIP_N synthetic wheels"
  python3 "$ROOT/bench/pypi/mkwheels.py" "$WWW/pypi" "$PIP_N"
  [[ -x $WORK/venv/bin/pip ]] || python3 -m venv "$WORK/venv" >"$WORK/log/venv.log" 2>&1 || die "python3 -m venv"
  local wurl="${PYPI_URL/http:\/\//http://aws:$TOKEN@}simple/"
  local warm i ws=() ns=() w n
  warm=$(pip_install wharf-warm "$wurl")
  for ((i = 1; i <= REPS; i++)); do
    quiesce "pip-wharf-$i"
    ws+=("$(pip_install "wharf-$i" "$wurl")")
    quiesce "pip-nginx-$i"
    ns+=("$(pip_install "nginx-$i" "$NGINX/pypi/simple/")")
  done
  w=$(best "${ws[@]}") n=$(best "${ns[@]}")
  row pip.md "\`pip install -r\` $PIP_N distributions ($(du -sk "$WWW/pypi/files" | cut -f1) KiB of wheels), no pip cache" \
    "${n} s$(runs "${ns[@]}")" "${w} s$(runs "${ws[@]}")" "**$(ratio "$w" "$n")**" "${warm} s"
}

mvn_resolve() { # NAME MIRROR-URL AUTH(0|1) -> sets SECS and JARS
  local name=$1 mirror=$2 auth=$3 t0 t1 repo=$WORK/m2-$1
  rm -rf "$repo"
  local server=""
  [[ $auth == 1 ]] && server="<servers><server><id>bench</id><username>aws</username><password>$TOKEN</password></server></servers>"
  cat >"$WORK/maven/settings-$name.xml" <<EOF
<settings>
  <localRepository>$repo</localRepository>
  $server
  <mirrors><mirror><id>bench</id><mirrorOf>*</mirrorOf><url>$mirror</url></mirror></mirrors>
</settings>
EOF
  t0=$(date +%s.%N)
  (cd "$WORK/maven" && mvn -B -q -s "settings-$name.xml" org.apache.maven.plugins:maven-dependency-plugin:3.5.0:resolve) \
    >"$WORK/log/mvn-$name.log" 2>&1 || die "mvn $name (see $WORK/log/mvn-$name.log)"
  t1=$(date +%s.%N)
  JARS=$(find "$repo" -name '*.jar' | wc -l)
  SECS=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1")
}

case_maven() {
  log "case maven: Debian's maven-repo behind nginx"
  mkdir -p "$WWW/maven2" "$WORK/maven"
  cp -rL /usr/share/maven-repo/. "$WWW/maven2/" 2>/dev/null || true
  # Debian's copy has no checksum files; Maven Central publishes a .sha1 beside
  # every file, and wharf keeps nothing from an upstream it cannot verify
  # (docs/compatibility.md U3), so the fixture gets them as Central has them.
  find "$WWW/maven2" -type f ! -name '*.sha1' ! -name '*.md5' -print0 |
    while IFS= read -r -d '' f; do sha1sum "$f" | cut -d' ' -f1 >"$f.sha1"; done
  # The project: every artifact of the copy with a real version and a jar,
  # without its transitive dependencies (Debian's poms name many that are not
  # packaged); mvn's own plugins come through the mirror as well.
  python3 - "$WWW/maven2" >"$WORK/maven/pom.xml" <<'EOF'
import os, sys
root = sys.argv[1]
deps = []
for d, _, files in sorted(os.walk(root)):
    rel = os.path.relpath(d, root).split(os.sep)
    if len(rel) < 3 or rel[-1] == "debian":
        continue
    g, a, v = ".".join(rel[:-2]), rel[-2], rel[-1]
    if "SNAPSHOT" in v or "%s-%s.jar" % (a, v) not in files or "%s-%s.pom" % (a, v) not in files:
        continue
    deps.append((g, a, v))
print('<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>')
print('<groupId>dev.wharf.bench</groupId><artifactId>resolve</artifactId><version>1</version><packaging>pom</packaging><dependencies>')
for g, a, v in deps:
    print('<dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version>'
          '<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions></dependency>' % (g, a, v))
print('</dependencies></project>')
EOF
  local ndeps
  ndeps=$(grep -o '<dependency>' "$WORK/maven/pom.xml" | wc -l)
  local warm i ws=() ns=() w n wa na
  mvn_resolve wharf-warm "$MAVEN_URL" 1; warm=$SECS
  for ((i = 1; i <= REPS; i++)); do
    quiesce "maven-nginx-$i"
    mvn_resolve "nginx-$i" "$NGINX/maven2/" 0; ns+=("$SECS") na=$JARS
    quiesce "maven-wharf-$i"
    mvn_resolve "wharf-$i" "$MAVEN_URL" 1; ws+=("$SECS") wa=$JARS
  done
  [[ $na == "$wa" ]] || die "mvn fetched $na jars through nginx but $wa through wharf"
  w=$(best "${ws[@]}") n=$(best "${ns[@]}")
  row maven.md "\`mvn dependency:resolve\`, $ndeps declared dependencies, $wa jars fetched (with the plugin's own), empty local repository" \
    "${n} s$(runs "${ns[@]}")" "${w} s$(runs "${ws[@]}")" "**$(ratio "$w" "$n")**" "${warm} s"
}

case_api() {
  log "case api: signed DescribeRepository and GetAuthorizationToken, 64 goroutines"
  local op goal label
  for op in describe token; do
    [[ $op == describe ]] && { goal=5000; label=DescribeRepository; } || { goal=2000; label=GetAuthorizationToken; }
    quiesce "api-$op"
    "$WORK/bin/wharfbench" load -endpoint "$WHARF" -op $op -c 64 -d "$DUR" >"$WORK/log/api-$op.txt" 2>"$WORK/log/api-$op.err" ||
      die "wharfbench load $op (see $WORK/log/api-$op.err)"
    local rps p50 p99 errs
    rps=$(awk -F= '$1=="req_per_s"{print $2}' "$WORK/log/api-$op.txt")
    p50=$(awk -F= '$1=="lat_p50_ms"{print $2}' "$WORK/log/api-$op.txt")
    p99=$(awk -F= '$1=="lat_p99_ms"{print $2}' "$WORK/log/api-$op.txt")
    errs=$(awk -F= '$1=="errors"{print $2}' "$WORK/log/api-$op.txt")
    row api.md "$label" "$(fmt_int "$rps")" "$p50" "$p99" "$errs" "≥ $(fmt_int $goal)/s: $(python3 -c "import sys; print('**met**' if float(sys.argv[1]) >= float(sys.argv[2]) else '**not met**')" "$rps" "$goal")"
  done
}

case_list() {
  local b
  for b in sqlite postgres; do
    log "case list: $LIST_VERSIONS versions on $b (bulk load, then pages)"
    quiesce "list-$b"
    "$WORK/bin/wharfbench" list -backend $b -versions "$LIST_VERSIONS" -budget 20s -dir "$WORK/list-$b" >"$WORK/log/list-$b.txt" 2>"$WORK/log/list-$b.err" ||
      die "wharfbench list $b (see $WORK/log/list-$b.err)"
    rm -rf "$WORK/list-$b"
    local f=$WORK/log/list-$b.txt k
    get() { awk -F= -v k="$1" '$1==k{print $2}' "$f"; }
    for k in versions_big versions_big_newest versions_small packages; do
      local label
      case $k in
        versions_big) label="ListPackageVersions, the 100,000-version package, walking nextToken" ;;
        versions_big_newest) label="ListPackageVersions sortBy PUBLISHED_TIME, the 100,000-version package, walking nextToken" ;;
        versions_small) label="ListPackageVersions, one page of a random 100-version package" ;;
        packages) label="ListPackages, walking nextToken over $(get packages) packages" ;;
      esac
      row list.md "$b" "$label" "$(get ${k}_n)" "$(get ${k}_p50_ms)" "$(get ${k}_p99_ms)" \
        "$(python3 -c "import sys; print('met' if float(sys.argv[1]) < 20 else '**not met**')" "$(get ${k}_p99_ms)")"
    done
    row list-load.md "$b" "$(get versions)" "$(get packages)" "$(get load_s) s"
  done
}

rss_kib() { awk -v k="$2:" '$1==k{print $2}' "/proc/$1/status"; }
case_rss() {
  log "case rss: 64 clients on the mix, then a 1 GiB generic asset"
  local auth="Authorization: Bearer $TOKEN"
  # Make sure what the mix asks for is cached.
  curl -sf -H "$auth" -o /dev/null "$NPM_URL$TARBALL_PKG" && curl -sf -H "$auth" -o /dev/null "$NPM_URL$TARBALL_PKG/-/$TARBALL_FILE" ||
    die "warming the mix"
  curl -sf -H "$auth" -o /dev/null "$NPM_URL$PACKUMENT_PKG" || die "warming the mix"
  local u=${NPM_URL#http://127.0.0.1:$WHARF_PORT}
  cat >"$WORK/mix.lua" <<EOF
-- Three tarball GETs for each abbreviated and full packument GET, every one authorized.
local reqs = {
  {"$u$TARBALL_PKG/-/$TARBALL_FILE", "*/*"},
  {"$u$TARBALL_PKG/-/$TARBALL_FILE", "*/*"},
  {"$u$TARBALL_PKG/-/$TARBALL_FILE", "*/*"},
  {"$u$PACKUMENT_PKG", "application/vnd.npm.install-v1+json"},
  {"$u$PACKUMENT_PKG", "application/json"},
}
local i = 0
request = function()
  i = i + 1
  local r = reqs[(i % #reqs) + 1]
  return wrk.format("GET", r[1], {["Authorization"] = "Bearer $TOKEN", ["Accept"] = r[2], ["Accept-Encoding"] = "gzip"})
end
EOF
  local idle
  idle=$(rss_kib "$WHARF_PID" VmRSS)
  quiesce rss-mix
  echo 5 >"/proc/$WHARF_PID/clear_refs" # resets VmHWM to the current RSS
  wrk -t2 -c48 -d"$DUR" --timeout 30s -s "$WORK/mix.lua" "$WHARF" >"$WORK/log/wrk-mix.txt" 2>&1 &
  local wrk_pid=$!
  "$WORK/bin/wharfbench" load -endpoint "$WHARF" -op describe -c 16 -d "$DUR" -warmup 0s >"$WORK/log/api-mix.txt" 2>&1 &
  local load_pid=$!
  local max=0 r
  while kill -0 $wrk_pid 2>/dev/null; do
    r=$(rss_kib "$WHARF_PID" VmRSS)
    ((r > max)) && max=$r
    sleep 0.2
  done
  wait $wrk_pid || die "wrk mix"
  wait $load_pid || die "wharfbench load (mix)"
  local hwm mix_rps api_rps
  hwm=$(rss_kib "$WHARF_PID" VmHWM)
  mix_rps=$(awk '/Requests\/sec/{print $2}' "$WORK/log/wrk-mix.txt")
  api_rps=$(awk -F= '$1=="req_per_s"{print $2}' "$WORK/log/api-mix.txt")
  row rss.md "64 clients: 48 wrk connections on tarball/packument GETs ($(fmt_int "$mix_rps") req/s) + 16 SDK goroutines on DescribeRepository ($(fmt_int "$api_rps") req/s)" \
    "$((idle / 1024)) MiB" "$((hwm / 1024)) MiB" "$(python3 -c "import sys; print('met' if int(sys.argv[1]) < 100*1024 else '**not met**')" "$hwm")"
  # The 1 GiB asset, on a wharf process of its own: its peak is this case's alone.
  local gport gdir=$WORK/wharf-generic gpid
  gport=$(free_port)
  WHARF_ROOT_ACCESS_KEY_ID=$WHARF_KEY WHARF_ROOT_SECRET_ACCESS_KEY=$WHARF_SECRET "$WORK/bin/wharf" serve --listen "127.0.0.1:$gport" \
    --data-dir "$gdir" --log-level warn >"$WORK/log/wharf-generic.log" 2>&1 &
  gpid=$!
  wait_http "http://127.0.0.1:$gport/healthz" 60
  "$WORK/bin/wharfbench" setup -endpoint "http://127.0.0.1:$gport" >/dev/null || die "wharfbench setup (generic)"
  local before
  before=$(rss_kib "$gpid" VmRSS)
  "$WORK/bin/wharfbench" generic -endpoint "http://127.0.0.1:$gport" -size $((1 << 30)) >"$WORK/log/generic.txt" 2>&1 ||
    { kill $gpid; die "wharfbench generic (see $WORK/log/generic.txt)"; }
  hwm=$(rss_kib "$gpid" VmHWM)
  kill $gpid
  wait $gpid || true
  rm -rf "$gdir"
  g() { awk -F= -v k="$1" '$1==k{print $2}' "$WORK/log/generic.txt"; }
  row rss.md "1 GiB generic asset: PublishPackageVersion ($(g publish_s) s, $(g publish_MBps) MB/s) then GetPackageVersionAsset ($(g download_s) s, $(g download_MBps) MB/s)" \
    "$((before / 1024)) MiB (a fresh wharf process, after setup)" "$((hwm / 1024)) MiB (whole process lifetime)" "$(python3 -c "import sys; print('met' if int(sys.argv[1]) < 100*1024 else '**not met**')" "$hwm")"
}

# ---------------------------------------------------------------- report
write_results() {
  local commit dirty cpu mem
  commit=$(cd "$ROOT" && git rev-parse --short HEAD)
  dirty=$(cd "$ROOT" && git status --porcelain --untracked-files=no | grep -q . && echo " (with uncommitted changes)" || true)
  cpu=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo | sed 's/ *$//')
  mem=$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
  {
    echo "# wharf against nginx and Verdaccio (bench/run.sh)"
    echo
    echo "Written by \`bench/run.sh ${CASES[*]}\` on $(date -u '+%Y-%m-%d %H:%M UTC'), in $(($(date +%s) - START_TS)) s. Every figure below is from this one run."
    echo
    echo "- commit: \`$commit\`$dirty, branch \`$(cd "$ROOT" && git rev-parse --abbrev-ref HEAD)\`"
    echo "- machine: \`nproc\` = $(nproc), $cpu, $mem RAM, Linux $(uname -r); load average (1/5/15 min) at the start: $LOAD_START, at the end: $(cut -d' ' -f1-3 /proc/loadavg) — the machine is shared: read the ratios, not the absolute figures"
    echo "- $(go version | cut -d' ' -f3-), node $(node --version), npm $(npm --version), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), Verdaccio 5.33.0, wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'), $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g'), pip $("$WORK/venv/bin/pip" --version 2>/dev/null | awk '{print $2}')"
    echo "- wharf: the binary built from the commit, SQLite and blobs under a fresh data directory (envelope encryption at rest, the local key), \`--metadata-ttl 1h\`; every package request authorized with a \`GetAuthorizationToken\` token; wrk: \`wrk -t2 -c64 -d$DUR\`, client and servers on the same $(nproc) cores"
    echo "- nginx: Debian's, \`worker_processes auto\`, serving from disk a copy of the very bytes wharf answered (\`gzip_static\` for the gzip rows: wharf's own gzip answer saved byte for byte, not recompressed); no auth"
    if [[ -s $WORK/log/quiet.txt ]]; then
      echo "- every measurement starts from a quiet machine: before each one the script waits until the machine's CPU (/proc/stat) is busy less than ${QUIET_PCT} % of one core over 0.5 s (at most ${QUIET_MAX} s, then at least until the processes it started are that quiet), so that work left over from the previous measurement (Verdaccio still answering a saturated run's requests) does not land in the next; $(python3 - "$WORK/log/quiet.txt" <<'EOF'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
waits = [float(r[1]) for r in rows]
late = [r for r in rows if r[4] != "yes"]
s = "%d measurements, waits median %.1f s, longest %.1f s (before %s)" % (len(rows), st.median(waits), max(waits), max(rows, key=lambda r: float(r[1]))[0])
if late:
    s += "; **%d started on a machine that was not quiet within the cap** (busy %s %% of one core: %s)" % (
        len(late), "–".join("%.0f" % f for f in (min(float(r[2]) for r in late), max(float(r[2]) for r in late))), ", ".join(r[0] for r in late[:8]) + (", …" if len(late) > 8 else ""))
else:
    s += "; every one reached quiet"
print(s)
EOF
)"
    fi
    echo "- Verdaccio 5.33.0 (npm registry package) on node $(node --version), anonymous access, its uplink \`maxage\` 60m"
    echo "- npm upstream of wharf and Verdaccio: the public registry given by \`npm config get registry\` at run time (not a fixture). PyPI and Maven Central are not reachable here: the pip case uses synthetic wheels (bench/pypi/mkwheels.py) behind nginx, the maven case a copy of Debian's /usr/share/maven-repo behind nginx; wharf proxies each through \`public:pypi\` / \`public:maven-central\` pointed at that nginx"
    echo
    if [[ -s $FRAG/tarball.md || -s $FRAG/packument.md ]]; then
      echo "## Cached npm GETs (req/s, wrk -t2 -c64)"
      echo
      echo "nginx and wharf are measured in $ROUNDS interleaved round$([[ $ROUNDS == 1 ]] || echo s) of $DUR per row (nginx, wharf, nginx, wharf, …, each from a quiet machine): their columns are the median rate (and median p99) of the rounds, the bold ratio is the ratio of the two medians, and the per-round column gives the lowest and highest wharf / nginx of a single round, so the spread is visible. Verdaccio is measured once per row, after them. A server with fewer than 64 answers in $DUR is measured again for 30 s; \"(N answers)\" marks a rate from fewer than 128."
      echo
      echo "| request | nginx, same bytes (median) | wharf (median) | Verdaccio | wharf / nginx, ratio of medians (goal ≥ 0.5) | wharf / nginx per round, min–max | wharf / Verdaccio |"
      echo "|---|---|---|---|---|---|---|"
      cat "$FRAG/tarball.md" "$FRAG/packument.md" 2>/dev/null || true
      echo
      if [[ -s $FRAG/rounds.md ]]; then
        echo "Each round's rates (req/s, in the order measured):"
        echo
        cat "$FRAG/rounds.md"
        echo
      fi
      if [[ -s $FRAG/packument-info.md ]]; then
        echo "What each answers for \`$PACKUMENT_PKG\` (bytes on the wire; nginx serves exactly wharf's bytes):"
        echo
        echo "| system | packument | bytes | bytes with \`Accept-Encoding: gzip\` | ETag | \`If-None-Match\` → |"
        echo "|---|---|---|---|---|---|"
        cat "$FRAG/packument-info.md"
        echo
      fi
    fi
    if [[ -s $FRAG/npmci.md ]]; then
      echo "## npm ci (seconds, best of $REPS; each run with an empty npm cache and no node_modules)"
      echo
      echo "The lockfile is resolved at run time from bench/npm/package.json (a webpack/babel/jest/eslint/typescript toolchain) through wharf, its \`resolved\` URLs stripped so each \`npm ci\` takes every package from the registry it is configured with. \`--ignore-scripts --no-audit --no-fund\`."
      echo
      echo "| install | through warm wharf | through warm Verdaccio | npm offline floor (\`npm ci --offline\`, warm npm cache) | wharf / Verdaccio | wharf / offline floor |"
      echo "|---|---|---|---|---|---|"
      cat "$FRAG/npmci.md"
      echo
    fi
    if [[ -s $FRAG/pip.md ]]; then
      echo "## pip install (seconds, best of $REPS)"
      echo
      echo "| install | nginx, simple index over the same files | wharf (warm, proxying that index) | wharf / nginx | wharf warm-up |"
      echo "|---|---|---|---|---|"
      cat "$FRAG/pip.md"
      echo
    fi
    if [[ -s $FRAG/maven.md ]]; then
      echo "## Maven (seconds, best of $REPS)"
      echo
      echo "| build | nginx over the same files | wharf (warm, proxying them) | wharf / nginx | wharf warm-up |"
      echo "|---|---|---|---|---|"
      cat "$FRAG/maven.md"
      echo
      echo "No Verdaccio-like peer for Maven or PyPI runs here, so those rows compare with nginx alone."
      echo
    fi
    if [[ -s $FRAG/api.md ]]; then
      echo "## Control plane: signed requests from a separate process (bench/cmd/wharfbench load, aws-sdk-go-v2, 64 goroutines, $DUR)"
      echo
      echo "| operation | req/s | p50 ms | p99 ms | errors | goal |"
      echo "|---|---|---|---|---|---|"
      cat "$FRAG/api.md"
      echo
    fi
    if [[ -s $FRAG/list.md ]]; then
      echo "## List pages with 1,000,000 versions in one domain (bench/cmd/wharfbench list, pages of 100, one client)"
      echo
      echo "The rows go straight into wharf's tables (the store's own column encodings from internal/store/sqlcommon): SQLite through a second connection, 40 rows per INSERT, 50,000 per transaction; PostgreSQL (a throwaway server as internal/store/postgres/pgtest starts it) by \`COPY\`, then \`ANALYZE\`. The domain and repository are created through the API; wharf runs in the load generator's process, the SDK talks to it over loopback HTTP. A kind of page stops after 20 s, so slow pages give fewer samples."
      echo
      echo "| backend | versions | packages | bulk load |"
      echo "|---|---|---|---|"
      cat "$FRAG/list-load.md"
      echo
      echo "| backend | page | samples | p50 ms | p99 ms | goal p99 < 20 ms |"
      echo "|---|---|---|---|---|---|"
      cat "$FRAG/list.md"
      echo
    fi
    if [[ -s $FRAG/rss.md ]]; then
      echo "## Memory (wharf's RSS from /proc/PID/status)"
      echo
      echo "The mix runs on the wharf of the other cases (VmHWM reset through /proc/PID/clear_refs first); the 1 GiB asset on a wharf process started for it alone."
      echo
      echo "| load | RSS before | peak RSS (VmHWM) | goal < 100 MiB |"
      echo "|---|---|---|---|"
      cat "$FRAG/rss.md"
      echo
    fi
    if [[ ${#FAILED[@]} -gt 0 ]]; then
      echo "**Cases that failed in this run (their rows are missing or partial): ${FAILED[*]}.**"
      echo
    fi
    echo "Raw tool output of the run (wrk, wharfbench, npm, pip, mvn logs) stays in the work directory with \`WHARF_BENCH_KEEP=1\`."
    echo
    echo "Which goals a ratio of rates cannot settle on this machine, and why, from what each request costs (instructions and CPU time per request of wharf, nginx, the Go floor and the SDK load generator, \`bench/cost.sh\`): [ANALYSIS.md](ANALYSIS.md)."
  } >"$WORK/section.md"
  # The section replaces the previous run's between its markers; the rest of the
  # file (the Go benchmarks' results) is kept as it is.
  python3 - "$WORK/section.md" "$OUT" <<'EOF'
import os, sys
begin, end = "<!-- bench/run.sh: begin (generated; rerun bench/run.sh to replace) -->", "<!-- bench/run.sh: end -->"
sec = open(sys.argv[1]).read()
out = sys.argv[2]
old = open(out).read() if os.path.exists(out) else ""
if not old:
    open(out, "w").write(sec)
    sys.exit(0)
sec = "".join("#" + l if l.startswith("#") else l for l in sec.splitlines(True))
block = begin + "\n\n" + sec + "\n## Go benchmarks (`go test ./bench`, recorded separately)\n\n" + end + "\n"
if begin in old and end in old:
    new = old[:old.index(begin)] + block + old[old.index(end) + len(end) + 1:]
else:
    title, _, rest = old.partition("\n")
    new = title + "\n\n" + block + rest
open(out, "w").write(new)
EOF
  log "results written to $OUT"
  [[ $OUT == "$WORK"/* ]] && cat "$OUT" && export WHARF_BENCH_KEEP=1
  return 0
}

# ---------------------------------------------------------------- main
ensure_tools
NPM_REGISTRY=${NPM_REGISTRY:-$(npm config get registry)}
[[ $NPM_REGISTRY == */ ]] || NPM_REGISTRY=$NPM_REGISTRY/
ensure_verdaccio
build
start_nginx
# The fixtures wharf proxies must be in place before anything asks for them.
mkdir -p "$WWW/pypi"
start_wharf
[[ " ${CASES[*]} " == *" tarball "* || " ${CASES[*]} " == *" packument "* || " ${CASES[*]} " == *" npmci "* ]] && start_verdaccio
# Each case runs in a subshell with errexit on: one that fails is recorded as
# failed and the others still run (the servers live in this shell).
for c in "${CASES[@]}"; do
  set +e
  (
    set -e
    "case_$c"
  )
  rc=$?
  set -e
  if [[ $rc -ne 0 ]]; then
    log "case $c failed (exit $rc)"
    FAILED+=("$c")
  fi
done
write_results
[[ ${#FAILED[@]} -eq 0 ]] || die "failed cases: ${FAILED[*]}"
