import { readFileSync } from 'node:fs';
import { SecretRegistry } from '../secrets/redact.js';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIO {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** For data only (YAML, JSON): scripts read it. */
  stdout(text: string): void;
  /** For people: progress, explanations, errors. */
  stderr(text: string): void;
  readStdin(): Promise<string>;
  /** Whether stderr is a terminal (deploy then redraws its rollout counts in place). */
  readonly stderrIsTTY?: boolean;
  /**
   * The secrets this run knows (from the environment at first). A command that learns one more
   * (a credential the AWS SDK resolved, a value of a task definition) adds it here; whatever
   * goes to stdout and stderr through `maskingIO` is masked, and records are `secrets.redact`ed.
   */
  readonly secrets: SecretRegistry;
}

export function processIO(): CliIO {
  return {
    cwd: process.cwd(),
    env: process.env,
    stderrIsTTY: process.stderr.isTTY,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    secrets: SecretRegistry.fromEnvironment(process.env, readSecretFile),
  };
}

/**
 * The one output edge: `io` whose stdout and stderr mask every secret `io.secrets` knows at the
 * time of writing. `main()` hands this to every command, so no command prints a secret, not even
 * one echoed back in a server's error message.
 */
export function maskingIO(io: CliIO): CliIO {
  return {
    cwd: io.cwd,
    env: io.env,
    secrets: io.secrets,
    ...(io.stderrIsTTY !== undefined ? { stderrIsTTY: io.stderrIsTTY } : {}),
    stdout: (text) => {
      io.stdout(io.secrets.mask(text));
    },
    stderr: (text) => {
      io.stderr(io.secrets.mask(text));
    },
    readStdin: () => io.readStdin(),
  };
}

function readSecretFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
