#!/usr/bin/env bash
# Installs the Debian packages the integration tests use: third-party OCI clients (skopeo, umoci),
# the reference registry (docker-registry = CNCF distribution 2.8) and what the registry harness
# (test/helpers/registry/) needs to set it up: openssl (TLS, client and token-signing certificates),
# apache2-utils (`htpasswd -B`, bcrypt for the Basic-auth variant) and tinyproxy (the forward proxy
# the proxy tests go through).
# Runs on every `npm test`: it only checks commands when everything is present (no apt, no output),
# and runs `apt-get update` once, only when something is missing.
set -euo pipefail
need=()
# command → Debian package that provides it
for pair in skopeo:skopeo umoci:umoci docker-registry:docker-registry openssl:openssl htpasswd:apache2-utils tinyproxy:tinyproxy; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing ${need[*]}: run as root, or install them: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing ${need[*]} from Debian packages..." >&2
export DEBIAN_FRONTEND=noninteractive
# apt's chatter (debconf notices...) is only shown when a step fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "installing ${need[*]} failed" >&2
  exit 1
fi
