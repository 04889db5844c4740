import { World, STORM, type RunReport, type Weather } from './world.ts';
import type { Violation } from './oracle.ts';

/** Runs one seed (or replays its decisions) to the end, and says what it found. */
export async function runSeed(
  seed: number,
  options: { weather?: Weather; replay?: readonly number[]; blindAfterDeliver?: boolean; nested?: boolean } = {},
): Promise<RunReport> {
  const world = new World(seed, options.weather ?? STORM, options.replay, {
    blindAfterDeliver: options.blindAfterDeliver,
    nested: options.nested,
  });
  try {
    await world.run();
  } catch (error) {
    // The engine (or the world) threw where nothing should: that is a finding too.
    world.oracle.violations.push({
      kind: 'never settled',
      detail: `the run threw: ${(error as Error).stack ?? error}`,
    });
  }
  return world.report(seed);
}

/**
 * Makes a failing run smaller while it still fails the same way (the same kind of violation): its decisions are
 * replayed with stretches of them removed, then set to 0 (the calm choice: no fault, the first event, fewer orders),
 * then halved one by one, keeping each change that gives a shorter run that still fails. What is left is a short run
 * that shows the bug.
 */
export async function shrink(
  failing: RunReport,
  budgetMs = 20_000,
  options: { blindAfterDeliver?: boolean; nested?: boolean; weather?: Weather } = {},
): Promise<RunReport> {
  const kind = failing.violations[0]!.kind;
  let best = failing;
  const deadline = Date.now() + budgetMs;
  const weight = (r: RunReport) => r.events * 1e6 + r.decisions.reduce((a, b) => a + Math.min(b, 1e3), 0);
  const attempt = async (decisions: number[]): Promise<boolean> => {
    if (Date.now() > deadline) return false;
    const report = await runSeed(failing.seed, { replay: decisions, ...options });
    if (!report.violations.some((v) => v.kind === kind) || weight(report) >= weight(best)) return false;
    best = report;
    return true;
  };
  for (const size of [256, 64, 16, 4, 1]) {
    for (let at = 0; at < best.decisions.length && Date.now() < deadline; ) {
      const removed = [...best.decisions.slice(0, at), ...best.decisions.slice(at + size)];
      if (!(await attempt(removed))) at += size;
    }
  }
  for (const size of [64, 16, 4, 1]) {
    for (let at = 0; at < best.decisions.length && Date.now() < deadline; at += size) {
      if (best.decisions.slice(at, at + size).every((d) => d === 0)) continue;
      await attempt(best.decisions.map((d, i) => (i >= at && i < at + size ? 0 : d)));
    }
  }
  for (let i = 0; i < best.decisions.length && Date.now() < deadline; i++) {
    const value = best.decisions[i]!;
    if (value > 1) await attempt(best.decisions.map((d, j) => (j === i ? Math.floor(value / 2) : d)));
  }
  return best;
}

/** How a violation reads in a report. */
export function describe(violation: Violation): string {
  return `${violation.kind}: ${violation.detail}`;
}
