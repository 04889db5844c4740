/**
 * `baton/local` as the package serves it: the local cluster, loaded once its tooling is known to be there, so a
 * project without baton-local gets one line saying what to install rather than a missing module deep in baton's files
 * (a static import would fail while it links, before any check could run). Its values are index.ts's (a test holds
 * the two lists equal); its types are index.ts's too (package.json's `types`).
 */
import { localToolingProblem } from './tooling.ts';

const problem = localToolingProblem('baton/local');
if (problem) throw new Error(problem);
const local = await import('./index.ts');

export const startLocalCluster = local.startLocalCluster;
export const LocalCluster = local.LocalCluster;
export const startEmbeddedStack = local.startEmbeddedStack;
export const loadOrchestrations = local.loadOrchestrations;
