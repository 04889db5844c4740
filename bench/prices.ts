/**
 * AWS list prices used by the cost comparison: US East (N. Virginia), on-demand, no free tier, as published
 * on the services' pricing pages and read on PRICES_AS_OF. Update them (and the date) when AWS changes them.
 */
export const PRICES_AS_OF = '2026-11-24';
export const PRICE_SOURCES = [
  'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  'https://aws.amazon.com/sqs/pricing/',
  'https://aws.amazon.com/lambda/pricing/',
  'https://aws.amazon.com/step-functions/pricing/',
];

export const PRICES = {
  /** DynamoDB on-demand: per write request unit (1 KB) and per read request unit (4 KB strongly consistent). */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  /** SQS standard queue: per request (each 64 KB chunk of a request counts as one). */
  sqsRequest: 0.4 / 1e6,
  /** Lambda: per invocation, and per GB-second on arm64. */
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  /** Step Functions Standard: per state transition. */
  sfnStandardTransition: 25 / 1e6,
  /** Step Functions Express: per request, and per GB-second (billed in 64 MB, 100 ms steps). */
  sfnExpressRequest: 1 / 1e6,
  sfnExpressGbSecond: 0.00001667,
  /** Lambda durable functions: per durable operation (a step, a wait, a callback: each checkpoint). */
  lambdaDurableOperation: 8 / 1e6,
} as const;
