#!/usr/bin/env bash
# Checks that signatures.json is exactly what the pinned twilio package (package-lock.json)
# produces. Skipped (exit 77) when node or the npm registry is not available.
set -u
cd "$(dirname "$0")" || exit 2
command -v node >/dev/null 2>&1 || { echo "node not installed: skipped"; exit 77; }
if [ ! -d node_modules/twilio ]; then
  command -v npm >/dev/null 2>&1 || { echo "npm not installed: skipped"; exit 77; }
  npm ci --no-audit --no-fund >/dev/null 2>&1 || { echo "npm ci failed (offline?): skipped"; exit 77; }
fi
exec node gen_vectors.js --check
