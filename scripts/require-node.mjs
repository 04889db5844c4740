// Runs before `npm start`, `npm test` and the other commands: Baton runs its TypeScript directly, which needs
// Node 22.18 or newer, and DynamoDB Local's package (a test target) needs 22.22.2. Plain JavaScript, so that an
// older Node gets one line instead of a stack trace.
import { fileURLToPath } from 'node:url';

export const REQUIRED = '22.22.2';

/** The one line to print when `version` cannot run Baton, or undefined when it can. */
export function nodeProblem(version, execPath = process.execPath) {
  const have = version.split('.').map(Number);
  const need = REQUIRED.split('.').map(Number);
  const newer = have.findIndex((part, i) => part !== need[i]);
  if (newer === -1 || have[newer] > need[newer]) return undefined;
  return `Baton needs Node.js ${REQUIRED} or newer; this is Node ${version} (${execPath}). Install Node 24 (https://nodejs.org, or nvm install 24) and run the command again.`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = nodeProblem(process.versions.node);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}
