import { describe, expect, it } from 'vitest';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatonStack } from '../../sample/BatonStack.ts';

function checkedApp(): App {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

describe('cdk-nag AwsSolutions pack', () => {
  it('finds nothing in BatonStack, with no acknowledgement at all', () => {
    const app = checkedApp();
    new BatonStack(app, 'Baton');
    expect(() => app.synth()).not.toThrow();
  });

  it('does fail a synth on a finding (so the check above can fail)', () => {
    const app = checkedApp();
    new Queue(new Stack(app, 'Careless'), 'PlainQueue');
    expect(() => app.synth()).toThrow();
  });
});
