/**
 * The story of a business key (or of a message, or an instance): every instance and every suspended message its
 * tracked history links, what each is now, and their events in time order. A message held because no instance had
 * the key yet, then suspended, is in it by the key it carries; it opens its own page, to be resubmitted.
 */
import { html } from 'hono/html';
import type { InstanceState } from '../../functions/core/instance.ts';
import type { Story } from '../operations.ts';
import { instanceStatus } from './badges.ts';
import { eventsTable } from './events.ts';
import type { Html } from './html.ts';
import { layout, type PageContext } from './layout.ts';
import { instanceLink, searchLink } from './links.ts';
import { suspendedTable } from './messages.ts';
import { cell, heading, row, table, timeCell } from './tables.ts';

/** The flow of what was searched, on a page of its own. */
export function flowPage(ctx: PageContext, query: string, story: Story | undefined): Html {
  return layout(
    ctx,
    query ? `Message flow of ${query}` : 'Message flow',
    '',
    query && story
      ? html`<p>Every instance and suspended message tracked for ${searchLink(query)} (a business key, a message id
 or an instance id), and what happened to each, oldest first.</p>
${flowSection(story)}`
      : html`<p>Find a business key, a message id or an instance id with the search box above.</p>`,
  );
}

/** What the flow touched (its instances, its suspended messages), then its events. */
export function flowSection(story: Story): Html {
  const truncated = story.truncated ? ' (truncated: it reached its limit)' : '';
  const instances = story.subjects.filter((s) => !s.startsWith('message:'));
  const messages = story.subjects.length - instances.length;
  return html`<p>${story.subjects.length} instance(s) and message(s)${truncated}: ${instances.length} instance(s),
 ${messages} suspended message(s).</p>
${instances.length > 0 ? instanceTable(instances, story.instances) : ''}
${
  story.messages.length > 0
    ? html`<h3>Suspended messages</h3>
<p class="muted">Messages no instance took: refused, unreadable, or held because no instance had the key yet.
 Open one to resubmit it (edited or not) or discard it.</p>
${suspendedTable(story.messages, { state: true })}`
    : ''
}
<h3>Events</h3>
${eventsTable(story.events, true)}`;
}

function instanceTable(ids: readonly string[], states: Story['instances']): Html {
  return table(
    ['instance', 'orchestration', 'status', 'business key', 'where', 'updated'].map((label) => heading(label)),
    ids.map((id) => {
      const s = states[id];
      if (!s) return row([cell(instanceLink(id)), cell(html`<span class="muted">no longer in the MessageBox</span>`)]);
      return row([
        cell(instanceLink(id)),
        cell(`${s.orchestration}@${s.version}`),
        cell(instanceStatus(s)),
        cell(businessKey(s)),
        cell(s.cursor.threads.map((t) => t.at).join(', ')),
        timeCell(s.updatedAt),
      ]);
    }),
    'flow',
  );
}

/**
 * What an instance is about, as an operator names it: its correlation values (an order's id), each a search; a
 * branch instance, by its branch and the instance it is a branch of.
 */
export function businessKey(state: Pick<InstanceState, 'correlations' | 'branchOf'>, searched?: string): Html {
  const b = state.branchOf;
  if (b) return html`branch ${b.branch} of ${instanceLink(b.instanceId)}`;
  const values = Object.entries(state.correlations).map(([set, value]) =>
    value === searched
      ? html`<mark>${searchLink(value)}</mark> <span class="muted">(${set})</span> `
      : html`${searchLink(value)} <span class="muted">(${set})</span> `,
  );
  return values.length > 0 ? html`${values}` : html`<span class="muted">none</span>`;
}
