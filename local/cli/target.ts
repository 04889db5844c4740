/**
 * Where a command acts: the local cluster `baton start` runs (found by its endpoints file in BATON_HOME), or, given
 * `--stack NAME [--region R] [--endpoint URL]`, a deployed stack found by its outputs, with the operator's own AWS
 * credentials. Also how a failure of either is said in a sentence.
 */
import { resolve } from 'node:path';
import type { ClusterAddresses, OperatorOrchestrations } from '../../console/local.ts';
import type { DeployedStack, OperatorIdentity, StackTarget } from '../../console/stack.ts';
import { EndpointsFile, type ClusterRecord } from '../endpoints-file.ts';
import { fail } from './values.ts';

/** Baton's working folder: the running cluster's endpoints, its host instances' logs, its data. */
export const WORK_DIR = resolve(process.env.BATON_HOME ?? '.baton');
export const endpoints = new EndpointsFile(WORK_DIR);

/** The console's operations (console/operations.ts), on the cluster or the stack. */
export type Operations = Awaited<ReturnType<Target['operations']>>;

const OLDER_CLUSTER =
  'the cluster was started by an older Baton, whose endpoints file does not name its orchestrations';

export class Target {
  #deployed: Promise<{ stack: DeployedStack; identity: OperatorIdentity }> | undefined;

  /** The deployed stack of --stack; none: the local cluster. */
  readonly stack: StackTarget | undefined;

  constructor(stack: StackTarget | undefined) {
    this.stack = stack;
  }

  /** The cluster `baton start` runs (from BATON_HOME's endpoints.json), or a clear "no cluster is running". */
  runningCluster(): ClusterRecord {
    const found = endpoints.read();
    if ('none' in found) fail(found.none);
    return found.cluster;
  }

  /** The deployed stack of --stack (its outputs, and who the operator is), asked once. */
  deployedStack(target: StackTarget): Promise<{ stack: DeployedStack; identity: OperatorIdentity }> {
    return (this.#deployed ??= (async () => {
      const { describeDeployedStack, operatorIdentity } = await import('../../console/stack.ts');
      const stack = await describeDeployedStack(target);
      return { stack, identity: await operatorIdentity({ ...target, region: stack.region }) };
    })());
  }

  /** Where its queues and tables are: the local cluster's endpoints file, or a deployed stack's outputs. */
  async addresses(): Promise<ClusterAddresses & { region?: string }> {
    return this.stack ? (await this.deployedStack(this.stack)).stack : this.runningCluster();
  }

  /** The --stack options this command was given, to repeat in the commands it suggests. */
  stackOptions(): string {
    if (!this.stack) return '';
    const { stackName, region, endpoint } = this.stack;
    const ownEndpoint = endpoint && endpoint !== process.env.AWS_ENDPOINT_URL;
    return ` --stack ${stackName}${region ? ` --region ${region}` : ''}${ownEndpoint ? ` --endpoint ${endpoint}` : ''}`;
  }

  /**
   * The console's operations on the running cluster or the deployed stack: what the web console does, from the
   * command line. Resume and terminate need the hosts' orchestrations (see `orchestrations`); the others do not.
   */
  async operations(orchestrations?: OperatorOrchestrations) {
    if (this.stack) {
      const { stackOperations } = await import('../../console/stack.ts');
      const { stack, identity } = await this.deployedStack(this.stack);
      return stackOperations(stack, identity, orchestrations);
    }
    const { operationsFor } = await import('../../console/local.ts');
    return operationsFor(this.runningCluster(), { orchestrations });
  }

  /**
   * The definitions the hosts run, loaded as they load them, for resume and terminate: those of `given`
   * (--orchestrations F); else, on the local cluster, the module and settings its endpoints file records; for a
   * deployed stack, none (nothing says which module it deployed), and the engine refuses what needs them.
   */
  async orchestrations(given: string | undefined): Promise<OperatorOrchestrations> {
    const { loadOrchestrations } = await import('../../functions/load-orchestrations.ts');
    const pass = 'pass --orchestrations F, the module that defines it';
    if (this.stack) {
      // No default: another module's definition under the same name@version would name the wrong branch instances.
      if (!given)
        return {
          definitions: [],
          hint:
            `nothing says which orchestrations stack ${this.stack.stackName} runs; ` +
            `${pass} (the module the stack deploys)`,
        };
      return {
        definitions: await loadOrchestrations(given, process.env),
        hint: `this command loaded the orchestrations of ${resolve(given)}; ${pass} (the module the stack deploys)`,
      };
    }
    const recorded = this.runningCluster().orchestrations;
    if (!given && !recorded) {
      return {
        definitions: [],
        hint: `${OLDER_CLUSTER}; ${pass}`,
      };
    }
    const module = given ?? recorded?.module;
    return {
      // Over this shell's environment, as the cluster loads them over its own.
      definitions: await loadOrchestrations(module, { ...process.env, ...recorded?.environment }),
      hint:
        `this command loaded the orchestrations of ${module ? resolve(module) : 'the sample'}` +
        `${given ? '' : ' (what the cluster runs)'}; ${pass}`,
    };
  }

  /** What went wrong, in a sentence: a stack's problem, an AWS refusal, or a cluster it could not reach. */
  async problemOf(error: unknown): Promise<string> {
    if (!this.stack) return networkProblem(error) ?? (error as Error).message;
    if ((error as Error).name === 'StackProblem') return (error as Error).message;
    const { awsProblem } = await import('../../console/stack.ts');
    return (
      awsProblem(error, this.stack, this.stack.region ?? process.env.AWS_REGION ?? '', 'a request') ??
      (error as Error).message
    );
  }
}

/** A request that never reached the cluster, said as such (the cluster's process is alive, or we would not be here). */
function networkProblem(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException).code ?? (error as { cause?: NodeJS.ErrnoException }).cause?.code;
  if (
    !['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code ?? '') &&
    (error as Error).name !== 'TimeoutError'
  )
    return undefined;
  const found = endpoints.read();
  const where =
    'cluster' in found ? `the cluster at ${found.cluster.endpoint} (pid ${found.cluster.pid})` : 'the cluster';
  const what = (error as Error).message || code;
  return `could not reach ${where}: ${what}; if it is still starting, try again in a moment`;
}

/** What a command's handler is given: its arguments, its options' values (checked, by camelCase name), its target. */
export interface CommandInput {
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly at: Target;
}
