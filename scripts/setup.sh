#!/usr/bin/env bash
# Installs every Debian package (and the console's npm packages) Entente needs.
# Idempotent: installs only what is missing; runs `apt-get update` only when it must.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  clang-19 libclang-rt-19-dev lld-19
  # libraries
  libsodium-dev libcpp-httplib-dev nlohmann-json3-dev libsqlite3-dev sqlite3
  libpqxx-dev libpq-dev libcli11-dev libfmt-dev libspdlog-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev
  libpsl-dev libidn2-dev libvectorscan-dev
  # real servers the tests start
  postgresql postgresql-contrib
  python3-aiosmtpd
  unbound ldnsutils iproute2 dnsutils
  # data the product reads
  publicsuffix ca-certificates tzdata iso-codes openssl curl python3
  # the console's browser tests: Debian's Chromium (never a downloaded browser)
  # and fonts for Arabic and Chinese
  chromium fonts-noto-core fonts-wqy-microhei
)
# Node.js and npm build the console. A machine may already have them from
# another source (which bundles npm): install Debian's only when absent.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when a package cannot be found in them.
  if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/entente-apt.log 2>&1; then
    $SUDO apt-get update -o Acquire::Retries=3 >/dev/null 2>&1 || echo "setup: apt-get update reported errors (continuing)" >&2
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi
