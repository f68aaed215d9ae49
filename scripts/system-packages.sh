#!/usr/bin/env bash
# Installs the Debian packages Dozvon needs: "run" for the demo, "test" adds the real test peers.
# Skips apt entirely when everything is already there, so repeated runs are fast and offline-safe.
set -euo pipefail
profile="${1:-run}"
run_pkgs=(espeak-ng sox)
test_pkgs=(sip-tester baresip kamailio linphone-cli tshark firebird3.0-server-core libfbclient2
           unixodbc odbc-postgresql odbc-mariadb libsqliteodbc odbc-mdbtools mdbtools
           php-cli php-mysql openssh-server nodejs chromium chromium-driver)
pkgs=("${run_pkgs[@]}")
[ "$profile" = "test" ] && pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
