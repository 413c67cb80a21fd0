#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ctest entry of the Telegram end-to-end suite (label e2e): installs the pinned emulator
# from the committed package-lock.json when node_modules is missing (npm ci: the registry must be
# reachable then), then runs node's built-in test runner. Needs TABELBOT_BIN and
# TABELBOT_SOURCE_DIR (ctest sets both); node and npm come from .ci/deps.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1; then
  echo "e2e: node is not installed (run .ci/deps)" >&2
  exit 1
fi
if [ ! -f node_modules/telegram-test-api/package.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node --test telegram.test.mjs
