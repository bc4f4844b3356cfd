#!/usr/bin/env bash
# Load benchmark of `wisp serve` over loopback with wrk (Debian package `wrk`): requests
# per second and p50/p99 latency of the hello-world handler run in a fresh wasm
# instance per request (examples/handlers/hello.c), beside the same server answering
# from its native C++ handler (the same work with no wasm: the limit of the HTTP
# stack), and the wasm/native ratio. Both routes are measured in the same server, in
# alternating rounds, so machine noise hits both alike; the median round is reported.
#
#   bench/serve/wrk.sh [BUILD_DIR]        (default: build)
#   env: DURATION=5 (seconds per run)  ROUNDS=3  THREADS=1  CONNECTIONS=32
#
# wrk runs on the same machine (THREADS of its own); the server uses its defaults
# (one io thread per core). Access logging is off: it costs both routes the same and
# is not what is measured. Bounded: ROUNDS x 2 x DURATION seconds plus warm-up.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
duration=${DURATION:-5}
rounds=${ROUNDS:-3}
threads=${THREADS:-1}
connections=${CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

tmp=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/bench.toml" <<EOF
[server]
listen = "127.0.0.1:0"
access_log = ""

[[route]]
path = "/hello"
module = "$build/examples/handlers/hello.wasm"

[[route]]
path = "/native"
native = "hello"
EOF

"$build/wisp" serve "$tmp/bench.toml" 2>"$tmp/server.log" &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(grep -o '"port":[0-9]*' "$tmp/server.log" | cut -d: -f2 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/server.log" >&2; exit 1; }
base="http://127.0.0.1:$port"
[ "$(curl -s "$base/hello")" = "Hello, world!" ] || { echo "hello route broken" >&2; exit 1; }
[ "$(curl -s "$base/native")" = "Hello, world!" ] || { echo "native route broken" >&2; exit 1; }

# One wrk run: prints "RPS P50_MS P99_MS".
run() {
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$base/$1" | awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    $1 == "Non-2xx" { bad = 1 }
    END { if (bad) print "non-2xx responses" > "/dev/stderr"; printf "%.0f %.3f %.3f\n", rps, p50, p99 }'
}

# Warm-up (memory pools, caches, the CPU governor).
wrk -t1 -c"$connections" -d1s "$base/hello" >/dev/null
wrk -t1 -c"$connections" -d1s "$base/native" >/dev/null

echo "wrk -t$threads -c$connections -d${duration}s, $rounds rounds, $(nproc) cores"
: >"$tmp/wasm" && : >"$tmp/native"
for r in $(seq "$rounds"); do
  w=$(run hello)
  n=$(run native)
  echo "$w" >>"$tmp/wasm"
  echo "$n" >>"$tmp/native"
  echo "round $r: wasm $w   native $n   (rps p50_ms p99_ms)"
done

# The median round of each, by requests per second.
median() { sort -n "$1" | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }
read -r wr wp50 wp99 <<<"$(median "$tmp/wasm")"
read -r nr np50 np99 <<<"$(median "$tmp/native")"
echo
printf "%-34s %10s %10s %10s\n" "route" "req/s" "p50 ms" "p99 ms"
printf "%-34s %10s %10s %10s\n" "wasm (fresh instance per request)" "$wr" "$wp50" "$wp99"
printf "%-34s %10s %10s %10s\n" "native C++ handler" "$nr" "$np50" "$np99"
awk -v w="$wr" -v n="$nr" 'BEGIN { printf "wasm/native throughput: %.2f\n", w / n }'
