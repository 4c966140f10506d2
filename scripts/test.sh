#!/usr/bin/env bash
# The whole test suite: system tools the tests use, type check, build, then every test file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm run --silent typecheck
npm run --silent build
mapfile -t files < <(find test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}" "$@"
