/**
 * The CircleCI API client as the CLI makes it: `CIRCLECI_API_URL` when set, every text it
 * reports masked with the run's secrets, and, where a command needs one, the `CIRCLE_TOKEN`.
 */
import type { CircleCIClient } from '../circleci/api/client.js';
import { InputError } from '../errors.js';
import type { CliIO } from './io.js';

export interface TokenNeeded {
  /** Who needs it, the start of the error: `trigger`, `explain: --durations insights`. */
  readonly by: string;
  /** What else the user may do, appended to the error: `or pass --durations FILE`. */
  readonly otherwise?: string;
}

export async function circleciClient(io: CliIO, token?: TokenNeeded): Promise<CircleCIClient> {
  const value = io.env.CIRCLE_TOKEN;
  if (token !== undefined && (value === undefined || value === '')) {
    throw new InputError(`${token.by}: CIRCLE_TOKEN is not set: create a personal API token in CircleCI (User Settings, Personal API Tokens) and export it${token.otherwise !== undefined ? `, ${token.otherwise}` : ''}`);
  }
  const { CircleCIClient } = await import('../circleci/api/client.js');
  return new CircleCIClient({
    ...(token !== undefined && value !== undefined ? { token: value } : {}),
    mask: (text) => io.secrets.mask(text),
    ...(io.env.CIRCLECI_API_URL ? { baseUrl: io.env.CIRCLECI_API_URL } : {}),
  });
}
