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
  hostConcurrency: number('hostConcurrency'),
  tracing: tracing(app.node.tryGetContext('tracing') ?? 'off'),
  sample: {
    approvalThreshold: number('approvalThreshold'),
    approvalTimeoutMs: number('approvalTimeoutMs'),
    cancellationWindowMs: number('cancellationWindowMs'),
  },
});

/** A numeric context value (`-c name=123`), or undefined to keep the sample's default. */
function number(name: string): number | undefined {
  const value = app.node.tryGetContext(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`-c ${name} must be a non-negative number (got "${value}")`);
  return n;
}

function tracing(value: string): 'off' | 'otel' {
  if (value !== 'off' && value !== 'otel') throw new Error(`-c tracing must be "off" or "otel" (got "${value}")`);
  return value;
}

function placement(value: string): 'regional' | 'perAz' {
  if (value !== 'regional' && value !== 'perAz')
    throw new Error(`-c placement must be "regional" or "perAz" (got "${value}")`);
  return value;
}
app.synth();
