#!/usr/bin/env bash
# Builds the web console (web/ -> web/dist) with the committed lockfile.
# Skips npm ci when node_modules matches the lockfile, and the build when
# web/dist is newer than every source file.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f web/package.json ]] || exit 0
cd web
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    # A lockfile the registry cannot satisfy exactly must not stop the build;
    # say so loudly (the lockfile should then be regenerated and committed).
    echo "build-console: npm ci refused package-lock.json; falling back to npm install" >&2
    npm install --no-audit --no-fund --loglevel=error
  fi
fi
if [[ -f dist/index.html ]] && [[ -z "$(find src index.html package.json package-lock.json vite.config.* tsconfig*.json public \
      -newer dist/index.html -print -quit 2>/dev/null)" ]]; then
  exit 0
fi
npm run build --silent
