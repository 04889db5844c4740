#!/usr/bin/env node
// The `baton` command of the installed package. Plain JavaScript: an unsupported Node gets one clear line, and so
// does a project without baton-local (what the local cluster, the console and the CLI's parser run on).
import { nodeProblem } from '../scripts/require-node.mjs';

const problem =
  nodeProblem(process.versions.node) ??
  (await import('../dist/local/tooling.js')).localToolingProblem('the baton command');
if (problem) {
  console.error(problem);
  process.exit(1);
}
await import('../dist/local/cli.js');
