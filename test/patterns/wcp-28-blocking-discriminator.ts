/**
 * WCP-28 Blocking Discriminator
 *
 * Definition: The convergence of two or more branches into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when the first active incoming branch has been enabled. The Blocking Discriminator construct resets when all
 * active incoming branches have been enabled once for the same process instance. Subsequent enablements of incoming
 * branches are blocked until the Blocking Discriminator has reset.
 * Rating: unsupported
 * Reason: The first half is there: `parallel(id, branches, { join: 'first', rest: 'ignore' })` passes control on
 * once, after the first branch, and lets the others run on (WCP-9). The blocking is not: each entry into the
 * `parallel` (a loop's next pass) forks branch instances of its own with a join of its own, at once, beside the last
 * pass's branches still running, so a second activation's branches are never held back until the first's have all
 * ended, and its downstream can run before the first activation has reset. No shape waits for the branches a join
 * let run on, and a workaround would need them named by hand (bookkeeping the engine does not expose).
 * BPEL: -
 * Pending: none planned; a small engine feature would make it direct: a rest policy that lets the other branches run
 * on but keeps them in the shape's next activation (say `rest: 'block'`: entered again, the `parallel` forks only
 * once the branches of its last fork all ended).
 */
export {};
