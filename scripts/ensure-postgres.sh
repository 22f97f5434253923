#!/usr/bin/env bash
# Starts the local PostgreSQL cluster if it is not accepting connections (installing it if absent).
set -euo pipefail
here=$(dirname "$0")
"$here/ensure-system-deps.sh" --postgres
if pg_isready -h 127.0.0.1 -p 5432 -q; then exit 0; fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && exit 0; sleep 1; done
echo "PostgreSQL did not start" >&2
exit 1
