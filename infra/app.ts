import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatonStack } from './BatonStack.ts';

const app = new App();
// AWS Solutions checks run on every synth; a finding that is not acknowledged with a reason fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
new BatonStack(app, app.node.tryGetContext('stackName') ?? 'Baton', {
  retainData: app.node.tryGetContext('retainData') !== 'false',
  placement: placement(app.node.tryGetContext('placement') ?? 'regional'),
  zones: Number(app.node.tryGetContext('azs') ?? 2),
  bundleAwsSdk: String(app.node.tryGetContext('bundleAwsSdk') ?? 'false') === 'true',
});

function placement(value: string): 'regional' | 'perAz' {
  if (value !== 'regional' && value !== 'perAz') throw new Error(`-c placement must be "regional" or "perAz" (got "${value}")`);
  return value;
}
app.synth();
