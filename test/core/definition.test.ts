import { describe, expect, it } from 'vitest';
import { code, complete, decide, orchestration, receive, send, when } from '../../functions/core/builder.ts';
import { compile } from '../../functions/core/compile/compile.ts';
import { DefinitionError } from '../../functions/core/errors.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { orderFulfilment, priceOrder, validateOrder } from '../../functions/orchestrations/order-fulfilment.ts';

describe('compile', () => {
  it('reports every problem of a malformed definition at once', () => {
    const bad = orchestration('bad name', 0, [
      code('x', () => {}),
      code('x', () => {}, { retry: { attempts: 0, backoffMs: -1 } }),
      decide('d', []),
      send('s', '', '', () => ({})),
    ]);
    try {
      compile(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DefinitionError);
      const problems = (error as DefinitionError).problems.join('\n');
      for (const expected of [
        'name "bad name"',
        'version must be',
        'used twice',
        'retry.attempts',
        'needs at least one branch',
        'needs a port',
        'first step must be an activating receive',
      ]) {
        expect(problems).toContain(expected);
      }
    }
  });

  it('links branches back to the shape after the decide', () => {
    const compiled = compile(orderFulfilment());
    expect(compiled.branchEntry.get('isValid')!.get('valid')).toBe('price');
    expect(compiled.next.get('sendInvoice')).toBe('done');
    expect(compiled.next.get('sendRejection')).toBe('done');
  });

  it('refuses a receive that is not the activation', () => {
    expect(() =>
      compile(
        orchestration('X', 1, [
          receive('a', 'A', { into: 'a' }),
          decide('d', [when('w', () => true, [receive('b', 'B', { into: 'b' })])]),
          complete('e'),
        ]),
      ),
    ).toThrow(/cannot activate: only the first step does/);
  });
});

describe('OrchestrationRegistry', () => {
  it('activates the newest version and still serves older ones', () => {
    const v1 = orchestration('Flow', 1, [receive('r', 'Go', { into: 'g' }), complete('e')]);
    const v2 = orchestration('Flow', 2, [receive('r', 'Go', { into: 'g' }), code('new', () => {}), complete('e')]);
    const registry = new OrchestrationRegistry([v2, v1]);
    const [target] = registry.route({ messageId: 'm', messageType: 'Go', body: {}, properties: {}, receivedAt: 0 });
    expect(target!.version).toBe(2);
    expect(registry.get('Flow', 1)!.shapes.has('new')).toBe(false);
  });

  it('refuses the same version twice', () => {
    const v1 = orchestration('Flow', 1, [receive('r', 'Go', { into: 'g' }), complete('e')]);
    expect(() => new OrchestrationRegistry([v1, v1])).toThrow(/registered twice/);
  });
});

describe('OrderFulfilment rules', () => {
  it.each([
    [{ orderId: 'o', customerId: ' ', lines: [{ sku: 'a', qty: 1, unitPrice: 1 }] }, 'customerId'],
    [{ orderId: 'o', customerId: 'c', lines: [] }, 'lines must be a non-empty array'],
    [
      { orderId: 'o', customerId: 'c', lines: [{ sku: 'a', qty: 1.5, unitPrice: 1 }] },
      'qty must be a positive integer',
    ],
    [{ orderId: 'o', customerId: 'c', lines: [{ sku: 'a', qty: 0, unitPrice: 1 }] }, 'qty must be a positive integer'],
    [{ orderId: 'o', customerId: 'c', lines: [{ sku: 'a', qty: 1, unitPrice: -1 }] }, 'unitPrice'],
  ])('rejects the well-formed order %j', (order, reason) => {
    expect(validateOrder(order)).toContain(reason);
  });

  it('prices in cents', () => {
    expect(
      priceOrder({
        orderId: 'o',
        customerId: 'c',
        lines: [
          { sku: 'a', qty: 3, unitPrice: 0.1 },
          { sku: 'b', qty: 1, unitPrice: 0.2 },
        ],
      }),
    ).toBe(0.5);
  });
});
