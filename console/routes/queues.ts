/** The queues' DLQs: their depths, what waits in one, and its redrive after a confirmation. */
import type { Hono } from 'hono';
import type { Operations } from '../operations.ts';
import { resultsPage } from '../views/actions.ts';
import type { PageContext } from '../views/layout.ts';
import { dlqPage, dlqsPage, redriveConfirmPage } from '../views/queues.ts';

export function queueRoutes(app: Hono, operations: Operations, ctx: () => PageContext): void {
  app.get('/dlqs', async (c) => c.html(dlqsPage(ctx(), await operations.queueDepths())));
  app.get('/dlqs/:queue', async (c) =>
    c.html(dlqPage(ctx(), c.req.param('queue'), await operations.deadLetters(c.req.param('queue')))),
  );
  app.post('/dlqs/:queue/confirm', (c) => c.html(redriveConfirmPage(ctx(), c.req.param('queue'))));
  app.post('/dlqs/:queue/redrive', async (c) => {
    const result = await operations.redrive(c.req.param('queue'));
    return c.html(
      resultsPage(ctx(), result.outcome === 'done' ? 'Redriven' : 'Not redriven', [result], '/dlqs'),
      result.outcome === 'failed' ? 500 : 200,
    );
  });
}
