/**
 * An SQS client that answers in the embedded stack's process (fauxqs's actions on its store, EmbeddedQueues), for the
 * host instances that run there: the pollers and the SQS adapters run unchanged on it, and the hooks attach to it
 * as to the SDK's. The input is what the JSON protocol carries (the SDK's input, binary values in base64), and so is
 * the answer; queue URLs are given as the endpoint presents them.
 */
import * as sqs from '@aws-sdk/client-sqs';
import { SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { InProcessStack } from './client-stack.ts';
import type { EmbeddedQueues } from './queues.ts';

const QUEUE_HOST = /http:\/\/sqs\.[a-z0-9-]+\.localhost:\d+\//g;

export class InProcessSqsClient extends SQSClient {
  readonly #queues: EmbeddedQueues;
  readonly #request: { headers: Record<string, string> };
  readonly #endpoint: string;

  /** `endpoint`: the embedded stack's address, which queue URLs name. */
  constructor(queues: EmbeddedQueues, endpoint: string) {
    const region = process.env.AWS_REGION ?? 'us-east-1';
    super({ region, endpoint, credentials: { accessKeyId: 'in-process', secretAccessKey: 'in-process' } });
    this.#queues = queues;
    this.#endpoint = endpoint.replace(/\/$/, '');
    // What fauxqs reads of a request: the region a signature names, and the host queue URLs are built on.
    this.#request = {
      headers: {
        host: new URL(endpoint).host,
        authorization: `AWS4-HMAC-SHA256 Credential=in-process/20260101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
      },
    };
    (this as { middlewareStack: unknown }).middlewareStack = new InProcessStack();
  }

  // biome-ignore lint/suspicious/noExplicitAny: every SQS command, as the SDK's `send` takes them
  override async send(command: any): Promise<any> {
    const commandName: string = command.constructor.name;
    const action = commandName.replace(/Command$/, '');
    const stack = this.middlewareStack as unknown as InProcessStack;
    return stack.run(commandName, command.input, async (input: unknown) => {
      const serve = await this.#queues.action(action);
      if (!serve)
        throw new SQSServiceException({
          name: 'InvalidAction',
          message: `Unknown action: ${action}`,
          $fault: 'client',
          $metadata: {},
        });
      try {
        const answer = await serve(toWire(input), this.#queues.store, this.#request);
        const body = (
          NAMES_QUEUES.has(action) ? this.#presented(answer) : action === 'ReceiveMessage' ? withBytes(answer) : answer
        ) as object;
        return { ...body, $metadata: { httpStatusCode: 200 } };
      } catch (error) {
        if (!this.#queues.isQueueError(error)) throw error;
        throw exceptionOf(error.code, error.message, error.statusCode, error.senderFault);
      }
    });
  }

  override destroy(): void {}

  /** Queue URLs as the endpoint presents them: fauxqs names its own host. */
  #presented(answer: unknown): unknown {
    return JSON.parse(JSON.stringify(answer ?? {}).replace(QUEUE_HOST, `${this.#endpoint}/`));
  }
}

/** The answers that carry queue URLs. */
const NAMES_QUEUES = new Set(['GetQueueUrl', 'ListQueues', 'CreateQueue', 'ListDeadLetterSourceQueues']);

/** The SDK's exception for a fauxqs error, as its deserializer would throw it. */
function exceptionOf(code: string, message: string, status: number, senderFault: boolean): Error {
  const Exception = (sqs as unknown as Record<string, unknown>)[code];
  const options = { message, $metadata: { httpStatusCode: status } };
  if (typeof Exception === 'function' && Exception.prototype instanceof SQSServiceException)
    return new (Exception as new (o: typeof options) => Error)(options);
  return new SQSServiceException({ name: code, $fault: senderFault ? 'client' : 'server', ...options });
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON protocol body, walked for binary values
type Json = any;

/** Binary attribute values travel as base64 on the JSON protocol. */
function toWire(input: Json): Json {
  if (!input || typeof input !== 'object') return input;
  if (input instanceof Uint8Array) return Buffer.from(input).toString('base64');
  if (Array.isArray(input)) return input.map(toWire);
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) out[key] = toWire(value);
  return out;
}

/** A received message's binary attribute values as the SDK gives them, bytes (the JSON protocol carries base64). */
function withBytes(answer: Json): Json {
  const binary = (message: Json) =>
    Object.values(message.MessageAttributes ?? {}).some((v) => typeof (v as Json).BinaryValue === 'string');
  if (!answer?.Messages?.some(binary)) return answer;
  // Copies: the queue's own message keeps its attributes as they were.
  return {
    ...answer,
    Messages: answer.Messages.map((message: Json) => ({
      ...message,
      MessageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          typeof (value as Json).BinaryValue === 'string'
            ? { ...(value as Json), BinaryValue: Buffer.from((value as Json).BinaryValue, 'base64') }
            : value,
        ]),
      ),
    })),
  };
}
