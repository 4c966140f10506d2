#!/usr/bin/env bash
# The main job on the embedded default, with no registry and no network: validate the example
# bundles, show the machine-readable result, check publish-readiness and canonicalise a copy.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.js ] || npm run --silent build
cli() { echo; echo "\$ ocibundle $*"; node bin/run.js "$@"; }

cli validate bundles/hello-world/bundle.json bundles/shop/bundle.json
cli validate --json bundles/hello-world/bundle.json

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp bundles/shop/bundle.json "$scratch/bundle.json"
cli validate --mode publish "$scratch/bundle.json" || echo "(exit $?: not ready to publish until its images are pinned by digest)"
cli fmt --check "$scratch/bundle.json" || echo "(exit $?: not canonical yet)"
cli fmt "$scratch/bundle.json"
echo; echo "canonical bytes ($(wc -c <"$scratch/bundle.json") bytes, sha256 $(sha256sum "$scratch/bundle.json" | cut -c1-64)):"
head -c 200 "$scratch/bundle.json"; echo '…'
