import { App } from 'aws-cdk-lib';
import { BatonStack } from './BatonStack.ts';

const app = new App();
new BatonStack(app, app.node.tryGetContext('stackName') ?? 'Baton', {
  retainData: app.node.tryGetContext('retainData') !== 'false',
});
app.synth();
