/** The audit trail: every operator action, newest first — who, what, on what, and how it ended. */
import { html } from 'hono/html';
import type { AuditEntry } from '../audit.ts';
import { outcomeCell } from './badges.ts';
import type { Html } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { instanceLink, messageLink } from './links.ts';
import { cell, heading, row, table, textCell, timeCell } from './tables.ts';

export function auditPage(ctx: PageContext, entries: readonly AuditEntry[]): Html {
  return layout(
    ctx,
    'Audit trail',
    '/audit',
    html`
${entries.length === 0 ? html`<p>No operator action yet.</p>` : trail(entries)}`,
  );
}

function trail(entries: readonly AuditEntry[]): Html {
  return table(
    ['when', 'who', 'action', 'target', 'outcome', 'detail'].map((label) => heading(label)),
    entries.map((e) =>
      row([
        timeCell(e.at),
        textCell(e.who),
        cell(e.action),
        // A resubmission's or a discard's target is a suspended message, a resume's or a termination's an instance:
        // each opens its page.
        cell(
          /^(resubmit|discard)/.test(e.action)
            ? messageLink(e.target)
            : /^(resume|terminate)/.test(e.action)
              ? instanceLink(e.target)
              : e.target,
        ),
        outcomeCell(e.outcome),
        textCell(e.detail ?? ''),
      ]),
    ),
  );
}
