/**
 * moto_server, the AWS endpoint of the contract tests, run through motoServer.py (moto as
 * installed, with ECS tasks that stop, exit and write logs). `npm test` (scripts/test.ts) starts one
 * server for all test files and names it in CF_TEST_MOTO_URL; `startMoto()` then returns that
 * shared server (its `stop()` leaves it running for the other files). Run alone
 * (`node --import tsx --test test/x.test.ts`), a file gets its own server on a free loopback port.
 * Test files share the server's state: each must use resource names no other file uses.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface Moto {
  readonly url: string;
  readonly env: Record<string, string>;
  stop(): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** The credentials and region tests talk to moto with: fake, never real ones. */
function motoEnv(url: string): Record<string, string> {
  return { AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'ap-northeast-1' };
}

export async function startMoto(): Promise<Moto> {
  const shared = process.env.CF_TEST_MOTO_URL;
  if (shared) return { url: shared, env: motoEnv(shared), stop: () => undefined };
  return startMotoServer();
}

/** A moto_server of its own, on a free loopback port, answering once this resolves. */
export async function startMotoServer(): Promise<Moto> {
  if (spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('moto (with its server) is not installed for python3: the AWS contract tests need it (pip install "moto[server]"); .ci/run expects it on the machine');
  }
  const port = await freePort();
  const child: ChildProcess = spawn('python3', [fileURLToPath(new URL('motoServer.py', import.meta.url)), '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const state = { exited: false };
  child.once('exit', () => (state.exited = true));
  // moto_server has no readiness signal of its own: poll until it answers (or has died).
  for (let i = 0; ; i++) {
    if (state.exited) throw new Error('moto_server exited at start: run `moto_server` by hand to see why');
    if (i === 300) {
      child.kill();
      throw new Error(`moto_server did not answer on ${url} within 30 s`);
    }
    try {
      const response = await fetch(`${url}/moto-api/`);
      if (response.status < 500) break;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, env: motoEnv(url), stop: () => child.kill() };
}
