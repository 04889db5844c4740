/**
 * `baton/lambda`: the Lambda entry factories. The Baton construct generates each host's entry from them; you only
 * need them to wire a host yourself.
 *
 * @packageDocumentation
 */
export { receiveHostHandler } from './receive-host.ts';
export { processingHostHandler } from './processing-host.ts';
export { sweeperHandler } from './sweeper.ts';
export { trackingHandler } from './tracking.ts';
