#!/usr/bin/env bash
# Builds the web console (web/ -> web/dist) with the committed lockfile.
# Skips npm ci when node_modules matches the lockfile, and the build when
# web/dist is newer than every source file.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f web/package.json ]] || exit 0
cd web
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [[ -f dist/index.html ]] && [[ -z "$(find src index.html package.json package-lock.json vite.config.* tsconfig*.json public \
      -newer dist/index.html -print -quit 2>/dev/null)" ]]; then
  exit 0
fi
npm run build --silent
