import { Logger } from '@aws-lambda-powertools/logger';
import { readConfig } from './config.ts';
import { createReceiveHandler } from './receive.ts';
import { createRuntime } from './runtime.ts';

/** Lambda entry point of the receive host (and of the local host instances). */
export const handler = createReceiveHandler(createRuntime(readConfig()), new Logger({ serviceName: 'baton-receive-host' }));
