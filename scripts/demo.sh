#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run the main job on a bundled
# example: `wisp serve` with the example handlers, answering a few requests with curl.
# The server then keeps serving on http://127.0.0.1:8080 until Ctrl-C
# (DEMO_EXIT=1: stop after the requests, as a check).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"

url=http://127.0.0.1:8080
echo
echo "$ build/wisp serve examples/serve.toml &"
"$root/build/wisp" serve "$root/examples/serve.toml" >"$root/build/serve-demo.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "$url/hello" 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$root/build/serve-demo.log"; exit 1; }
  sleep 0.05
done

show() {
  printf '$ curl'
  printf " '%s'" "$@"
  echo
  curl -sS "$@"
  echo
}
show "$url/hello?name=Ada"
show -i "$url/trap"
show -o /dev/null -w '%{http_code} after %{time_total}s\n' "$url/loop"
echo "(access log: build/serve-demo.log; metrics: curl $url/metrics)"

if [ "${DEMO_EXIT:-0}" = 1 ]; then exit 0; fi
echo "Serving on $url (examples/serve.toml lists the routes); Ctrl-C to stop."
wait $server
