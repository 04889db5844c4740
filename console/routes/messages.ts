/** Suspended messages: the list, one message, and resubmit, send again and discard, each after a confirmation. */
import type { Hono } from 'hono';
import type { ActionResult, Operations } from '../operations.ts';
import { resultsPage } from '../views/actions.ts';
import { notFoundPage } from '../views/errors.ts';
import type { PageContext } from '../views/layout.ts';
import { messageConfirmPage, messagePage, messagesPage } from '../views/messages.ts';

export function messageRoutes(app: Hono, operations: Operations, ctx: () => PageContext): void {
  const page = (id: string) => `/messages/${encodeURIComponent(id)}`;

  app.get('/messages', async (c) => c.html(messagesPage(ctx(), await operations.suspendedMessages())));
  app.get('/messages/:id', async (c) => {
    const message = await operations.suspendedMessage(c.req.param('id'));
    return message
      ? c.html(messagePage(ctx(), message))
      : c.html(notFoundPage(ctx(), `No suspended message ${c.req.param('id')}.`), 404);
  });
  app.post('/messages/:id/confirm', async (c) => {
    const message = await operations.suspendedMessage(c.req.param('id'));
    if (!message) return c.html(notFoundPage(ctx(), `No suspended message ${c.req.param('id')}.`), 404);
    const body = await c.req.parseBody();
    const action = body.action === 'discard' ? 'discard' : body.action === 'again' ? 'again' : 'resubmit';
    return c.html(
      messageConfirmPage(ctx(), message, action, {
        body: String(body.body ?? message.body),
        messageType: String(body.messageType ?? ''),
        reason: String(body.reason ?? ''),
      }),
    );
  });
  app.post('/messages/:id/resubmit', async (c) => {
    const body = await c.req.parseBody();
    const result = await operations.resubmit(c.req.param('id'), {
      body: typeof body.body === 'string' ? body.body : undefined,
      messageType: typeof body.messageType === 'string' ? body.messageType : undefined,
    });
    // A send that failed after the claim is sent again from the message's own page (it has left the list).
    const back = result.outcome === 'failed' ? page(c.req.param('id')) : '/messages';
    return c.html(
      resultsPage(ctx(), result.outcome === 'done' ? 'Resubmitted' : 'Not resubmitted', [result], back),
      result.outcome === 'failed' ? 500 : 200,
    );
  });
  app.post('/messages/:id/again', async (c) => {
    const result = await operations.sendAgain(c.req.param('id'));
    const title = result.outcome === 'done' ? 'Sent again' : 'Not sent again';
    return c.html(
      resultsPage(ctx(), title, [result], page(c.req.param('id'))),
      result.outcome === 'failed' ? 500 : 200,
    );
  });
  app.post('/messages/:id/discard', async (c) => {
    const body = await c.req.parseBody();
    const reason = String(body.reason ?? '');
    if (!reason.trim()) {
      const refused: ActionResult = {
        target: c.req.param('id'),
        outcome: 'refused',
        detail: 'discarding a message needs a reason',
      };
      return c.html(resultsPage(ctx(), 'Not discarded', [refused], page(c.req.param('id'))), 400);
    }
    const result = await operations.discard(c.req.param('id'), reason);
    return c.html(resultsPage(ctx(), result.outcome === 'done' ? 'Discarded' : 'Not discarded', [result], '/messages'));
  });
}
