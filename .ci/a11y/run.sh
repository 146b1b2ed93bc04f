#!/usr/bin/env bash
# Installs what the accessibility check needs on a fresh Debian machine (Chromium from apt,
# axe-core and playwright-core from npm), then runs it.
# Usage: bash .ci/a11y/run.sh <artefact-dir> <url> [<url> ...]   (from any directory)
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 <artefact-dir> <url> [<url> ...]" >&2
  exit 2
fi

# The artefact dir is relative to the caller's cwd: make it absolute before we cd away.
mkdir -p "$1"
artefacts=$(cd "$1" && pwd)
shift

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "== installing chromium (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Also reinstall when the lockfile changed since the last install (npm writes
# node_modules/.package-lock.json on every install).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing axe-core and playwright-core (npm ci)"
  npm ci --no-audit --no-fund
fi

exec node check.mjs "$artefacts" "$@"
