/**
 * WCP-31 Blocking Partial Join
 *
 * Definition: The convergence of two or more branches (say m) into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when n of the incoming branches have been enabled (where 2 ≤ n < m). The join construct resets when all active
 * incoming branches have been enabled once for the same process instance. Subsequent enablements of incoming
 * branches are blocked until the join has reset.
 * Rating: unsupported
 * Reason: As for WCP-28: `parallel(id, branches, { join: { atLeast: n }, rest: 'ignore' })` gives the n-of-m join
 * with the rest running on (WCP-30), but entered again (a loop's next pass) it forks anew at once, beside the m-n
 * branches of the last pass still running: nothing blocks the next activation until the join has reset.
 * BPEL: -
 * Pending: none planned; the same small engine feature as WCP-28 would make it direct (`rest: 'block'`: entered
 * again, the `parallel` forks only once the branches of its last fork all ended).
 */
export {};
