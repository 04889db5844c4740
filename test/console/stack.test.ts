import { describe, expect, it } from 'vitest';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { STSClient } from '@aws-sdk/client-sts';
import {
  addressesFromOutputs,
  describeDeployedStack,
  operatorIdentity,
  type StackClients,
} from '../../console/stack.ts';
import { localOperator } from '../../console/local.ts';

const URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012';
/** What a stack deployed by this Baton outputs (BatonStack, through Baton.addOutputs()). */
const OUTPUTS = {
  ReceiveQueueUrl: `${URL}/Baton-ReceiveQueue`,
  SendQueueUrl: `${URL}/Baton-SendQueue`,
  WorkQueueUrl: `${URL}/Baton-WorkQueue`,
  SendPortQueueUrls: JSON.stringify({ send: `${URL}/Baton-SendQueue`, audit: `${URL}/Baton-SendPortaudit` }),
  DeadLetterQueueUrls: JSON.stringify({
    receive: `${URL}/Baton-ReceiveDlq`,
    work: `${URL}/Baton-WorkDlq`,
    send: `${URL}/Baton-SendDlq`,
    audit: `${URL}/Baton-auditDlq`,
  }),
  TableName: 'Baton-MessageBoxTable',
  HistoryTableName: 'Baton-TrackingHistory',
  TimerStateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:Timers',
  ProcessingHostZones: JSON.stringify({ 'Baton-HostA': 'eu-west-1a', 'Baton-HostB': 'eu-west-1b' }),
};
/** What a stack deployed before the console could find one by its name had. */
const { WorkQueueUrl: _w, SendPortQueueUrls: _s, DeadLetterQueueUrls: _d, ProcessingHostZones: _z, ...OLDER } = OUTPUTS;

/** CloudFormation and STS as a stack's tests need them: answers, or failures, per operation. */
function clients(answer: { stacks?: () => unknown; identity?: () => unknown; region?: string }): StackClients {
  const call = async (f?: () => unknown) => {
    if (!f) throw new Error('not expected');
    return f();
  };
  return {
    cloudFormation: {
      send: () => call(answer.stacks),
      config: {
        region: async () => {
          if (!answer.region) throw new Error('Region is missing');
          return answer.region;
        },
      },
    } as unknown as CloudFormationClient,
    sts: { send: () => call(answer.identity) } as unknown as STSClient,
  };
}
const failure =
  (name: string, message: string, extra: Record<string, unknown> = {}) =>
  () => {
    throw Object.assign(new Error(message), { name, ...extra });
  };
