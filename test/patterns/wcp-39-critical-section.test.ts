import { beforeEach, expect, it } from 'vitest';
import { patternWorld } from './harness.ts';
import { journal } from './journal.ts';
import { criticalSection } from './wcp-39-critical-section.ts';

beforeEach(() => {
  journal.length = 0;
});

/** The journal's span of each section, from its first task's start to its last task's end. */
const span = (entries: readonly string[], first: string, last: string): [number, number] => [
  entries.indexOf(`+${first}`),
  entries.indexOf(`-${last}`),
];

it('WCP-39 Critical Section: once one section started, the other starts only after it completed', async () => {
  const w = patternWorld([criticalSection()]);
  await w.send('MonthEnd', { month: '2026-11' });
  await w.run();
  const [salesFrom, salesTo] = span(journal, 'salesDebit', 'salesCredit');
  const [payFrom, payTo] = span(journal, 'payrollDebit', 'payrollCredit');
  expect(salesFrom).toBeGreaterThanOrEqual(0);
  expect(payFrom).toBeGreaterThanOrEqual(0);
  expect(salesTo < payFrom || payTo < salesFrom).toBe(true);
  // The reports, outside the sections, ran at the same moment.
  expect(journal.slice(0, 2).sort()).toEqual(['+payrollReport', '+salesReport']);
  expect(w.sent()).toEqual(['MonthClosed']);
});

it('WCP-39 without the synchronized scopes, the two sections overlap', async () => {
  const w = patternWorld([criticalSection(false)]);
  await w.send('MonthEnd', { month: '2026-11' });
  await w.run();
  const [salesFrom, salesTo] = span(journal, 'salesDebit', 'salesCredit');
  const [payFrom, payTo] = span(journal, 'payrollDebit', 'payrollCredit');
  expect(salesTo < payFrom || payTo < salesFrom).toBe(false);
});
