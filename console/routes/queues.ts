/** The queues' DLQs: their depths, what waits in one, and its redrive after a confirmation. */
import type { Hono } from 'hono';
import type { Operations, RedriveResult } from '../operations.ts';
import { resultsPage } from '../views/actions.ts';
import type { PageContext } from '../views/layout.ts';
import { dlqPage, dlqsPage, redriveConfirmPage } from '../views/queues.ts';

export function queueRoutes(app: Hono, operations: Operations, ctx: () => PageContext): void {
  app.get('/dlqs', async (c) => c.html(dlqsPage(ctx(), await operations.queueDepths())));
  app.get('/dlqs/:queue', async (c) =>
    c.html(dlqPage(ctx(), c.req.param('queue'), await operations.deadLetters(c.req.param('queue')))),
  );
  app.post('/dlqs/:queue/confirm', async (c) => {
    const queue = c.req.param('queue');
    return c.html(redriveConfirmPage(ctx(), queue, await operations.deadLetterCount(queue)));
  });
  app.post('/dlqs/:queue/redrive', async (c) => {
    const result = await operations.redrive(c.req.param('queue'));
    return c.html(
      resultsPage(ctx(), redrivenTitle(result), [result], '/dlqs'),
      result.outcome === 'failed' ? 500 : 200,
    );
  });
}

/** How many moved, in the title: counted where the console moved them, else how many the DLQ held when it began. */
function redrivenTitle(result: RedriveResult): string {
  if (result.outcome !== 'done') return 'Not redriven';
  const { redrive, held } = result;
  if (redrive?.moved !== undefined) return `Redriven: ${redrive.moved} message(s) moved`;
  if (redrive?.how === 'StartMessageMoveTask')
    return `Redriven: a move task started${held === undefined ? '' : ` for about ${held} message(s)`}`;
  return 'Redriven';
}
