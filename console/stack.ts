/**
 * A deployed Baton, found by its stack's name: DescribeStacks gives its outputs (declared by `Baton.addOutputs()`,
 * named in STACK_OUTPUTS), which say where its queues, dead-letter queues and tables are; STS says who the operator
 * is. Everything runs with the operator's own AWS credentials, from this machine: nothing new is deployed or exposed.
 */
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDbHistory } from '../functions/adapters/DynamoDbHistory.ts';
import { dynamoDbDocumentClient } from '../functions/adapters/aws-clients.ts';
import { STACK_OUTPUTS } from '../functions/settings.ts';
import { hostsFromHistory } from './hosts.ts';
import { localOperator, operationsFor, type ClusterAddresses, type OperatorOrchestrations } from './local.ts';
import type { Operations } from './operations.ts';

/** A deployed stack, and where to ask for it. */
export interface StackTarget {
  readonly stackName: string;
  /** @defaultValue the SDK's own (AWS_REGION, AWS_DEFAULT_REGION, the profile's region) */
  readonly region?: string;
  /** An emulator's endpoint (LocalStack, MiniStack). @defaultValue AWS_ENDPOINT_URL, else AWS itself */
  readonly endpoint?: string;
}

/** What a deployed stack's outputs say, as the console and the CLI use it. */
export interface DeployedStack extends ClusterAddresses {
  readonly stackName: string;
  readonly region: string;
  readonly status?: string;
  /** Processing host function name → the zone its instances run in, or "regional" (empty: an older stack). */
  readonly zones: Readonly<Record<string, string>>;
}

/** Who acts on the stack: their AWS identity (an ARN), or, where the endpoint cannot say (an emulator), a label. */
export interface OperatorIdentity {
  readonly operator: string;
  /** Set when the operator is not an AWS identity: why. */
  readonly unverified?: string;
}

/** A problem the operator can act on, in one sentence (no stack trace). */
export class StackProblem extends Error {
  override readonly name = 'StackProblem';
}

/** The outputs the console cannot do without (the timer state machine and the zones it can). */
const REQUIRED = [
  STACK_OUTPUTS.receiveQueueUrl,
  STACK_OUTPUTS.workQueueUrl,
  STACK_OUTPUTS.sendPortQueueUrls,
  STACK_OUTPUTS.deadLetterQueueUrls,
  STACK_OUTPUTS.tableName,
  STACK_OUTPUTS.historyTableName,
] as const;

/**
 * The addresses a stack's outputs give.
 *
 * @throws StackProblem naming the outputs it lacks (a stack deployed by an older Baton: redeploy it), or one that is
 * not what it should be.
 */
