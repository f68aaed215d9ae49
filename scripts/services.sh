#!/usr/bin/env bash
# Starts the local database servers the tests use, if they are not already answering.
set -uo pipefail
if ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! mariadb-admin ping -h 127.0.0.1 --silent 2>/dev/null; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  for _ in $(seq 1 30); do mariadb-admin ping -h 127.0.0.1 --silent 2>/dev/null && break; sleep 1; done
fi
exit 0
