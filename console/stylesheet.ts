/**
 * The console's stylesheet (static/console.css), read once when the console starts and served at STYLESHEET_PATH.
 * The pages link it under an address that names its content (`?v=` its hash), so a browser may keep it for good and
 * still gets a changed one at once. It is found next to this module: in a checkout, `npm start` runs console/*.ts and
 * reads console/static/; the package runs dist/console/*.js and reads dist/console/static/, which the build copies
 * there (package.json's build script).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the console serves its stylesheet. */
export const STYLESHEET_PATH = '/static/console.css';

const FILE = new URL('./static/console.css', import.meta.url);

export interface Stylesheet {
  /** What the pages link to: STYLESHEET_PATH, with the content's version. */
  readonly href: string;
  readonly css: string;
}

export function loadStylesheet(file: URL = FILE): Stylesheet {
  let css: string;
  try {
    css = readFileSync(file, 'utf8');
  } catch (error) {
    const hint = 'a dist/ built without copying console/static/?';
    throw new Error(`the console's stylesheet is not at ${fileURLToPath(file)} (${hint}): ${(error as Error).message}`);
  }
  const version = createHash('sha256').update(css).digest('hex').slice(0, 12);
  return { href: `${STYLESHEET_PATH}?v=${version}`, css };
}
