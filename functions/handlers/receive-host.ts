import { Logger } from '@aws-lambda-powertools/logger';
import { definitionsOf } from '../core/orchestrations-module.ts';
import { readConfig } from './config.ts';
import { createReceiveHandler } from './receive.ts';
import { createRuntime } from './runtime.ts';

/**
 * Lambda entry point of the receive host, for the orchestrations of `module`. The Baton construct generates the
 * entry that calls this with the user's module at its module scope, so configuration is read once per
 * execution environment.
 */
export function receiveHostHandler(module: unknown) {
  const config = readConfig();
  const runtime = createRuntime(config, {
    definitions: definitionsOf(module, process.env, 'the orchestrations module'),
  });
  return createReceiveHandler(runtime, new Logger({ serviceName: 'baton-receive-host' }), {
    deadLetterQueueArn: config.receiveDeadLetterQueueArn,
  });
}
