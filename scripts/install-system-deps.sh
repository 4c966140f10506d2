#!/usr/bin/env bash
# Installs the Debian packages the integration tests use (third-party OCI clients and, later,
# the reference registry). Runs on every `npm test`; does nothing when they are present.
set -euo pipefail
need=()
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing ${need[*]}: run as root, or install them: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing ${need[*]} from Debian packages..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
