/**
 * Teaches a secret registry what an AWS SDK client sends and receives: the credentials it signs
 * with (whether from the environment, a profile or CircleCI OIDC web identity), and the secrets
 * inside requests and responses (values of secret-named environment variables of task
 * definitions, targets' and schedules' inputs). Registered before the request leaves, so an
 * error that echoes it is masked; and an error's message has the request's environment values
 * and inputs masked (`maskEchoed`), whatever their names.
 */
import { maskEchoed, type SecretRegistry } from './redact.js';

/** The part of an AWS SDK v3 client this needs (every client has it). */
interface AwsClientLike {
  readonly config: { readonly credentials?: unknown };
  readonly middlewareStack: {
    add(middleware: (next: (args: { input: unknown }) => Promise<{ output: unknown }>) => (args: { input: unknown }) => Promise<{ output: unknown }>, options: { step: 'initialize'; name: string }): void;
  };
}

export function watchAwsClient<C>(client: C, registry: SecretRegistry): C {
  const aws = client as unknown as AwsClientLike;
  aws.middlewareStack.add(
    (next) => async (args) => {
      await registerCredentials(aws, registry);
      registry.addFromAws(args.input);
      let result: { output: unknown };
      try {
        result = await next(args);
      } catch (error) {
        // A server may echo the request in its error: its environment values and inputs are
        // masked there, before any code reads the message (names stay readable).
        if (error instanceof Error) error.message = maskEchoed(error.message, args.input);
        throw error;
      }
      registry.addFromAws(result.output);
      return result;
    },
    { step: 'initialize', name: 'circleFargateSecrets' },
  );
  return client;
}

async function registerCredentials(client: AwsClientLike, registry: SecretRegistry): Promise<void> {
  const provider = client.config.credentials;
  try {
    const credentials = typeof provider === 'function' ? await (provider as () => Promise<unknown>)() : provider;
    registry.addFromAws(credentials);
  } catch {
    // No credentials: the call itself fails and says so.
  }
}
