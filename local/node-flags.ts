/**
 * Node flags of the local cluster's processes (`npm start`'s own, in package.json, and each host instance's).
 * V8 sizes its young generation by the machine's memory: on this 24 GB machine it grew to 128 MB in `npm start`
 * and in every host instance, resident for good. Capped at 8 MB a semi-space, `npm start` under the soak's load
 * sits about 110 MB lower and a host instance at about 176 MB instead of 272, for more frequent young collections
 * (docs/benchmarks.md, "Soak").
 */
export const LOCAL_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
