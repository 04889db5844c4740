import { Logger } from '@aws-lambda-powertools/logger';
import { definitionsOf } from '../core/orchestrations-module.ts';
import { readConfig } from './config.ts';
import { createProcessingHandler } from './process.ts';
import { createRuntime } from './runtime.ts';

/**
 * Lambda entry point of the processing host, for the orchestrations of `module` (see receive-host.ts). Each
 * batch's work items are held with a visibility lease as long as the step lease, so a dead execution
 * environment's work comes back within a lease, not after the queue's one-minute visibility timeout (the local
 * host instances' pollers do the same themselves).
 */
export function processingHostHandler(module: unknown) {
  const config = readConfig();
  const runtime = createRuntime(config, {
    definitions: definitionsOf(module, process.env, 'the orchestrations module'),
  });
  return createProcessingHandler(runtime, new Logger({ serviceName: 'baton-processing-host' }), undefined, {
    holdVisibility: { queueUrl: config.workQueueUrl, seconds: Math.max(1, Math.ceil(config.leaseMs / 1000)) },
  });
}
