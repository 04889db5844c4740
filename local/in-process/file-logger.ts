import type { WriteStream } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The structured logger a host instance logs with (Powertools, as on Lambda), writing its JSON lines to the host
 * instance's own file instead of this process's stdout: what a host instance's process writes to its log.
 */
class FileLogger extends Logger {
  readonly #out: WriteStream;

  constructor(out: WriteStream, hostId: string, logLevel: string | undefined) {
    super({
      serviceName: 'baton-host',
      persistentKeys: { hostInstance: hostId },
      ...(logLevel ? { logLevel: logLevel as 'INFO' } : {}),
    });
    this.#out = out;
  }

  protected override printLog(_logLevel: number, log: Parameters<Logger['printLog']>[1]): void {
    // The base constructor may log before this one has set where to.
    if (#out in this) this.#out.write(`${JSON.stringify(log.getAttributes())}\n`);
  }
}

export function fileLogger(out: WriteStream, hostId: string, logLevel: string | undefined): Logger {
  return new FileLogger(out, hostId, logLevel);
}
