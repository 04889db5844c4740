import { describe, expect, it } from 'vitest';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Baton } from '../../infra/constructs/Baton.ts';

function stackWith(orchestrations: string, environment?: Record<string, string>) {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Mine');
  const baton = new Baton(stack, 'Baton', { orchestrations, environment });
  return { app, stack, baton };
}

describe('the Baton construct', () => {
  it("bundles the user's module into every host, with a queue per send port it uses, and passes cdk-nag", () => {
    const { app, stack, baton } = stackWith('test/fixtures/greetings.ts', { GREETING_SALUTATION: 'Ahoy' });
    expect(baton.deployed).toEqual({ orchestrations: [{ name: 'Greetings', version: 1 }], ports: ['audit', 'send'] });
    expect(Object.keys(baton.sendQueues).sort()).toEqual(['audit', 'send']);
    expect(() => app.synth()).not.toThrow();
    const template = Template.fromStack(stack);
    // The hosts run the module; tracking does not (it reads the MessageBox's stream, not the user's code).
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => !id.includes('Tracking'))
      .map(([, fn]) => fn);
    expect(functions).toHaveLength(3);
    for (const fn of functions) {
      const variables = fn.Properties.Environment.Variables;
      expect(variables.GREETING_SALUTATION).toBe('Ahoy');
      // The send ports' queues, as JSON with the URLs filled in at deploy time.
      expect(JSON.stringify(variables.BATON_SEND_PORTS)).toMatch(/audit.*send|send.*audit/s);
    }
    // The processing host may send to both ports' queues, and only it.
    const sendGrants = Object.entries(template.findResources('AWS::IAM::Policy')).filter(
      ([, p]) =>
        JSON.stringify(p.Properties.PolicyDocument).includes('sqs:SendMessage') &&
        JSON.stringify(p.Properties.PolicyDocument).includes('SendPortaudit'),
    );
    expect(sendGrants.map(([id]) => id).filter((id) => !id.includes('ProcessingHost'))).toEqual([]);
    expect(sendGrants).toHaveLength(1);
  });

  it("lets the receive host read what senders' extended clients offload to a bucket of theirs (or under its prefix), and only it, tells it so, refuses Baton's own bucket, and still passes cdk-nag", () => {
    const { app, stack, baton } = stackWith('test/fixtures/greetings.ts');
    const theirs = Bucket.fromBucketName(stack, 'Theirs', 'partner-large-payloads');
    const prefixed = Bucket.fromBucketName(stack, 'Prefixed', 'orders-large');
    baton.readExtendedPayloadsFrom(theirs);
    baton.readExtendedPayloadsFrom(prefixed, { prefix: 'to-baton/' });
    expect(() => baton.readExtendedPayloadsFrom(baton.claimCheck.bucket)).toThrow(
      /Baton's own bucket is read only under inbound\//,
    );
    expect(() => app.synth()).not.toThrow();
    const template = Template.fromStack(stack);
    const grants = Object.entries(template.findResources('AWS::IAM::Policy'))
      .flatMap(([id, p]) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).map((st) => ({
          id,
          ...st,
        })),
      )
      .filter((st) => /partner-large-payloads|orders-large/.test(JSON.stringify(st.Resource)));
    expect(grants.map((g) => g.id).filter((id) => !id.startsWith('BatonReceiveHost'))).toEqual([]);
    const arn = (path: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${path}`]] });
    expect(grants.map((g) => [g.Action, g.Resource])).toEqual(
      expect.arrayContaining([
        ['s3:GetObject', arn('partner-large-payloads/*')],
        ['s3:ListBucket', arn('partner-large-payloads')],
        ['s3:GetObject', arn('orders-large/to-baton/*')],
        ['s3:ListBucket', arn('orders-large')],
      ]),
    );
    // The receive host follows pointers only into what its configuration names (functions/handlers/config.ts).
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    const sources = functions
      .map(([id, fn]) => [id, fn.Properties.Environment?.Variables?.BATON_EXTENDED_PAYLOAD_BUCKETS] as const)
      .filter(([, v]) => v !== undefined);
    expect(sources).toEqual([
      [expect.stringMatching(/^BatonReceiveHost/), 'partner-large-payloads,orders-large/to-baton/'],
    ]);
  });

  it('records spans through the ADOT Lambda layer with tracing: "otel" (every function), and adds nothing without it', () => {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const traced = new Stack(app, 'Traced', { env: { account: '123456789012', region: 'eu-west-1' } });
    new Baton(traced, 'Baton', { orchestrations: 'test/fixtures/greetings.ts', tracing: 'otel' });
    const plain = new Stack(app, 'Plain', { env: { account: '123456789012', region: 'eu-west-1' } });
    new Baton(plain, 'Baton', { orchestrations: 'test/fixtures/greetings.ts' });
    expect(() => app.synth()).not.toThrow();
    const functions = (stack: Stack) =>
      Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(
        (fn) => fn.Properties.Environment?.Variables?.POWERTOOLS_LOG_LEVEL,
      );
    // Every Baton function: the receive host, the processing host, the sweeper and tracking.
    expect(functions(traced)).toHaveLength(4);
    for (const fn of functions(traced)) {
      expect(JSON.stringify(fn.Properties.Layers)).toMatch(
        /arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-nodejs-arm64-ver-1-30-\d+:\d+/,
      );
      expect(fn.Properties.Environment.Variables).toMatchObject({
        AWS_LAMBDA_EXEC_WRAPPER: '/opt/otel-handler',
        OTEL_PROPAGATORS: 'tracecontext',
      });
    }
    for (const fn of functions(plain)) {
      expect(fn.Properties.Layers).toBeUndefined();
      expect(fn.Properties.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER).toBeUndefined();
    }
    expect(
      () =>
        new Baton(new Stack(new App(), 'Wrong'), 'Baton', {
          orchestrations: 'test/fixtures/greetings.ts',
          tracing: 'xray' as never,
        }),
    ).toThrow(/tracing must be "off" or "otel"/);
  });

  it("throttles each host function's queue at the concurrency asked for, and refuses one SQS would not take", () => {
    const app = new App();
    const stack = new Stack(app, 'Throttled');
    new Baton(stack, 'Baton', { orchestrations: 'test/fixtures/greetings.ts', hostConcurrency: 250 });
    // The queues' mappings (the tracking function's reads the MessageBox's stream, from a position, unthrottled).
    const template = Template.fromStack(stack);
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => !m.Properties.StartingPosition,
    );
    // The receive queue's dead-letter queue too (its last deliveries), at the lowest concurrency SQS allows.
    const dlqArn = {
      'Fn::GetAtt': [
        Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('BatonReceiveDlq'))!,
        'Arn',
      ],
    };
    const [lastDeliveries, queues] = [
      mappings.filter((m) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify(dlqArn)),
      mappings.filter((m) => JSON.stringify(m.Properties.EventSourceArn) !== JSON.stringify(dlqArn)),
    ];
    expect(queues).toHaveLength(2);
    for (const mapping of queues) expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 250 });
    expect(lastDeliveries).toHaveLength(1);
    expect(lastDeliveries[0]!.Properties).toMatchObject({
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const receiveHost = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('BatonReceiveHost'),
    )!;
    expect(lastDeliveries[0]!.Properties.FunctionName).toEqual({ Ref: receiveHost[0] });
    expect(receiveHost[1].Properties.Environment.Variables.BATON_RECEIVE_DLQ_ARN).toEqual(dlqArn);
    for (const wrong of [1, 1_001, 2.5]) {
      expect(
        () =>
          new Baton(new Stack(new App(), 'Wrong'), 'Baton', {
            orchestrations: 'test/fixtures/greetings.ts',
            hostConcurrency: wrong,
          }),
      ).toThrow(/hostConcurrency must be a whole number from 2 to 1,000/);
    }
  });

  it('refuses, at synth, a module whose orchestrations are invalid, with every problem', () => {
    expect(() => stackWith('test/fixtures/broken-orchestrations.ts')).toThrow(
      /cannot be deployed:[\s\S]*id "start" is used twice[\s\S]*port name matching/,
    );
  });

  it('checks the module in the environment the hosts will have, whatever it prints when it loads', () => {
    process.env.NOISY_PORT = 'shell-only';
    try {
      // Set in this shell but not given to the hosts: it would fail on Lambda, so it fails the synth.
      expect(() => stackWith('test/fixtures/noisy-orchestrations.ts')).toThrow(
        /cannot be deployed:[\s\S]*NOISY_PORT is not set/,
      );
      const { baton } = stackWith('test/fixtures/noisy-orchestrations.ts', { NOISY_PORT: 'audit' });
      expect(baton.deployed.ports).toEqual(['audit']);
      expect(Object.keys(baton.sendQueues).sort()).toEqual(['audit', 'send']);
    } finally {
      delete process.env.NOISY_PORT;
    }
  });

  it('refuses a module that exports no orchestrations, or is not there, naming it', () => {
    expect(() => stackWith('test/helpers/orders.ts')).toThrow(/test\/helpers\/orders\.ts must export "orchestrations"/);
    expect(() => stackWith('test/fixtures/missing.ts')).toThrow(/missing\.ts does not exist/);
  });
});
