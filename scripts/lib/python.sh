# Sourced by scripts/setup and scripts/e2e: find a Python >= 3.14.2 the same way everywhere.
# Needs ROOT (the repository) and a `say` function; defines MIN, ok and find_python.
#   1. $PYTHON   2. python3.14 on PATH   3. uv python find (no download)
#   4. ../shared/tools/python314 (team machines)   5. uv python install 3.14 (needs the internet)
# With PREFER_VENV=1 the interpreter behind an existing .venv comes first (scripts/e2e).

MIN="3.14.2"

ok() { [ -n "${1:-}" ] && [ -x "$1" ] &&
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)' 2>/dev/null; }

find_python() {
  local p
  if [ "${PREFER_VENV:-0}" = 1 ] && [ -f "$ROOT/.venv/pyvenv.cfg" ]; then
    p=$(sed -n 's/^executable = //p' "$ROOT/.venv/pyvenv.cfg")
    if ok "$p"; then echo "$p"; return; fi
  fi
  if [ -n "${PYTHON:-}" ]; then
    p=$(command -v "$PYTHON" || true)
    if ok "$p"; then echo "$p"; return; fi
    say "\$PYTHON=$PYTHON is not a Python >= $MIN; looking further"
  fi
  p=$(command -v python3.14 || true)
  if ok "$p"; then echo "$p"; return; fi
  if command -v uv >/dev/null; then
    p=$(uv python find --no-python-downloads ">=$MIN" 2>/dev/null || true)
    if ok "$p"; then echo "$p"; return; fi
  fi
  if [ -x "$ROOT/../shared/tools/python314" ]; then
    p=$("$ROOT/../shared/tools/python314" || true)
    if ok "$p"; then echo "$p"; return; fi
  fi
  if command -v uv >/dev/null; then
    say "downloading Python 3.14 with uv (needs the internet)"
    uv python install 3.14 >&2 || true
    p=$(uv python find ">=$MIN" 2>/dev/null || true)
    if ok "$p"; then echo "$p"; return; fi
  fi
  return 1
}
