#!/usr/bin/env bash
# The house rules a machine can check (docs/architecture.md, "Rooms"): formatting, banned
# functions, which room may include what, SQL only in db/, no clock or I/O in dialogs/.
# Run by ctest (label lint) from the source folder; prints every violation, exits 1 on any.
set -u
cd "${TABELBOT_SOURCE_DIR:-$(dirname "$0")/../..}" || exit 2
fail=0
say() { printf 'lint: %s\n' "$*"; fail=1; }

if [ -d .git ] || git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.c' '*.h')
else
  mapfile -t files < <(find core adapters dialogs db bot tests bench -name '*.[ch]' 2>/dev/null)
fi
product=()
for f in "${files[@]}"; do
  case "$f" in tests/*|bench/*) ;; *) product+=("$f") ;; esac
done

if command -v clang-format >/dev/null 2>&1; then
  bad=$(clang-format --dry-run -Werror "${files[@]}" 2>&1 | grep -oE '^[^:]+\.[ch]' | sort -u)
  [ -z "$bad" ] || say "clang-format would change: $(echo $bad)"
else
  say "clang-format is not installed (make deps installs it)"
fi

hits=$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|atoi|atol|atof|rand|srand|system|alloca)\s*\(' "${product[@]}")
[ -z "$hits" ] || say "banned functions (STYLE.md §3.10):"$'\n'"$hits"

room_includes() { # room, pattern of forbidden includes, why
  local room=$1 pattern=$2 why=$3
  local hits
  hits=$(grep -nE "#include <($pattern)" $(printf '%s\n' "${product[@]}" | grep "^$room/") 2>/dev/null)
  [ -z "$hits" ] || say "$room/ must not include $why:"$'\n'"$hits"
}
room_includes core 'uv\.h|curl/|sqlite3\.h|sodium|cjson/' "third-party libraries (libc only)"
room_includes dialogs 'uv\.h|curl/|sqlite3\.h|sodium|cjson/|time\.h|sys/|unistd\.h|fcntl\.h' "I/O, clock or third-party libraries (it is pure)"
room_includes adapters 'uv\.h|curl/|sqlite3\.h|sodium|sys/socket' "sockets, SQL or crypto"
room_includes db 'uv\.h|curl/|sodium|cjson/' "the loop, the network, crypto or JSON"

hits=$(grep -nE '\b(time|clock_gettime|gettimeofday|getenv|fopen|printf|fprintf|puts)\s*\(' $(printf '%s\n' "${product[@]}" | grep -E '^dialogs/'))
[ -z "$hits" ] || say "dialogs/ reads the clock or does I/O:"$'\n'"$hits"

hits=$(grep -nE '"\s*(SELECT |INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM|CREATE (TABLE|INDEX|TRIGGER)|PRAGMA )' $(printf '%s\n' "${product[@]}" | grep -vE '^db/'))
[ -z "$hits" ] || say "SQL outside db/:"$'\n'"$hits"

for f in "${product[@]}"; do
  head -3 "$f" | grep -q 'SPDX-License-Identifier' || say "$f: no SPDX line and purpose comment at the top"
done

[ $fail -eq 0 ] && echo "lint: ok (${#files[@]} files)"
exit $fail
