#!/usr/bin/env bash
# Measures wharf's hot read path against nginx serving the very bytes wharf
# answered, in one run (bench/PROFILE.md records the results):
#   tarball GET (23 KB, encrypted at rest, token-authorized), full and
#   abbreviated packument GET of a 1,000-version package (plain and gzip),
#   and signed DescribeRepository / GetAuthorizationToken from a separate
#   aws-sdk-go-v2 process (bench/hotload).
# Usage: bench/hotpath.sh [WHARF_BINARY]   (default: builds ./cmd/wharf)
# Env: DURATION (wrk seconds, default 10), PROFILE_DIR (when set, a 10 s CPU
# profile and an allocation profile of each case are written there).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx (apt-get install -y wrk nginx)" >&2; exit 1; }
D=${DURATION:-10}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -s stop 2>/dev/null; rm -rf "$work"' EXIT
bin=${1:-}
if [ -z "$bin" ]; then bin=$work/wharf; go build -o "$bin" ./cmd/wharf; fi
go build -o "$work/hotload" ./bench/hotload
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); dport=$(free_port); nport=$(free_port)
export WHARF_ROOT_ACCESS_KEY_ID=AKIAWHARFBENCHADMIN1 WHARF_ROOT_SECRET_ACCESS_KEY=wharf-bench-secret-0123456789abcdefghijklm
"$bin" serve --listen 127.0.0.1:$port --data-dir "$work/data" --debug-addr 127.0.0.1:$dport >"$work/wharf.log" 2>&1 &
wpid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
W=http://127.0.0.1:$port
eval "$("$work/hotload" setup -url $W -versions 1000 -tarball-kb 23)"
ABBR='application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'
mkdir -p "$work/www" "$work/nginx"
chmod 755 "$work" "$work/www" # nginx's workers are not root: they must reach the files
curl -sf -H "Authorization: Bearer $TOKEN" "$TARBALL" -o "$work/www/tarball.tgz"
curl -sf -H "Authorization: Bearer $TOKEN" "$PACKUMENT" -o "$work/www/full.json"
curl -sf -H "Authorization: Bearer $TOKEN" -H "Accept: $ABBR" "$PACKUMENT" -o "$work/www/abbr.json"
# wharf's gzip answers, byte for byte, for nginx's gzip_static (same bytes, no on-the-fly compression)
curl -sf -H "Authorization: Bearer $TOKEN" -H "Accept-Encoding: gzip" "$PACKUMENT" -o "$work/www/full.json.gz"
curl -sf -H "Authorization: Bearer $TOKEN" -H "Accept-Encoding: gzip" -H "Accept: $ABBR" "$PACKUMENT" -o "$work/www/abbr.json.gz"
for f in full abbr; do
	if ! gzip -t "$work/www/$f.json.gz" 2>/dev/null; then # a wharf that does not compress
		echo "note: wharf answered $f.json uncompressed to Accept-Encoding: gzip; nginx serves gzip -6 of it"
		gzip -6 -c "$work/www/$f.json" >"$work/www/$f.json.gz"
	fi
	cmp -s <(gzip -dc "$work/www/$f.json.gz") "$work/www/$f.json" || { echo "wharf's gzip $f.json differs from its identity one" >&2; exit 1; }
done
cat >"$work/nginx/nginx.conf" <<NGX
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log $work/nginx/access.log; # wharf logs every request at its default level too
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  gzip off; gzip_static on; gzip_vary on;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$nport; root $work/www; default_type application/json; }
}
NGX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
N=http://127.0.0.1:$nport
# The floor: the same bytes from memory through net/http alone (no token, no
# lookup, no log), what any Go server pays per request on this machine.
fport=$(free_port)
"$work/hotload" floor -listen 127.0.0.1:$fport -dir "$work/www" >/dev/null &
fpid=$!
F=http://127.0.0.1:$fport
for _ in $(seq 100); do curl -sf "$F/tarball.tgz" -o /dev/null && break; sleep 0.1; done
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
rate() { # wrk's req/s; refuses a run with any non-2xx/3xx answer
	local out; out=$(wrk -t2 -c64 -d${D}s "$@")
	if grep -q 'Non-2xx' <<<"$out"; then echo "error answers in: wrk $*" >&2; echo "$out" >&2; exit 1; fi
	awk '/Requests\/sec/ {print $2}' <<<"$out"
}
prof() { # name, then curl-free wrk args: profile while wrk runs
	[ -n "${PROFILE_DIR:-}" ] || return 0
	mkdir -p "$PROFILE_DIR"
	local name=$1; shift
	curl -s "http://127.0.0.1:$dport/debug/pprof/allocs" -o "$PROFILE_DIR/$name.allocs.before"
	wrk -t2 -c64 -d12s "$@" >/dev/null &
	curl -s "http://127.0.0.1:$dport/debug/pprof/profile?seconds=10" -o "$PROFILE_DIR/$name.cpu"
	wait %%
	curl -s "http://127.0.0.1:$dport/debug/pprof/allocs" -o "$PROFILE_DIR/$name.allocs"
}
AUTH="Authorization: Bearer $TOKEN"
etag=$(curl -sfI -H "$AUTH" "$PACKUMENT" | tr -d '\r' | awk 'tolower($1)=="etag:" {print $2}')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H "If-None-Match: $etag" "$PACKUMENT")
echo "If-None-Match $etag -> $code"
printf 'sizes: tarball %s B, full packument %s B (gzip %s B), abbreviated %s B (gzip %s B)\n' "$(stat -c%s "$work/www/tarball.tgz")" \
	"$(stat -c%s "$work/www/full.json")" "$(stat -c%s "$work/www/full.json.gz")" "$(stat -c%s "$work/www/abbr.json")" "$(stat -c%s "$work/www/abbr.json.gz")"