const stackOf =
  (outputs: Record<string, string>, status = 'UPDATE_COMPLETE') =>
  () => ({
    Stacks: [
      {
        StackName: 'Baton',
        StackStatus: status,
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });

describe('a deployed stack found by its outputs', () => {
  it('reads every queue, DLQ, table and zone the console needs from the outputs', () => {
    const stack = addressesFromOutputs(
      { stackName: 'Baton', status: 'CREATE_COMPLETE', outputs: OUTPUTS },
      { region: 'eu-west-1' },
    );
    expect(stack).toEqual({
      stackName: 'Baton',
      region: 'eu-west-1',
      status: 'CREATE_COMPLETE',
      tableName: 'Baton-MessageBoxTable',
      historyTableName: 'Baton-TrackingHistory',
      receiveQueueUrl: `${URL}/Baton-ReceiveQueue`,
      workQueueUrl: `${URL}/Baton-WorkQueue`,
      sendPortQueueUrls: { send: `${URL}/Baton-SendQueue`, audit: `${URL}/Baton-SendPortaudit` },
      deadLetterQueueUrls: {
        receive: `${URL}/Baton-ReceiveDlq`,
        work: `${URL}/Baton-WorkDlq`,
        send: `${URL}/Baton-SendDlq`,
        audit: `${URL}/Baton-auditDlq`,
      },
      zones: { 'Baton-HostA': 'eu-west-1a', 'Baton-HostB': 'eu-west-1b' },
    });
    // On an emulator, its endpoint goes with the addresses; zones are optional (an older stack had none).
    const { ProcessingHostZones: _, ...noZones } = OUTPUTS;
    expect(
      addressesFromOutputs(
        { stackName: 'Baton', outputs: noZones },
        { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' },
      ),
    ).toMatchObject({ endpoint: 'http://127.0.0.1:4566', zones: {} });
  });

  it('says which outputs an older stack lacks, and to redeploy it', () => {
    expect(() =>
      addressesFromOutputs({ stackName: 'Baton', status: 'UPDATE_COMPLETE', outputs: OLDER }, { region: 'eu-west-1' }),
    ).toThrow(
      'stack "Baton" (UPDATE_COMPLETE) in eu-west-1 has no outputs WorkQueueUrl, SendPortQueueUrls, DeadLetterQueueUrls: it was deployed by an older Baton, or it is not a Baton stack. Redeploy it (npx cdk deploy) with this Baton; a stack of your own declares them with baton.addOutputs()',
    );
    expect(() =>
      addressesFromOutputs({ stackName: 'Baton', status: 'CREATE_IN_PROGRESS', outputs: {} }, { region: 'eu-west-1' }),
    ).toThrow(/is being deployed; try again when it is done/);
    expect(() =>
      addressesFromOutputs({ stackName: 'Baton', status: 'ROLLBACK_COMPLETE', outputs: {} }, { region: 'eu-west-1' }),
    ).toThrow(/its last deployment failed; deploy it again/);
  });

  it('refuses a JSON output that is not names to values', () => {
    expect(() =>
      addressesFromOutputs(
        { stackName: 'Baton', outputs: { ...OUTPUTS, DeadLetterQueueUrls: '["a"]' } },
        { region: 'eu-west-1' },
      ),
    ).toThrow('output DeadLetterQueueUrls of stack "Baton" is not a JSON object of names to values: ["a"]');
    expect(() =>
      addressesFromOutputs(
        { stackName: 'Baton', outputs: { ...OUTPUTS, SendPortQueueUrls: '{' } },
        { region: 'eu-west-1' },
      ),
    ).toThrow(/output SendPortQueueUrls .* not a JSON object/);
    expect(() =>
      addressesFromOutputs(
        { stackName: 'Baton', outputs: { ...OUTPUTS, SendPortQueueUrls: '{}' } },
        { region: 'eu-west-1' },
      ),
    ).toThrow(/names no send port/);
  });

  it("finds the stack by its name with DescribeStacks, in the region given or the SDK's own", async () => {
    const stack = await describeDeployedStack(
      { stackName: 'Baton' },
      clients({ stacks: stackOf(OUTPUTS), region: 'eu-west-1' }),
    );
    expect(stack).toMatchObject({
      stackName: 'Baton',
      region: 'eu-west-1',
      status: 'UPDATE_COMPLETE',
      workQueueUrl: OUTPUTS.WorkQueueUrl,
    });
    expect(
      (await describeDeployedStack({ stackName: 'Baton', region: 'us-west-2' }, clients({ stacks: stackOf(OUTPUTS) })))
        .region,
    ).toBe('us-west-2');
  });

  it('says clearly: no region, no credentials, no such stack, expired or refused credentials, an older stack, an unreachable endpoint', async () => {
    const problem = (target: Parameters<typeof describeDeployedStack>[0], answer: Parameters<typeof clients>[0]) =>
      describeDeployedStack(target, clients(answer)).then(
        () => 'no problem',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    expect(await problem({ stackName: 'Baton' }, { stacks: stackOf(OUTPUTS) })).toBe(
      'StackProblem: no AWS region: pass --region, or set AWS_REGION (or a region in your AWS profile)',
    );
    expect(
      await problem(
        { stackName: 'Baton', region: 'eu-west-1' },
        { stacks: failure('CredentialsProviderError', 'Could not load credentials from any providers') },
      ),
    ).toBe(
      'StackProblem: no AWS credentials: sign in (aws sso login, aws configure, AWS_PROFILE=…, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and try again',
    );
    expect(
      await problem(
        { stackName: 'Batton', region: 'eu-west-1' },
        { stacks: failure('ValidationError', 'Stack with id Batton does not exist') },
      ),
    ).toBe('StackProblem: no stack "Batton" in eu-west-1: check its name (npx cdk list) and the region (--region)');
    expect(
      await problem(
        { stackName: 'Baton', region: 'eu-west-1' },
        { stacks: failure('ExpiredToken', 'The security token included in the request is expired') },
      ),
    ).toMatch(/^StackProblem: your AWS credentials have expired: sign in/);
    expect(
      await problem(
        { stackName: 'Baton', region: 'eu-west-1' },
        { stacks: failure('InvalidClientTokenId', 'The security token included in the request is invalid.') },
      ),
    ).toMatch(/^StackProblem: AWS refused these credentials \(InvalidClientTokenId/);
    expect(
      await problem(
        { stackName: 'Baton', region: 'eu-west-1' },
        {
          stacks: failure(
            'AccessDenied',
            'User: arn:aws:iam::1:user/bob is not authorized to perform: cloudformation:DescribeStacks',
          ),
        },
      ),
    ).toBe(
      'StackProblem: AWS refused cloudformation:DescribeStacks in eu-west-1: User: arn:aws:iam::1:user/bob is not authorized to perform: cloudformation:DescribeStacks',
    );
    expect(await problem({ stackName: 'Baton', region: 'eu-west-1' }, { stacks: stackOf(OLDER) })).toMatch(
      /^StackProblem: stack "Baton" \(UPDATE_COMPLETE\) in eu-west-1 has no outputs WorkQueueUrl.*Redeploy it/,
    );
    expect(
      await problem(
        { stackName: 'Baton', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9' },
        { stacks: failure('Error', 'connect ECONNREFUSED 127.0.0.1:9', { code: 'ECONNREFUSED' }) },
      ),
    ).toBe('StackProblem: could not reach http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9');
  });

  it('names the operator by their AWS identity; an emulator that cannot say gets a clearly labelled local name', async () => {
    const arn = 'arn:aws:sts::123456789012:assumed-role/Operators/ada';
    expect(
      await operatorIdentity({ stackName: 'Baton', region: 'eu-west-1' }, clients({ identity: () => ({ Arn: arn }) })),
    ).toEqual({ operator: arn });
    const emulator = await operatorIdentity(
      { stackName: 'Baton', region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' },
      clients({ identity: failure('InvalidAction', 'sts is not supported') }),
    );
    expect(emulator.operator).toBe(`${localOperator()} (unverified)`);
    expect(emulator.unverified).toBe(
      `http://127.0.0.1:4566 did not answer sts:GetCallerIdentity (sts is not supported); actions are recorded as the local user ${localOperator()}, labelled unverified`,
    );
    // Against AWS, no identity is no console; no credentials is said as such, emulator or not.
    await expect(
      operatorIdentity(
        { stackName: 'Baton', region: 'eu-west-1' },
        clients({ identity: failure('InternalFailure', 'boom') }),
      ),
    ).rejects.toThrow('could not tell who you are (sts:GetCallerIdentity): boom');
    await expect(
      operatorIdentity(
        { stackName: 'Baton', endpoint: 'http://127.0.0.1:4566' },
        clients({ identity: failure('CredentialsProviderError', 'Could not load credentials from any providers') }),
      ),
    ).rejects.toThrow(/^no AWS credentials/);
  });
});
