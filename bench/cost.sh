#!/usr/bin/env bash
# What one request costs each server, measured so that the rest of the
# machine's load does not change the figure (bench/ANALYSIS.md reads them):
#
#  1. instructions per request: each server runs under valgrind's callgrind
#     (user-space instructions, exact and repeatable whatever else runs);
#     after a warm-up, windows of N and then 2N requests are counted, each
#     twice, the smaller kept (one request after the other on one keep-alive
#     connection, bench/hotload get; the counters zeroed before and dumped
#     after each), and the difference over N is the figure: what a window
#     holds besides its requests cancels. Servers: wharf (SQLite, local key, every request
#     token-authorized), nginx (Debian's, one worker, master_process off,
#     serving the very bytes wharf answered from disk with sendfile) and the
#     Go floor (bench/hotload floor: the same bytes from memory through
#     net/http alone);
#  2. CPU time per request, kernel included: the same N requests against each
#     server without valgrind, the server's on-CPU time from
#     /proc/PID/task/*/schedstat (nanoseconds, every thread);
#  3. the API: wharf's instructions and CPU time per signed DescribeRepository
#     and GetAuthorizationToken, and those of the aws-sdk-go-v2 load generator
#     itself (bench/hotload api -n: one call after another), the client under
#     callgrind too.
#
# Usage: bench/cost.sh [WHARF_BINARY]    (default: builds ./cmd/wharf)
# Writes its tables into bench/ANALYSIS.md (between its generated-section
# markers), or to $OUT when set; PASSES=0 skips the valgrind pass (CPU time
# only, nothing written unless OUT is set); KEEP=1 keeps the work directory
# (the callgrind dumps: callgrind_annotate reads them, though Go's stack
# switches make its per-function split unreliable: pprof is the tool for
# where, callgrind for how much).
# Env: N (requests per measurement, default 2000), NAPI (signed calls per
# measurement, default 500), VERSIONS (of the packument package, default
# 500), WRK_SECONDS (the runs under load, default 5).
# Needs valgrind, nginx, wrk, curl, bc (Debian packages; bench/run.sh installs
# nginx and wrk when missing). ~10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
for c in valgrind callgrind_control nginx curl wrk bc; do
	command -v $c >/dev/null || { echo "needs $c (apt-get install -y valgrind nginx-light curl wrk bc)" >&2; exit 1; }
