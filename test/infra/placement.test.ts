import { describe, expect, it } from 'vitest';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatonStack } from '../../sample/BatonStack.ts';

function synth(props: ConstructorParameters<typeof BatonStack>[2]) {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new BatonStack(app, 'Baton', props);
  app.synth(); // throws on any unacknowledged cdk-nag finding
  return Template.fromStack(stack);
}

const processingHosts = (template: Template) =>
  Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (fn) =>
      fn.Properties.Environment.Variables.BATON_SEND_PORTS &&
      JSON.stringify(fn.Properties.Role).includes('ProcessingHost'),
  );

describe('processing host placement', () => {
  it('perAz with 3 zones: three host-instance functions, each bound to a subnet in a distinct zone, no NAT', () => {
    const template = synth({ placement: 'perAz', zones: 3 });
    const hosts = processingHosts(template);
    expect(hosts).toHaveLength(3);
    const subnets = template.findResources('AWS::EC2::Subnet');
    const zones = hosts.map((fn) => {
      const ids = fn.Properties.VpcConfig.SubnetIds as { Ref: string }[];
      expect(ids).toHaveLength(1);
      return subnets[ids[0]!.Ref]!.Properties.AvailabilityZone as string;
    });
    expect(new Set(zones).size).toBe(3);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    // All of them consume the same work queue.
    const sources = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map((m) =>
      JSON.stringify(m.Properties.EventSourceArn),
    );
    expect(sources.filter((s) => s.includes('Work'))).toHaveLength(3);
    // The stack says which zone each one runs in (the console shows it beside the host instances it saw).
    const [separator, parts] = template.toJSON().Outputs.ProcessingHostZones.Value['Fn::Join'] as [string, unknown[]];
    const placed = JSON.parse(
      parts.map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join(separator),
    ) as Record<string, string>;
    expect(Object.values(placed).sort()).toEqual([...zones].sort());
    expect(Object.keys(placed).filter((ref) => !ref.startsWith('<ProcessingHostInstance'))).toEqual([]);
  });

  it('regional: one processing host function outside any VPC', () => {
    const template = synth({ placement: 'regional' });
    const hosts = processingHosts(template);
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.Properties.VpcConfig).toBeUndefined();
    template.resourceCountIs('AWS::EC2::VPC', 0);
  });
});