# The server's CPU per answer (its /proc ticks over the wrk run) beside each rate.
ticks() { local p t=0; for p in ${1:-$wpid}; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done; echo $t; }
prate() { # pid, then rate's args: prints the rate and µs of that process's CPU per answer
	local pid=$1 t0 r; shift; t0=$(ticks $pid); r=$(rate "$@")
	echo "$r $(echo "($(ticks $pid) - $t0) * 1000000 / $(getconf CLK_TCK) / ($r * $D)" | bc)"
}
wrate() { prate $wpid "$@"; }
frate() { prate $fpid "$@"; }
nrate() { prate "$(pgrep -P "$(cat "$work/nginx/nginx.pid")" | tr '\n' ' ')" "$@"; } # nginx's workers
printf '%-28s %9s %9s %9s %7s %11s   %s\n' case wharf nginx go-floor ratio floor/nginx 'server CPU µs/answer: wharf nginx floor'
row() { printf '%-28s %9s %9s %9s %7.3f %11.3f   %5s %5s %5s\n' "$1" "$2" "$3" "$4" "$(echo "$2 / $3" | bc -l)" "$(echo "$4 / $3" | bc -l)" "$5" "$7" "$6"; }
read -r w c <<<"$(wrate -H "$AUTH" "$TARBALL")"; read -r n nc <<<"$(nrate "$N/tarball.tgz")"; read -r f fc <<<"$(frate "$F/tarball.tgz")"; row "tarball 23 KB" "$w" "$n" "$f" "$c" "$fc" "$nc"
read -r w c <<<"$(wrate -H "$AUTH" "$PACKUMENT")"; read -r n nc <<<"$(nrate "$N/full.json")"; read -r f fc <<<"$(frate "$F/full.json")"; row "full packument" "$w" "$n" "$f" "$c" "$fc" "$nc"
read -r w c <<<"$(wrate -H "$AUTH" -H "Accept: $ABBR" "$PACKUMENT")"; read -r n nc <<<"$(nrate "$N/abbr.json")"; read -r f fc <<<"$(frate "$F/abbr.json")"; row "abbreviated packument" "$w" "$n" "$f" "$c" "$fc" "$nc"
read -r w c <<<"$(wrate -H "$AUTH" -H "Accept-Encoding: gzip" "$PACKUMENT")"; read -r n nc <<<"$(nrate -H "Accept-Encoding: gzip" "$N/full.json")"; read -r f fc <<<"$(frate -H "Accept-Encoding: gzip" "$F/full.json")"; row "full packument, gzip" "$w" "$n" "$f" "$c" "$fc" "$nc"
read -r w c <<<"$(wrate -H "$AUTH" -H "Accept-Encoding: gzip" -H "Accept: $ABBR" "$PACKUMENT")"; read -r n nc <<<"$(nrate -H "Accept-Encoding: gzip" "$N/abbr.json")"; read -r f fc <<<"$(frate -H "Accept-Encoding: gzip" "$F/abbr.json")"; row "abbreviated packument, gzip" "$w" "$n" "$f" "$c" "$fc" "$nc"
# The load generator (aws-sdk-go-v2, signing every call) shares the 2 cores
# with wharf; wharf's own CPU time per call is printed beside the rate.
ticks() { awk '{print $14 + $15}' /proc/$wpid/stat; }
api() {
	local t0 out calls
	t0=$(ticks)
	out=$("$work/hotload" api -url $W -op "$1" -c 64 -d ${D}s)
	calls=$(awk '{print $2}' <<<"$out")
	echo "$out; wharf CPU $(( ($(ticks) - t0) * 1000000 / $(getconf CLK_TCK) / calls )) µs/call"
}
api DescribeRepository
api GetAuthorizationToken
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wharf RSS after the run: $(ps -o rss= -p $wpid) KiB (peak $(awk '/VmHWM/ {print $2}' /proc/$wpid/status) KiB)"
prof tarball -H "$AUTH" "$TARBALL"
prof full -H "$AUTH" "$PACKUMENT"
prof abbreviated -H "$AUTH" -H "Accept: $ABBR" "$PACKUMENT"
if [ -n "${PROFILE_DIR:-}" ]; then
	"$work/hotload" api -url $W -op DescribeRepository -c 64 -d 12s >/dev/null &
	curl -s "http://127.0.0.1:$dport/debug/pprof/profile?seconds=10" -o "$PROFILE_DIR/describe.cpu"; wait %%
fi
