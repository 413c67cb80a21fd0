#!/bin/sh
# SPDX-License-Identifier: MIT
# Ingest benchmark: starts `tabelbot serve` (the binary given, built elsewhere) on an ephemeral
# loopback port with a temp database, then runs wrk for DURATION seconds with CONNECTIONS
# connections twice: POST /webhook/telegram (unique updates, durable inbox: each 200 means the
# row committed) and GET /healthz (the comparison route: no body parsing, no insert, one
# "SELECT 1"). Prints stored updates/s and p50/p99 latency for both, then stops the service and
# checks that the inbox holds exactly as many rows as there were 200 answers.
# usage: bench/ingest/run.sh path/to/tabelbot        (env: DURATION=10 CONNECTIONS=64 THREADS=2
#                                                     LOG_LEVEL=info)
set -eu

BIN=${1:?usage: run.sh path/to/tabelbot}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
LOG_LEVEL=${LOG_LEVEL:-info}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
command -v wrk >/dev/null || { echo "run.sh: wrk is not installed" >&2; exit 1; }
command -v curl >/dev/null || { echo "run.sh: curl is not installed" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "run.sh: the sqlite3 shell is not installed" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tabelbot-bench-XXXXXX")
PID=
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

SECRET=bench-secret-0123456789
SYNCHRONOUS=${SYNCHRONOUS:-full}
cat > "$WORK/bench.toml" <<TOML
[server]
listen = "127.0.0.1:0"
max_connections = 4096
[database]
path = "$WORK/bench.db"
synchronous = "$SYNCHRONOUS"
[security]
data_key_file = "$WORK/bench.key"
[log]
level = "$LOG_LEVEL"
[telegram]
enabled = true
token = "123456:BENCH"
secret_token = "$SECRET"
TOML

mkfifo "$WORK/ready"
"$BIN" serve --config "$WORK/bench.toml" >"$WORK/ready" 2>"$WORK/serve.log" &
PID=$!
read -r LINE <"$WORK/ready" || { echo "run.sh: serve did not start" >&2; cat "$WORK/serve.log" >&2; exit 1; }
URL=${LINE#tabelbot listening on }
echo "service: $URL (pid $PID, log level $LOG_LEVEL)"
echo "machine: $(nproc) cpu ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -sr)"
echo "load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"

run_wrk() { # name script path
    OUT=$(BENCH_SECRET=$SECRET wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
        -s "$HERE/$2" "$URL$3")
    echo "$OUT" | grep '^RESULT' | sed "s/^RESULT/$1/"
}

WEBHOOK=$(run_wrk webhook post_update.lua /webhook/telegram)
STATIC=$(run_wrk healthz get_static.lua /healthz)

# The server's own count of 200 answers on the webhook route (sent after the row committed).
# wrk stops mid-flight at the end of its run, so it never reads the last (up to CONNECTIONS)
# answers: the exact check is rows == answers sent; wrk's count may be lower by that much.
SENT=$(curl -s "$URL/metrics" | sed -n 's/^tabelbot_http_requests_total{route="webhook",status="200"} //p')
SENT=${SENT:-0}

kill -TERM "$PID"
wait "$PID" || { echo "run.sh: serve did not exit cleanly" >&2; exit 1; }
PID=

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
OK=$(field "$WEBHOOK" ok)
ROWS=$(sqlite3 "$WORK/bench.db" "SELECT count(*) FROM inbox")
printf '%-8s %10s %10s %10s %8s\n' route "ok/s" "p50 ms" "p99 ms" non200
for R in "$WEBHOOK" "$STATIC"; do
    printf '%-8s %10s %10s %10s %8s\n' "$(echo "$R" | cut -d' ' -f1)" "$(field "$R" rate)" \
        "$(field "$R" p50_ms)" "$(field "$R" p99_ms)" "$(($(field "$R" other) + $(field "$R" errors)))"
done
echo "stored updates/s: $(field "$WEBHOOK" rate)"
echo "200 answers sent by the service: $SENT, read by wrk: $OK, inbox rows: $ROWS"
if [ "$SENT" != "$ROWS" ] || [ "$OK" -gt "$ROWS" ]; then
    echo "MISMATCH: the inbox does not hold exactly one row per 200 answer" >&2
    exit 1
fi
echo "check: inbox rows == 200 answers (every acknowledged update is stored, nothing extra)"
