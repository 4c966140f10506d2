#!/usr/bin/env bash
# The whole test suite: system tools the tests use, lint (layers, cycles, formatting), build, type
# check (the tests import the built package by name), then every test file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm run --silent lint
npm run --silent build
npm run --silent typecheck
mapfile -t files < <(find test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}" "$@"
