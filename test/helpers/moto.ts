/**
 * moto_server, the AWS endpoint of the contract tests: started on a free loopback port, through
 * motoServer.py (moto as installed, with ECS tasks that stop, exit and write logs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface Moto {
  readonly url: string;
  readonly env: Record<string, string>;
  stop(): void;
}

function freePort(): Promise<number> {
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

export async function startMoto(): Promise<Moto> {
  if (spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('moto (with its server) is not installed for python3: the AWS contract tests need it (pip install "moto[server]"); .ci/run expects it on the machine');
  }
  const port = await freePort();
  const child: ChildProcess = spawn('python3', [fileURLToPath(new URL('motoServer.py', import.meta.url)), '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    try {
      const response = await fetch(`${url}/moto-api/`);
      if (response.status < 500) break;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    env: { AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'ap-northeast-1' },
    stop: () => child.kill(),
  };
}
