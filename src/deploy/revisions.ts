/**
 * `--keep-revisions N`: deregisters old task definition revisions of the families a deploy
 * registered, keeping the newest N and every revision still in use: by any deployment of any
 * service of the cluster (a rollout in progress runs two), by the scheduled targets and
 * schedules the deploy read, and by the deploy record (its before revisions are what a
 * rollback goes back to). Off unless asked: a deregistered revision cannot be used again.
 */
import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { inPool } from './pool.js';
import type { Send } from './schedules.js';

/** Every task definition the services of a cluster run, in every deployment. */
export async function revisionsInUseByServices(ecs: ECSClient, cluster: string, send: Send): Promise<Set<string>> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const page = await send(`ListServices ${cluster}`, () => ecs.send(new ListServicesCommand({ cluster, ...(token !== undefined ? { nextToken: token } : {}) })));
    arns.push(...(page.serviceArns ?? []));
    token = page.nextToken ?? undefined;
  } while (token !== undefined && token !== '');
  const used = new Set<string>();
  for (let i = 0; i < arns.length; i += 10) {
    const described = await send(`DescribeServices ${cluster}`, () => ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) })));
    for (const service of described.services ?? []) {
      if (service.taskDefinition) used.add(service.taskDefinition);
      for (const deployment of service.deployments ?? []) if (deployment.taskDefinition) used.add(deployment.taskDefinition);
    }
  }
  return used;
}

function familyOf(arn: string): { family: string; revision: number } {
  const last = arn.split('/').pop() ?? arn;
  const colon = last.lastIndexOf(':');
  return { family: last.slice(0, colon), revision: Number(last.slice(colon + 1)) };
}

/** The revisions of `family` that would be deregistered: active, not in use, older than the newest `keep`. */
export async function revisionsToPrune(ecs: ECSClient, family: string, keep: number, inUse: ReadonlySet<string>, send: Send): Promise<string[]> {
  const active: string[] = [];
  let token: string | undefined;
  do {
    const page = await send(`ListTaskDefinitions ${family}`, () =>
      ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', ...(token !== undefined ? { nextToken: token } : {}) })),
    );
    // familyPrefix is a prefix: app-worker is not app.
    active.push(...(page.taskDefinitionArns ?? []).filter((arn) => familyOf(arn).family === family));
    token = page.nextToken ?? undefined;
  } while (token !== undefined && token !== '');
  const used = new Set([...inUse].map((arn) => arn.split('/').pop() ?? arn));
  return active
    .sort((a, b) => familyOf(b).revision - familyOf(a).revision)
    .slice(keep)
    .filter((arn) => !used.has(arn.split('/').pop() ?? arn));
}

export async function pruneRevisions(
  ecs: ECSClient,
  families: readonly string[],
  keep: number,
  inUse: ReadonlySet<string>,
  send: Send,
  concurrency: number,
  progress: (line: string) => void,
  /** Wraps each deregistration (the deploy journals it). */
  track: (arn: string, call: () => Promise<unknown>) => Promise<unknown> = (_arn, call) => call(),
): Promise<string[]> {
  const doomed: string[] = [];
  for (const family of [...new Set(families)].sort()) doomed.push(...(await revisionsToPrune(ecs, family, keep, inUse, send)));
  await inPool(doomed, concurrency, async (arn) => {
    await track(arn, () => send(`DeregisterTaskDefinition ${arn.split('/').pop() ?? arn}`, () => ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }))));
    progress(`deregistered ${arn.split('/').pop() ?? arn}`);
  });
  return doomed;
}
