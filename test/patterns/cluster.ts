/**
 * Four supported samples as one orchestrations module, for the local cluster (test/integration/patterns.test.ts):
 * WCP-4 Exclusive Choice, WCP-16 Deferred Choice, WCP-20 Cancel Case, WCP-21 Structured Loop. Their activating
 * message types differ, so each message starts one of them.
 */
import { exclusiveChoice } from './wcp-04-exclusive-choice.ts';
import { deferredChoice } from './wcp-16-deferred-choice.ts';
import { cancelCase } from './wcp-20-cancel-case.ts';
import { structuredLoop } from './wcp-21-structured-loop.ts';

export const orchestrations = [exclusiveChoice, deferredChoice, cancelCase, structuredLoop];