export function addressesFromOutputs(
  stack: { readonly stackName: string; readonly status?: string; readonly outputs: Readonly<Record<string, string>> },
  where: { readonly region: string; readonly endpoint?: string },
): DeployedStack {
  const { stackName, status, outputs } = stack;
  const missing = REQUIRED.filter((name) => !outputs[name]);
  if (missing.length > 0) {
    const what = `stack "${stackName}"${status ? ` (${status})` : ''} in ${where.region} has no output${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
    if (status?.endsWith('_IN_PROGRESS'))
      throw new StackProblem(`${what}: it is being deployed; try again when it is done`);
    if (status && /FAILED|ROLLBACK_COMPLETE$/.test(status) && Object.keys(outputs).length === 0)
      throw new StackProblem(`${what}: its last deployment failed; deploy it again`);
    throw new StackProblem(
      `${what}: it was deployed by an older Baton, or it is not a Baton stack. Redeploy it (npx cdk deploy) with this Baton; a stack of your own declares them with baton.addOutputs()`,
    );
  }
  const json = (name: string): Record<string, string> => {
    let value: unknown;
    try {
      value = JSON.parse(outputs[name]!);
    } catch {
      value = undefined;
    }
    if (
      !value ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      Object.values(value).some((v) => typeof v !== 'string' || v === '')
    ) {
      throw new StackProblem(
        `output ${name} of stack "${stackName}" is not a JSON object of names to values: ${abbreviate(outputs[name]!)}`,
      );
    }
    return value as Record<string, string>;
  };
  const sendPortQueueUrls = json(STACK_OUTPUTS.sendPortQueueUrls);
  if (Object.keys(sendPortQueueUrls).length === 0)
    throw new StackProblem(`output ${STACK_OUTPUTS.sendPortQueueUrls} of stack "${stackName}" names no send port`);
  return {
    stackName,
    region: where.region,
    ...(status ? { status } : {}),
    ...(where.endpoint ? { endpoint: where.endpoint } : {}),
    tableName: outputs[STACK_OUTPUTS.tableName]!,
    historyTableName: outputs[STACK_OUTPUTS.historyTableName]!,
    receiveQueueUrl: outputs[STACK_OUTPUTS.receiveQueueUrl]!,
    workQueueUrl: outputs[STACK_OUTPUTS.workQueueUrl]!,
    sendPortQueueUrls,
    deadLetterQueueUrls: json(STACK_OUTPUTS.deadLetterQueueUrls),
    ...(outputs[STACK_OUTPUTS.claimCheckBucket] ? { claimCheckBucket: outputs[STACK_OUTPUTS.claimCheckBucket] } : {}),
    zones: outputs[STACK_OUTPUTS.processingHostZones] ? json(STACK_OUTPUTS.processingHostZones) : {},
  };
}

/** The clients a stack is found with (tests pass their own). */
export interface StackClients {
  readonly cloudFormation: Pick<CloudFormationClient, 'send' | 'config'>;
  readonly sts: Pick<STSClient, 'send'>;
}

export function stackClients(target: StackTarget): StackClients {
  const options = { region: target.region, endpoint: target.endpoint, maxAttempts: 3 };
  return { cloudFormation: new CloudFormationClient(options), sts: new STSClient(options) };
}

/**
 * Finds a deployed stack by its name and reads its outputs.
 *
 * @throws StackProblem: no region, no credentials, no such stack, missing outputs, an unreachable endpoint.
 */
export async function describeDeployedStack(
  target: StackTarget,
  clients: StackClients = stackClients(target),
): Promise<DeployedStack> {
  const region = await regionOf(target, clients);
  let stack: Stack | undefined;
  try {
    stack = (await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: target.stackName }))).Stacks?.[0];
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === 'ValidationError' && /does not exist/i.test(e.message ?? '')) throw noSuchStack(target, region);
    throw new StackProblem(
      awsProblem(error, target, region, 'cloudformation:DescribeStacks') ??
        `DescribeStacks of "${target.stackName}" in ${region} failed: ${e.message ?? e.name}`,
    );
  }
  if (!stack) throw noSuchStack(target, region);
  const outputs = Object.fromEntries(
    (stack.Outputs ?? []).flatMap((o) =>
      o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [],
    ),
  );
  return addressesFromOutputs(
    { stackName: stack.StackName ?? target.stackName, status: stack.StackStatus, outputs },
    { region, endpoint: target.endpoint },
  );
}

/**
 * The operator, by their AWS identity (sts:GetCallerIdentity needs no permission). An emulator that does not answer
 * it gets the local user's name, labelled unverified; against AWS, no identity is no console.
 *
 * @throws StackProblem without credentials, or when AWS refuses them.
 */
export async function operatorIdentity(
  target: StackTarget,
  clients: Pick<StackClients, 'sts'> = stackClients(target),
): Promise<OperatorIdentity> {
  try {
    const { Arn } = await clients.sts.send(new GetCallerIdentityCommand({}));
    if (Arn) return { operator: Arn };
    throw new Error('GetCallerIdentity answered no ARN');
  } catch (error) {
    const problem = awsProblem(error, target, target.region ?? '', 'sts:GetCallerIdentity');
    if (problem && !isUnreachable(error)) throw new StackProblem(problem);
    if (!target.endpoint)
      throw new StackProblem(
        problem ?? `could not tell who you are (sts:GetCallerIdentity): ${(error as Error).message}`,
      );
    return {
      operator: `${localOperator()} (unverified)`,
      unverified: `${target.endpoint} did not answer sts:GetCallerIdentity (${(error as Error).message}); actions are recorded as the local user ${localOperator()}, labelled unverified`,
    };
  }
}

/**
 * A deployed stack's console operations: its queues and tables from its outputs, its host instances from its history,
 * and, for resume and terminate, the orchestrations its hosts run, loaded from the project's checkout (a stack's
 * outputs do not carry them).
 */
export function stackOperations(
  stack: DeployedStack,
  identity: OperatorIdentity,
  orchestrations?: OperatorOrchestrations,
): Operations {
  const history = new DynamoDbHistory(
    dynamoDbDocumentClient({ endpoint: stack.endpoint, region: stack.region }),
    stack.historyTableName!,
  );
  return operationsFor(stack, {
    operator: identity.operator,
    hosts: hostsFromHistory(history, { zones: stack.zones }),
    orchestrations,
  });
}

/** What the console's header says it looks at. */
export function stackWhere(stack: DeployedStack): string {
  return `stack ${stack.stackName} (${stack.region}${stack.endpoint ? `, ${stack.endpoint}` : ''})`;
}

async function regionOf(target: StackTarget, clients: StackClients): Promise<string> {
  if (target.region) return target.region;
  try {
    const region = await clients.cloudFormation.config.region();
    if (region) return region;
  } catch {
    // said below
  }
  throw new StackProblem('no AWS region: pass --region, or set AWS_REGION (or a region in your AWS profile)');
}

function noSuchStack(target: StackTarget, region: string): StackProblem {
  return new StackProblem(
    `no stack "${target.stackName}" in ${region}${target.endpoint ? ` at ${target.endpoint}` : ''}: check its name (npx cdk list) and the region (--region)`,
  );
}

const SIGN_IN =
  'sign in (aws sso login, aws configure, AWS_PROFILE=…, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and try again';

/** An AWS failure the operator can act on, said as such; undefined for anything else. */
export function awsProblem(error: unknown, target: StackTarget, region: string, action: string): string | undefined {
  const e = error as { name?: string; Code?: string; message?: string };
  const name = e.name ?? e.Code ?? '';
  const message = e.message ?? '';
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message))
    return `no AWS credentials: ${SIGN_IN}`;
  if (
    /^(ExpiredToken|ExpiredTokenException|RequestExpired)$/.test(name) ||
    /token.*expired|expired.*token/i.test(message)
  )
    return `your AWS credentials have expired: ${SIGN_IN}`;
  if (
    /^(InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|InvalidSignatureException|AuthFailure)$/.test(
      name,
    )
  )
    return `AWS refused these credentials (${name}: ${message}): ${SIGN_IN}`;
  if (/AccessDenied/.test(name)) return `AWS refused ${action}${region ? ` in ${region}` : ''}: ${message}`;
  if (isUnreachable(error))
    return `could not reach ${target.endpoint ?? `AWS${region ? ` in ${region}` : ''}`}: ${message || (error as NodeJS.ErrnoException).code}`;
  return undefined;
}

function isUnreachable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? (error as { cause?: NodeJS.ErrnoException }).cause?.code;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code ?? '') ||
    (error as Error).name === 'TimeoutError'
  );
}

function abbreviate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
