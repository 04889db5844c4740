#!/usr/bin/env bash
# Baton as a user gets it: pack this repository (npm pack builds dist/), install the tarball into the example
# project, type-check it, run its test on the local cluster, and synthesize its stack with cdk-nag.
set -euo pipefail
cd "$(dirname "$0")/.."
example=examples/expenses
rm -f "$example"/baton*.tgz
tarball=$(npm pack --silent --pack-destination "$example" | tail -1)
mv "$example/$tarball" "$example/baton.tgz"
echo "example: packed $tarball ($(du -k "$example/baton.tgz" | cut -f1) KB) into $example/baton.tgz"
cd "$example"
# The tarball changes with every pack: install it afresh rather than trust a lock file made from another.
rm -rf node_modules/baton package-lock.json
npm install --no-audit --no-fund
npm run typecheck
if [ -n "${EXAMPLE_REPORT:-}" ]; then npm test -- --reporter=default --reporter=json --outputFile="$EXAMPLE_REPORT"; else npm test; fi
npm run synth
echo "example: type-checked, tested on the local cluster, synthesized with cdk-nag: ok"
