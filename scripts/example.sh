#!/usr/bin/env bash
# Baton as a user gets it: pack this repository (npm pack builds dist/), copy the example project out of the checkout
# (nothing of the checkout's node_modules can then stand in for what the package lacks), install the tarball there,
# type-check it with the strictest library check (skipLibCheck false), run its test on the local cluster, and
# synthesize its stack with cdk-nag.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
example=$(mktemp -d "${TMPDIR:-/tmp}/baton-example-XXXXXX")
trap 'rm -rf "$example"' EXIT
cp -R examples/expenses/. "$example/"
rm -rf "$example/node_modules" "$example/package-lock.json" "$example"/baton*.tgz
tarball=$(npm pack --silent --pack-destination "$example" | tail -1)
mv "$example/$tarball" "$example/baton.tgz"
echo "example: packed $tarball ($(du -k "$example/baton.tgz" | cut -f1) KB) into $example (a copy of examples/expenses)"
cd "$example"
npm install --no-audit --no-fund
npx tsc --noEmit --skipLibCheck false
if [ -n "${EXAMPLE_REPORT:-}" ]; then npm test -- --reporter=default --reporter=json --outputFile="$EXAMPLE_REPORT"; else npm test; fi
npm run synth
echo "example: outside the checkout, type-checked (skipLibCheck false), tested on the local cluster, synthesized with cdk-nag: ok"
cd "$root"
