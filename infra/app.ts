import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatonStack } from './BatonStack.ts';

const app = new App();
// AWS Solutions checks run on every synth; a finding that is not acknowledged with a reason fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
new BatonStack(app, app.node.tryGetContext('stackName') ?? 'Baton', {
  retainData: app.node.tryGetContext('retainData') !== 'false',
});
app.synth();
