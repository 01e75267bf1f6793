/**
 * The package as users get it: `npm pack` of this checkout (already built: the pack skips
 * `prepack` so that it does not rebuild dist/ under concurrently running tests), installed into
 * a temp directory outside the repository, so that nothing resolves to the repository's
 * node_modules.
 */
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, collect, ROOT, type CliResult } from './cli.js';

export interface Packed {
  readonly tarball: string;
  readonly version: string;
  /** Paths in the tarball, relative to the package root. */
  readonly files: readonly string[];
  readonly size: number;
}

export const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

export function packPackage(destination: string): Packed {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [info] = JSON.parse(out) as [{ filename: string; version: string; size: number; files: { path: string }[] }];
  return { tarball: path.join(destination, info.filename), version: info.version, files: info.files.map((file) => file.path).sort(), size: info.size };
}

/** An empty npm project in a fresh temp directory outside the repository. */
export function emptyProject(prefix = 'circle-fargate-consumer-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2)}\n`);
  return dir;
}

/** npm with the given arguments in `cwd`; offline-first, so CI's warm npm cache is used. */
export function npm(cwd: string, args: readonly string[], env: Record<string, string> = {}): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs an installed copy's bin (not this checkout's) with a clean environment (no npm_* either) plus `env`. */
export function runInstalled(bin: string, args: readonly string[], options: { cwd: string; env?: Record<string, string>; input?: string }): Promise<CliResult> {
  return collect(process.execPath, [bin, ...args], { ...options, env: cleanEnv(options.env, ['CIRCLE', 'AWS_', 'npm_']) });
}

/** A Fargate service `CLUSTER-app` (container `app`, image `image`) in a new cluster on moto, for `deploy --dry-run`. */
export async function fargateServiceOnMoto(motoUrl: string, cluster: string, image: string): Promise<void> {
  const ecs = new ECSClient({ endpoint: motoUrl, region: 'ap-northeast-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const definition = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${cluster}-app`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image, essential: true }],
    }),
  );
  await ecs.send(new CreateServiceCommand({ cluster, serviceName: `${cluster}-app`, taskDefinition: definition.taskDefinition?.taskDefinitionArn, desiredCount: 1 }));
}
