/**
 * Every decision a simulated run makes (which event happens next, whether a call fails, how long a pause lasts) is
 * drawn here, from one seed. The decisions taken are kept, so a run can be replayed from them exactly, and shrunk:
 * a replay given fewer or smaller decisions (a missing one reads as 0) makes a simpler run. 0 is always the calm
 * choice (no fault, the first event in order, the shortest pause), so shrinking moves a run towards a quiet one.
 */
export class Choices {
  readonly taken: number[] = [];
  readonly #replay: readonly number[] | undefined;
  #state: number;

  constructor(seed: number, replay?: readonly number[]) {
    this.#state = seed >>> 0 || 0x9e3779b9;
    this.#replay = replay;
  }

  /** A whole number in [0, n). */
  pick(n: number): number {
    if (n <= 1) return 0;
    const drawn = this.#replay ? (this.#replay[this.taken.length] ?? 0) : this.#next() % n;
    const value = Math.min(drawn, n - 1);
    this.taken.push(value);
    return value;
  }

  /** True with probability `p` (0 decisions, in a replay, are false: no fault). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    return this.pick(1_000_000) >= Math.round(1_000_000 * (1 - p));
  }

  /** A whole number in [min, max], min being the calm end. */
  between(min: number, max: number): number {
    return min + this.pick(max - min + 1);
  }

  /** One of the options, the first being the calm one. */
  one<T>(options: readonly T[]): T {
    return options[this.pick(options.length)]!;
  }

  /** mulberry32: small, fast, and good enough to spread the decisions of a run. */
  #next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}
