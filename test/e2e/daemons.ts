/**
 * The daemons of the e2e, each started here and stopped when the run ends, failed or not:
 *
 * - Debian's Docker Engine (dockerd 20.10), as root, with its data root, exec root, pid file and
 *   socket in the run's directory, no network of its own (`--bridge=none --iptables=false
 *   --ip-masq=false`: no docker0, no firewall rule; containers get no network but loopback), in
 *   a private mount namespace whose /etc/hosts names the example's ECR registry host 127.0.0.1
 *   (the machine's own /etc/hosts is not touched). That host is an insecure registry for it, so
 *   `docker push` speaks plain HTTP to it on port 80.
 * - Debian's docker-registry (Distribution 2.8) on 127.0.0.1:80: the image store that stands in
 *   for ECR's, storage in DIR/registry.
 *
 * moto (test/helpers/moto.ts), the proxy that gives moto's ECS rollouts (test/helpers/faultProxy.ts)
 * and the fake CircleCI API (test/helpers/fakeCircleci.ts) are the project's own test helpers,
 * started by the caller.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';

export const ECR_HOST = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com';
/** Debian's docker client (the daemon is 20.10; a newer client on PATH would ask for BuildKit). */
export const DOCKER = '/usr/bin/docker';

interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

const running: Daemon[] = [];

function start(name: string, command: string, args: readonly string[], logFile: string): Daemon {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', out, out] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  const daemon = { name, child, exited };
  running.push(daemon);
  return daemon;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { resolve(false); });
  });
}

async function waitFor(what: string, daemon: Daemon, ready: () => boolean | Promise<boolean>, seconds: number, log: string): Promise<void> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    if (daemon.child.exitCode !== null) throw new Error(`e2e: ${what} exited at start (exit ${daemon.child.exitCode}); its log: ${log}`);
    if (await ready()) return;
    if (Date.now() > until) throw new Error(`e2e: ${what} did not start within ${seconds} s; its log: ${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Distribution on 127.0.0.1:80, storing in `storage`. */
export async function startRegistry(storage: string, logs: string): Promise<void> {
  if (await portOpen(80)) throw new Error('e2e: something already listens on 127.0.0.1:80, where the registry must (docker pushes to the ECR host name on port 80): stop it first');
  mkdirSync(storage, { recursive: true });
  const config = path.join(logs, 'registry.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: false\nhttp:\n  addr: 127.0.0.1:80\n`);
  const log = path.join(logs, 'registry.log');
  const daemon = start('docker-registry', 'docker-registry', ['serve', config], log);
  await waitFor('docker-registry', daemon, () => portOpen(80), 20, log);
}

/** dockerd in a mount namespace of its own; resolves to its socket once it answers. */
export async function startDockerd(root: string, logs: string): Promise<string> {
  const hosts = path.join(root, 'hosts');
  mkdirSync(root, { recursive: true });
  writeFileSync(hosts, `${existsSync('/etc/hosts') ? readFileSync('/etc/hosts', 'utf8') : '127.0.0.1 localhost\n'}\n127.0.0.1 ${ECR_HOST}\n`);
  const socket = path.join(root, 'docker.sock');
  const dockerd = [
    'dockerd',
    '--data-root', path.join(root, 'data'),
    '--exec-root', path.join(root, 'exec'),
    '--pidfile', path.join(root, 'docker.pid'),
    '--host', `unix://${socket}`,
    '--bridge=none', '--iptables=false', '--ip-masq=false',
    '--insecure-registry', ECR_HOST,
  ];
  const log = path.join(logs, 'dockerd.log');
  // exec: the namespace's only process is dockerd (and the containerd it starts), so a signal to
  // this child reaches dockerd itself.
  const daemon = start('dockerd', 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, ...dockerd], log);
  await waitFor('dockerd', daemon, () => spawnSync(DOCKER, ['version'], { env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, stdio: 'ignore' }).status === 0, 60, log);
  if (spawnSync('ip', ['link', 'show', 'docker0'], { stdio: 'ignore' }).status === 0) throw new Error('e2e: dockerd made a docker0 bridge although started with --bridge=none');
  return socket;
}

/** Stops every daemon started here (dockerd last but one, waited for), each by its own process id. */
export async function stopDaemons(): Promise<void> {
  for (const daemon of running.reverse()) {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => { resolve('timeout'); }, 20_000).unref());
    if ((await Promise.race([daemon.exited, timeout])) === 'timeout') {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
  }
  running.length = 0;
  // Never leave a bridge behind, whatever made it.
  if (spawnSync('ip', ['link', 'show', 'docker0'], { stdio: 'ignore' }).status === 0) spawnSync('ip', ['link', 'delete', 'docker0'], { stdio: 'ignore' });
}

/** Stops the daemons synchronously (process exit after a signal): SIGKILL to each. */
export function killDaemons(): void {
  for (const daemon of running) if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
}
