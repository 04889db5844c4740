#!/usr/bin/env node
// The `baton` command of the installed package. Plain JavaScript: an unsupported Node gets one clear line.
import { nodeProblem } from '../scripts/require-node.mjs';

const problem = nodeProblem(process.versions.node);
if (problem) {
  console.error(problem);
  process.exit(1);
}
await import('../dist/local/cli.js');
