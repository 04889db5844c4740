import { Logger } from '@aws-lambda-powertools/logger';
import { readConfig } from './config.ts';
import { createProcessingHandler } from './process.ts';
import { createRuntime } from './runtime.ts';

const config = readConfig();

/** Lambda entry point of the processing host (and of the local host instances). */
export const handler = createProcessingHandler(createRuntime(config), new Logger({ serviceName: 'baton-processing-host' }));
