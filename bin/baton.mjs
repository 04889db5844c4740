#!/usr/bin/env node
// The `baton` command of the installed package. Plain JavaScript: an unsupported Node gets one clear line.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`Baton needs Node.js 22.18 or newer; this is Node ${process.versions.node} (${process.execPath}). Install Node 24 (https://nodejs.org, or nvm install 24) and run the command again.`);
  process.exit(1);
}
await import('../dist/local/cli.js');
