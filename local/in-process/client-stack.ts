/**
 * The two steps of an AWS SDK client's middleware stack that Baton's hooks use (the request meter, the lost-write
 * counter, the latency model: `initialize` and `finalizeRequest`), for clients that answer in-process instead of
 * over HTTP. A hook attaches to such a client exactly as to an SDK client and sees the same `commandName`, `input`
 * and `output`. There is no retry loop: nothing between the two steps can fail but the service itself.
 */

// biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware arguments and results, of every client and command
type Handler = (args: any) => Promise<any>;
type Middleware = (next: Handler, context: { commandName: string }) => Handler;
interface Placement {
  readonly step?: string;
  readonly priority?: 'high' | 'normal' | 'low';
}

const PRIORITY = { high: 0, normal: 1, low: 2 } as const;

export class InProcessStack {
  readonly #entries: { middleware: Middleware; step: number; priority: number; order: number }[] = [];

  add(middleware: Middleware, placement: Placement = {}): void {
    // initialize runs outside finalizeRequest, as in the SDK (serialize and build, between them, do not exist here).
    const step = placement.step === 'finalizeRequest' ? 1 : 0;
    this.#entries.push({
      middleware,
      step,
      priority: PRIORITY[placement.priority ?? 'normal'],
      order: this.#entries.length,
    });
    this.#entries.sort((a, b) => a.step - b.step || a.priority - b.priority || a.order - b.order);
  }

  /** Runs one command through the hooks around `serve`, which answers its (possibly hook-changed) input. */
  async run<O>(commandName: string, input: unknown, serve: (input: never) => Promise<O>): Promise<O> {
    let handler: Handler = async (args: { input: never }) => ({ output: await serve(args.input) });
    for (let i = this.#entries.length - 1; i >= 0; i--)
      handler = this.#entries[i]!.middleware(handler, { commandName });
    const { output } = await handler({ input });
    return output as O;
  }
}
