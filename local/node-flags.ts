/**
 * Node flags of the local cluster's processes (`npm start`'s own, in package.json, and each host instance's).
 * V8 sizes its young generation by the machine's memory: on this 24 GB machine it grew to 128 MB in `npm start`
 * and in every host instance, resident for good, and kept growing for the first minutes of a run. Capped at
 * 8 MB a semi-space, `npm start` under the soak's load held 289→297 MB instead of 404→413, and a host instance
 * 165 MB instead of 272, for a little more frequent young collections.
 */
export const LOCAL_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
