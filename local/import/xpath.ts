import { Untranslatable } from './csharp-text.ts';

/**
 * The field an XPath names in a JSON body: its steps' local names after the root element's (the body is the root's
 * content), `/*[local-name()='Order' and namespace-uri()='…']/*[local-name()='Total']` → `['Total']`. Paths that
 * search (`//`), filter or compute are not translated.
 */
export function xpathPath(xpath: string): string[] {
  const inner = xpath
    .trim()
    .replace(/^(string|number|count|boolean)\((.*)\)$/s, '$2')
    .trim();
  if (!inner.startsWith('/') || inner.startsWith('//')) throw new Untranslatable(`the XPath ${xpath}`);
  const steps: string[] = [];
  let depth = 0;
  let start = 1;
  for (let i = 1; i <= inner.length; i++) {
    const c = inner[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if ((c === '/' && depth === 0) || i === inner.length) {
      steps.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  const names = steps
    .filter((step) => step !== 'text()')
    .map((step) => {
      const local =
        /^@?\*\[local-name\(\)\s*=\s*'([^']+)'(?:\s+and\s+namespace-uri\(\)\s*=\s*'[^']*')?\](\[1\])?$/.exec(step);
      if (local) return local[1]!;
      const plain = /^@?(?:\w+:)?([\w.-]+)(\[1\])?$/.exec(step);
      if (plain) return plain[1]!;
      throw new Untranslatable(`the XPath step ${step}`);
    });
  if (names.length < 2) throw new Untranslatable(`the XPath ${xpath}, which names the whole message`);
  return names.slice(1);
}

/** An XML template (LoadXml's literal) as the object its elements make: the root's content, empty leaves as ''. */
export function xmlTemplate(xml: string): string {
  const body = xml.replace(/<\?xml[^>]*\?>/, '').trim();
  const root = /^<([\w:.-]+)[^>]*?(\/>|>([\s\S]*)<\/\1>)$/.exec(body);
  if (!root) throw new Untranslatable('an XML template that is not one element');
  return JSON.stringify(elementsOf(root[3] ?? ''));
}

function elementsOf(content: string): Record<string, unknown> | string {
  const result: Record<string, unknown> = {};
  const element = /<([\w:.-]+)[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/g;
  let found = false;
  for (const match of content.matchAll(element)) {
    found = true;
    const name = match[1]!.replace(/^\w+:/, '');
    result[name] = match[2] === undefined ? '' : elementsOf(match[2]);
  }
  return found ? result : content.trim();
}
