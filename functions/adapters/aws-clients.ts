import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { RequestMeter } from './request-meter.ts';

export interface ClientOptions {
  /** Defaults to the SDK's own resolution (AWS_ENDPOINT_URL, then the AWS endpoint). */
  readonly endpoint?: string;
  readonly region?: string;
  readonly meter?: RequestMeter;
  /** Anything else to attach to the clients' middleware stacks (the chaos run's fault injector). */
  readonly hooks?: readonly ClientHook[];
}

export interface ClientHook {
  // biome-ignore lint/suspicious/noExplicitAny: every SDK v3 client's middleware stack, without its smithy types
  attach(client: { middlewareStack: { add(middleware: any, options: any): void } }, service: string): void;
}

/*
 * Retries and timeouts, chosen on purpose:
 * - DynamoDB: 3 attempts, standard mode (exponential backoff with jitter, retry quota). A conditional
 *   write that fails its condition is not retried by the SDK (it is a 400), which is what fencing needs.
 *   Requests time out after 3 s so a hung connection cannot outlive a lease (10 s) unnoticed.
 * - SQS sends: 3 attempts; a failed batch entry is retried by the adapter, not blindly by the SDK.
 * - SQS long polls: the request timeout exceeds the 20 s wait, or every empty poll would look like a failure.
 */
const keepAlive = { keepAlive: true, maxSockets: 64 };
function handler(requestTimeout: number): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: 2_000,
    requestTimeout,
    httpAgent: new Agent(keepAlive),
    httpsAgent: new HttpsAgent(keepAlive),
  });
}

export function dynamoDbDocumentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region,
    maxAttempts: 3,
    retryMode: 'standard',
    requestHandler: handler(3_000),
  });
  options.meter?.attach(client, 'DynamoDB');
  for (const hook of options.hooks ?? []) hook.attach(client, 'DynamoDB');
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function sqsClient(options: ClientOptions & { longPolling?: boolean } = {}): SQSClient {
  const client = new SQSClient({
    endpoint: options.endpoint,
    region: options.region,
    maxAttempts: 3,
    retryMode: 'standard',
    requestHandler: handler(options.longPolling ? 25_000 : 5_000),
  });
  options.meter?.attach(client, 'SQS');
  for (const hook of options.hooks ?? []) hook.attach(client, 'SQS');
  return client;
}

export function sfnClient(options: ClientOptions = {}): SFNClient {
  const client = new SFNClient({
    endpoint: options.endpoint,
    region: options.region,
    maxAttempts: 3,
    retryMode: 'standard',
    requestHandler: handler(5_000),
  });
  options.meter?.attach(client, 'StepFunctions');
  return client;
}

/**
 * The claim check's S3 client. Off AWS (an endpoint given, or AWS_ENDPOINT_URL) buckets are addressed by path, as
 * LocalStack and the embedded stack serve them; on AWS by host name. Bodies go up to megabytes: 20 s a request.
 */
export function s3Client(options: ClientOptions = {}): S3Client {
  const local = Boolean(options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: local,
    maxAttempts: 3,
    retryMode: 'standard',
    requestHandler: handler(20_000),
  });
  options.meter?.attach(client, 'S3');
  for (const hook of options.hooks ?? []) hook.attach(client, 'S3');
  return client;
}