done
N=${N:-2000}
NAPI=${NAPI:-500}
VERSIONS=${VERSIONS:-500}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
bin=${1:-}
if [ -z "$bin" ]; then bin=$work/wharf; go build -o "$bin" ./cmd/wharf; fi
go build -o "$work/hotload" ./bench/hotload
H=$work/hotload
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export WHARF_ROOT_ACCESS_KEY_ID=AKIAWHARFBENCHADMIN1 WHARF_ROOT_SECRET_ACCESS_KEY=wharf-bench-secret-0123456789abcdefghijklm
wait_up() { for _ in $(seq 900); do curl -sf -o /dev/null "$@" && return 0; sleep 0.2; done; echo "not up: $*" >&2; tail -n 5 "$work"/*.log >&2; return 1; }
# Under valgrind, Go's asynchronous preemption (a SIGURG to a running thread)
# trips callgrind's signal bookkeeping: it is turned off there
# (GODEBUG=asyncpreemptoff=1; goroutines are still preempted at function
# calls). The instruction counts do not depend on it.

# --- setup: a wharf with the packages, and the bytes it answers -------------
port=$(free_port)
"$bin" serve --listen 127.0.0.1:$port --data-dir "$work/data" >"$work/wharf-setup.log" 2>&1 &
setup_pid=$!
pids+=($setup_pid)
wait_up http://127.0.0.1:$port/healthz
eval "$("$H" setup -url http://127.0.0.1:$port -versions "$VERSIONS" -tarball-kb 23)"
ABBR='application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'
mkdir -p "$work/www" "$work/nginx"
chmod 755 "$work" "$work/www"
curl -sf -H "Authorization: Bearer $TOKEN" "$TARBALL" -o "$work/www/tarball.tgz"
curl -sf -H "Authorization: Bearer $TOKEN" -H "Accept: $ABBR" "$PACKUMENT" -o "$work/www/abbr.json"
curl -sf -H "Authorization: Bearer $TOKEN" -H "Accept: $ABBR" -H "Accept-Encoding: gzip" "$PACKUMENT" -o "$work/www/abbr.json.gz"
kill $setup_pid; wait $setup_pid 2>/dev/null || true
# The URLs name wharf's port: the measured wharf listens on the same one.
tarball_path=${TARBALL#http://127.0.0.1:$port}
packument_path=${PACKUMENT#http://127.0.0.1:$port}

nport=$(free_port); fport=$(free_port)
cat >"$work/nginx/nginx.conf" <<NGX
daemon off; master_process off; worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log $work/nginx/access.log; # wharf logs every request too
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  gzip off; gzip_static on; gzip_vary on;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$nport; root $work/www; default_type application/json; }
}
NGX

# start NAME VALGRIND(0|1) CMD... : starts a server, sets $spid (the process
# that serves: valgrind execs the program in place).
start() {
	local name=$1 vg=$2; shift 2
	if [ "$vg" = 1 ]; then
		GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$work/cg.$name" "$@" >"$work/$name.log" 2>&1 &
	else
		"$@" >"$work/$name.log" 2>&1 &
	fi
	spid=$!
	pids+=($spid)
}
stop() { kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; }
# on-CPU nanoseconds of every thread of a process
oncpu() { cat /proc/$1/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}'; }
# window PID CMD...: zero the counters, run CMD, dump; prints the window's
# instructions (the dump is kept as $work/profile.$LABEL.callgrind for
# callgrind_annotate with KEEP=1).
window() {
	local pid=$1; shift
	callgrind_control -z $pid >/dev/null
	"$@" >/dev/null
	callgrind_control -d $pid >/dev/null
	local f; f=$(ls -t "$work"/cg.*.[0-9]* 2>/dev/null | head -1)
	awk '/^summary:/ {printf "%.0f", $2}' "$f"
	mv "$f" "$work/profile.$LABEL.callgrind"
}
# slope COUNT PID HOTLOAD-COMMAND ARGS...: instructions per request as the
# difference between a window of 2×COUNT requests and one of COUNT, so what
# a window holds besides its requests (the runtime's background work while
# the client waits, callgrind's control requests) cancels out.
# Each window is taken twice and the smaller count kept: work that is not the
# requests' only ever adds instructions (a background task of wharf's that
# lands in one window, a GC cycle), so the smaller is the less disturbed.
slope() {
	local n=$1 pid=$2 cmd=$3; shift 3
	local a b x
	a=$(window $pid "$H" $cmd -n "$n" "$@"); x=$(window $pid "$H" $cmd -n "$n" "$@"); ((x < a)) && a=$x
	b=$(window $pid "$H" $cmd -n $((2 * n)) "$@"); x=$(window $pid "$H" $cmd -n $((2 * n)) "$@"); ((x < b)) && b=$x
	echo $(( (b - a) / n ))
}
instr() { # pid, then hotload get args: instructions per request
	local pid=$1; shift
	slope "$N" $pid get "$@"
}
cpu() { # pid, then hotload get args: prints µs of server CPU per request
	local pid=$1 t0; shift
	t0=$(oncpu $pid)
	"$H" get -n "$N" "$@" >/dev/null
	echo "$(( ($(oncpu $pid) - t0) / N / 1000 ))"
}
declare -A R
# measure NAME URL_BASE PID: every case against one server
measure() {
	local name=$1 base=$2 pid=$3 mode=$4 f=$5 auth=()
	local t=$base/tarball.tgz p=$base/abbr.json
	case $name in wharf*) auth=(-H "Authorization: Bearer $TOKEN"); t=$base$tarball_path; p=$base$packument_path ;; esac
	"$H" get -n 200 "${auth[@]}" "$t" >/dev/null # warm-up: caches, connections, JIT-free but page-faulting
	"$H" get -n 200 "${auth[@]}" -H "Accept: $ABBR" -H "Accept-Encoding: gzip" "$p" >/dev/null
	LABEL=$name-tarball
	R[$name,tarball,$mode]=$($f $pid "${auth[@]}" "$t")
	LABEL=$name-packument
	R[$name,packument,$mode]=$($f $pid "${auth[@]}" -H "Accept: $ABBR" -H "Accept-Encoding: gzip" "$p")
	if [ "$mode" = cpu ]; then
		# Under load, as bench/hotpath.sh and bench/run.sh measure rates:
		# wrk -t2 -c64 on the same two cores. The server's CPU per answer
		# and wrk's own (what a load generator takes from the same cores).
		local t0 w0 out
		t0=$(oncpu $pid)
		out=$( (wrk -t2 -c64 -d"${WRK_SECONDS:-5}"s "${auth[@]}" "$t"; times) )
		local reqs; reqs=$(awk '/requests in/ {print $1}' <<<"$out")
		R[$name,tarball,wrk-server]=$(( ($(oncpu $pid) - t0) / reqs / 1000 ))
		# `times`' last line: the children's user and system time
		R[$name,tarball,wrk-client]=$(tail -n 1 <<<"$out" | awk -v n="$reqs" '{
			split($1, a, "m"); split($2, b, "m"); u = a[1] * 60 + a[2]; s = b[1] * 60 + b[2]
			printf "%d", (u + s) * 1e6 / n }')
		R[$name,tarball,wrk-rate]=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
	fi
}
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for vg in ${PASSES:-0 1}; do
	mode=$([ $vg = 1 ] && echo instr || echo cpu)
	fn=$([ $vg = 1 ] && echo instr || echo cpu)
	start wharf $vg "$bin" serve --listen 127.0.0.1:$port --data-dir "$work/data"
	wait_up http://127.0.0.1:$port/healthz
	measure wharf http://127.0.0.1:$port $spid $mode $fn
	# The API: wharf's side, and the SDK client's own CPU per call.
	for op in DescribeRepository GetAuthorizationToken; do
		"$H" api -url http://127.0.0.1:$port -op $op -n 100 >/dev/null
		if [ $vg = 1 ]; then
			LABEL=wharf-$op
			R[wharf,$op,instr]=$(slope "$NAPI" $spid api -url http://127.0.0.1:$port -op $op)
			# the client itself under callgrind, whole runs of NAPI and
			# 2×NAPI calls: the difference cancels its start-up
			local_client() {
				GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$work/client.$op.$1" "$H" api -url http://127.0.0.1:$port -op $op -n "$1" >/dev/null 2>&1
				awk '/^summary:/ {printf "%.0f", $2}' "$work/client.$op.$1"
			}
			a=$(local_client "$NAPI"); x=$(local_client "$NAPI"); ((x < a)) && a=$x
			b=$(local_client $((2 * NAPI))); x=$(local_client $((2 * NAPI))); ((x < b)) && b=$x
			R[client,$op,instr]=$(( (b - a) / NAPI ))
		else
			t0=$(oncpu $spid)
			R[client,$op,cpu]=$("$H" api -url http://127.0.0.1:$port -op $op -n "$NAPI" | sed -E 's/.*client CPU ([0-9]+).*/\1/')
			R[wharf,$op,cpu]=$(( ($(oncpu $spid) - t0) / NAPI / 1000 ))
			# Under load, as bench/run.sh's api case: 64 goroutines in the
			# load generator's process.
			t0=$(oncpu $spid)
			out=$("$H" api -url http://127.0.0.1:$port -op $op -c 64 -d "${WRK_SECONDS:-5}"s)
			n=$(sed -E 's/^[^:]*: ([0-9]+) calls.*/\1/' <<<"$out")
			R[wharf,$op,load-cpu]=$(( ($(oncpu $spid) - t0) / n / 1000 ))
			R[client,$op,load-cpu]=$(sed -E 's/.*client CPU ([0-9]+).*/\1/' <<<"$out")
			R[wharf,$op,load-rate]=$(sed -E 's/.* ([0-9]+) calls\/s.*/\1/' <<<"$out")
		fi
	done
	stop
	# The same wharf without its access log (--log-level warn): the log
	# line's cost by difference.
	start wharfquiet $vg "$bin" serve --listen 127.0.0.1:$port --data-dir "$work/data" --log-level warn
	wait_up http://127.0.0.1:$port/healthz
	measure wharfquiet http://127.0.0.1:$port $spid $mode $fn
	stop
	start nginx $vg nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
	wait_up http://127.0.0.1:$nport/tarball.tgz
	measure nginx http://127.0.0.1:$nport $spid $mode $fn
	stop
	start floor $vg "$H" floor -listen 127.0.0.1:$fport -dir "$work/www"
	wait_up http://127.0.0.1:$fport/tarball.tgz
	measure floor http://127.0.0.1:$fport $spid $mode $fn
	stop
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

ratio() { [ -n "$1" ] && [ -n "$2" ] && echo "scale=2; $1 / $2" | bc; }
set +u # a pass left out (PASSES=0: no valgrind) leaves its cells empty
{
	echo "Written by \`bench/cost.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$(git rev-parse --short HEAD)\`, instructions from windows of $N and $((2 * N)) requests ($NAPI and $((2 * NAPI)) calls: their difference over $N or $NAPI), CPU over $N requests ($NAPI calls), one after another on one connection; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
	echo
	echo "| request | wharf | nginx | Go floor (net/http alone) | wharf / nginx | floor / nginx | wharf / floor |"
	echo "|---|---|---|---|---|---|---|"
	for c in tarball packument; do
		label=$([ $c = tarball ] && echo "cached tarball, 23 KB" || echo "abbreviated packument, gzip ($VERSIONS versions)")
		for sv in wharf wharfquiet; do
			lab=$label; [ $sv = wharfquiet ] && lab="$label, wharf without its access log (\`--log-level warn\`)"
			w=${R[$sv,$c,instr]} n=${R[nginx,$c,instr]} f=${R[floor,$c,instr]}
			echo "| $lab: user-space instructions per request | $w | $n | $f | $(ratio $w $n) | $(ratio $f $n) | $(ratio $w $f) |"
			w=${R[$sv,$c,cpu]} n=${R[nginx,$c,cpu]} f=${R[floor,$c,cpu]}
			echo "| $lab: CPU µs per request (user + kernel) | $w | $n | $f | $(ratio $w $n) | $(ratio $f $n) | $(ratio $w $f) |"
		done
	done
	echo
	echo "Under load (\`wrk -t2 -c64 -d${WRK_SECONDS:-5}s\`, cached tarball, each server alone with wrk on the machine's cores): CPU µs per answer of the server and of wrk itself, and what they imply. When the cores are the limit, a server's rate is (cores) / (its CPU + wrk's CPU per answer), so the ratio wharf / nginx that the CPU costs allow is (nginx + wrk at nginx) / (wharf + wrk at wharf) — whatever the load, since both sides pay it the same way."
	echo
	echo "| server | req/s (this run, shared machine) | server CPU µs per answer | wrk CPU µs per answer | rate / nginx's implied by CPU per answer |"
	echo "|---|---|---|---|---|"
	nsum=$(( ${R[nginx,tarball,wrk-server]} + ${R[nginx,tarball,wrk-client]} ))
	for sv in wharf wharfquiet nginx floor; do
		sum=$(( ${R[$sv,tarball,wrk-server]} + ${R[$sv,tarball,wrk-client]} ))
		label=$sv; [ $sv = wharfquiet ] && label="wharf without its access log"
		echo "| $label | ${R[$sv,tarball,wrk-rate]} | ${R[$sv,tarball,wrk-server]} | ${R[$sv,tarball,wrk-client]} | $(ratio $nsum $sum) |"
	done
	echo
	echo "| signed call | wharf: instructions per call | wharf: CPU µs per call | aws-sdk-go-v2 client: instructions per call | client: CPU µs per call | client / wharf (instructions) |"
	echo "|---|---|---|---|---|---|"
	for op in DescribeRepository GetAuthorizationToken; do
		echo "| $op, one call after another | ${R[wharf,$op,instr]} | ${R[wharf,$op,cpu]} | ${R[client,$op,instr]} | ${R[client,$op,cpu]} | $(ratio ${R[client,$op,instr]} ${R[wharf,$op,instr]}) |"
	done
	echo
	echo "Under load (\`hotload api -c 64 -d ${WRK_SECONDS:-5}s\`, client and wharf on the same cores): the rate the CPU per call allows on $(nproc) cores is $(nproc) × 10⁶ / (wharf µs + client µs); wharf alone on one dedicated core: 10⁶ / wharf µs."
	echo
	echo "| signed call | calls/s (this run) | wharf CPU µs per call | client CPU µs per call | calls/s the CPU allows on $(nproc) cores, client included | calls/s of wharf alone per dedicated core |"
	echo "|---|---|---|---|---|---|"
	for op in DescribeRepository GetAuthorizationToken; do
		w=${R[wharf,$op,load-cpu]} c=${R[client,$op,load-cpu]}
		echo "| $op | ${R[wharf,$op,load-rate]} | $w | $c | $(( $(nproc) * 1000000 / (w + c) )) | $(( 1000000 / w )) |"
	done
} | tee "$work/cost.md"
if [ -n "${OUT:-}" ]; then
	cp "$work/cost.md" "$OUT"
elif [ "${PASSES:-0 1}" = "0 1" ]; then
	# Both passes ran: replace the generated section of bench/ANALYSIS.md.
	python3 - "$work/cost.md" bench/ANALYSIS.md <<'PY'
import sys
new = open(sys.argv[1]).read()
path = sys.argv[2]
doc = open(path).read()
b, e = "<!-- bench/cost.sh: begin (generated; rerun bench/cost.sh to replace) -->", "<!-- bench/cost.sh: end -->"
i, j = doc.index(b) + len(b), doc.index(e)
open(path, "w").write(doc[:i] + "\n\n" + new.strip() + "\n\n" + doc[j:])
PY
	echo "bench/ANALYSIS.md updated"
fi
exit 0
