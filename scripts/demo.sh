#!/usr/bin/env bash
# The main job on the embedded default, with no registry and no network: validate the example
# bundle, build it into an OCI layout (its images come from a local layout generated
# deterministically), inspect what was built, and pull it back as an installer would.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.js ] || npm run --silent build
cli() { echo; echo "\$ ocibundle $*"; node bin/run.js "$@"; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "generating the example images into $scratch/images (deterministic, offline)..."
node --import tsx scripts/make-example-images.ts "$scratch/images" >/dev/null

cli validate bundles/hello-world/bundle.json bundles/shop/bundle.json
cli build bundles/shop/bundle.json --images "$scratch/images" --auto-update --output "$scratch/shop"
cli inspect "$scratch/shop:v2.3.1"
cli pull "$scratch/shop:v2.3.1" --output "$scratch/pulled" --with-images
cli validate --mode publish "$scratch/pulled/bundle.json"
echo
echo "the pulled bundle.json is the published config blob: $(sha256sum "$scratch/pulled/bundle.json" | cut -c1-64)"
