#!/bin/sh
# SPDX-License-Identifier: MIT
# Import benchmark: generates registries of N parents (one child, one voucher, three timesheets
# each), imports each into a fresh database with `tabelbot import --stats`, then imports the same
# file again (the idempotent path), and prints elapsed seconds and peak RSS for both.
#
# Usage: bench/import/run.sh [N ...]        default: 100000 1000000
# Environment: BUILD (build folder with tabelbot, default ./build), WORK (scratch folder,
# default a new /tmp folder, removed at the end unless KEEP=1).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=$BUILD/tabelbot
OWN_WORK=0
if [ -z "${WORK:-}" ]; then
    WORK=$(mktemp -d /tmp/tabelbot-bench-import.XXXXXX)
    OWN_WORK=1
fi
[ -x "$BIN" ] || { echo "run.sh: build tabelbot first ($BIN missing)" >&2; exit 2; }

cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$ROOT" "$ROOT/bench/import/gen_registry.c" \
    "$ROOT/dialogs/validate.c" "$ROOT/core/caltime.c" -o "$WORK/gen_registry"

# stat_line LABEL: reads $dir/err.txt (--stats line) and prints a result row.
stat_line() {
    elapsed=$(sed -n 's/.*elapsed_s=\([0-9.]*\).*/\1/p' "$dir/err.txt")
    rss=$(sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' "$dir/err.txt")
    printf '%-10s %-9s %10s s %8s MiB   %s\n' "$n" "$1" "$elapsed" "$((rss / 1024))" \
        "$(cat "$dir/out.txt")"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-9s %12s %12s   %s\n' parents run elapsed peak_rss summary
for n in ${@:-100000 1000000}; do
    dir=$WORK/$n
    mkdir -p "$dir"
    "$WORK/gen_registry" "$n" > "$dir/registry.json"
    size=$(du -m "$dir/registry.json" | cut -f1)
    (cd "$dir" && "$BIN" import --stats registry.json > out.txt 2> err.txt)
    stat_line first
    (cd "$dir" && "$BIN" import --stats registry.json > out.txt 2> err.txt)
    stat_line again
    echo "           file ${size} MiB, database $(du -m "$dir/tabelbot.db" | cut -f1) MiB"
    rm -f "$dir/registry.json"
done

if [ "$OWN_WORK" = 1 ] && [ "${KEEP:-0}" != 1 ]; then
    rm -rf "$WORK"
fi
