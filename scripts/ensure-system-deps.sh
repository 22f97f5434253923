#!/usr/bin/env bash
# Installs the Debian packages Amparo needs that pip cannot provide, when they are missing.
#   gettext   - compilemessages/makemessages (translations)
#   pango, fonts - WeasyPrint's PDF reports (networks' monitoring plans): text layout and a font with accents
#   redis-server - the shared cache of production, started privately by the tests that use it
#   chromium  - only with --browser: the real browser for the browser tests (driven by Playwright)
#   postgresql - only with --postgres: the second database the test suite runs on
#   nginx, openssl, redis - only with --prod: the production stack of scripts/prod-stack.sh (reverse proxy with a
#               self-signed certificate, shared cache)
set -euo pipefail
want=(gettext:msgfmt redis-server:redis-server libpango-1.0-0: libpangoft2-1.0-0: fonts-dejavu-core:)
for arg in "$@"; do
  case "$arg" in
    --browser) want+=(chromium:chromium fonts-dejavu-core:) ;;
    --postgres) want+=(postgresql:pg_ctlcluster) ;;
    --prod) want+=(nginx:nginx openssl:openssl redis-server:redis-server redis-tools:redis-cli) ;;
  esac
done
missing=()
for item in "${want[@]}"; do
  pkg=${item%%:*}; cmd=${item#*:}
  if [ -n "$cmd" ]; then
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  else
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "Please install these Debian packages: ${missing[*]}" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
