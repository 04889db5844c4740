/**
 * Six supported samples as one orchestrations module, for the local cluster (test/integration/patterns.test.ts):
 * WCP-4 Exclusive Choice, WCP-6 Multi-Choice (guarded branches), WCP-16 Deferred Choice, WCP-20 Cancel Case, WCP-21
 * Structured Loop, WCP-22 Recursion (child orchestrations in a For Each). Their activating message types differ, so
 * each message starts one of them.
 */
import { exclusiveChoice } from './wcp-04-exclusive-choice.ts';
import { multiChoice } from './wcp-06-multi-choice.ts';
import { deferredChoice } from './wcp-16-deferred-choice.ts';
import { cancelCase } from './wcp-20-cancel-case.ts';
import { structuredLoop } from './wcp-21-structured-loop.ts';
import { recursion } from './wcp-22-recursion.ts';

export const orchestrations = [exclusiveChoice, multiChoice, deferredChoice, cancelCase, structuredLoop, recursion];
