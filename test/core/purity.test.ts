import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const CORE = join(import.meta.dirname, '../../functions/core');

describe('engine core', () => {
  it.each(readdirSync(CORE).filter((f) => f.endsWith('.ts')))(
    '%s imports no AWS SDK, no Lambda types and reads no environment',
    (file) => {
      const source = readFileSync(join(CORE, file), 'utf8');
      expect(source).not.toMatch(/from ['"]@aws-sdk\//);
      expect(source).not.toMatch(/from ['"]aws-lambda['"]/);
      expect(source).not.toMatch(/from ['"]@aws-lambda-powertools\//);
      expect(source).not.toMatch(/process\.env/);
      expect(source).not.toMatch(/from ['"]\.\.\/(adapters|handlers)\//);
    },
  );
});
