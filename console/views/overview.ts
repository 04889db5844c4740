/** The overview: instances by status and by orchestration, the host instances, the queues. It refreshes itself. */
import { html } from 'hono/html';
import type { Overview } from '../operations.ts';
import type { Html } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { queueTable } from './queues.ts';
import { cell, heading, numCell, numHeading, row, rowHeading, table, timeCell } from './tables.ts';

const ACTIVE = ['running', 'waiting', 'suspended'] as const;

/** Said where the list of host instances would be, when it is empty and the operations say nothing of why. */
const LAMBDA_HOSTS =
  "On Lambda, host instances are execution environments; each instance's history names the one that ran each step.";

export function overviewPage(ctx: PageContext, o: Overview): Html {
  return layout(
    ctx,
    'Overview',
    '/',
    html`
<p class="muted">Refreshes every 5 seconds.</p>
<h2>Instances by status</h2>
${statusTable(o)}
<p class="muted">Counts include parallel branch instances, each an instance of its own.</p>
<h2>Active instances by orchestration and version</h2>
${orchestrationTable(o)}
<h2>Host instances</h2>
${hostTable(o)}
<h2>Queues</h2>
${queueTable(o.queues)}`,
    { refreshSeconds: 5 },
  );
}

/** A count that opens what it counts. */
const count = (href: string, n: number | undefined): Html => numCell(html`<a href="${href}">${n ?? 0}</a>`);

function statusTable(o: Overview): Html {
  return table(
    [...ACTIVE, 'completed (24 h)', 'terminated (24 h)', 'suspended messages'].map((label) => heading(label)),
    [
      row([
        ...ACTIVE.map((s) => count(`/search?status=${s}`, o.counts[s])),
        count('/search?status=completed', o.ended24h.completed),
        count('/search?status=terminated', o.ended24h.terminated),
        count('/messages', o.counts.message),
      ]),
    ],
  );
}

function orchestrationTable(o: Overview): Html {
  const rows = Object.entries(o.byOrchestration).sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) return html`<p>None running, waiting or suspended.</p>`;
  return html`
${table(
  [heading('orchestration'), ...ACTIVE.map((s) => numHeading(s))],
  rows.map(([name, counts]) =>
    row([
      rowHeading(name),
      ...ACTIVE.map((s) => count(`/search?status=${s}&orchestration=${encodeURIComponent(name)}`, counts[s])),
    ]),
  ),
)}<p class="muted">From the first ${o.sampled} instances of each status.</p>`;
}

function hostTable(o: Overview): Html {
  if (o.hosts.length === 0) return html`<p class="muted">${o.hostsBasis ?? LAMBDA_HOSTS}</p>`;
  const headings = [
    heading('host instance'),
    heading('status'),
    heading('last heartbeat'),
    numHeading('work items'),
    numHeading('completed'),
    numHeading('restarts'),
    heading('zone'),
  ];
  const rows = o.hosts.map((h) =>
    row([
      rowHeading(h.name),
      cell(h.status),
      timeCell(h.lastHeartbeat),
      numCell(h.workItems),
      numCell(h.completed),
      numCell(h.restarts ?? ''),
      cell(h.zone ?? ''),
    ]),
  );
  return html`
${table(headings, rows)}${o.hostsBasis ? html`<p class="muted">${o.hostsBasis}</p>` : ''}`;
}
