/**
 * The secrets this process knows, and the one place that masks them. Everything circle-fargate
 * shows or keeps (stdout, stderr, `--json`, deploy records, artifacts) passes through here, so
 * a secret echoed back inside a server's error message is masked like any other.
 *
 * API (small on purpose):
 * - `new SecretRegistry()`, `SecretRegistry.fromEnvironment(env)`: a registry; the CLI makes one
 *   per run from the environment (`processIO()`), and `io.secrets` is it.
 * - `registry.add(value)`: one more secret (a token read from a file, a credential the AWS SDK
 *   resolved). Values shorter than 4 characters, and `true`/`false`/`null`/numbers, are not
 *   masked: masking them would hide ordinary words and break JSON, and such a value is no secret.
 * - `registry.addFromAws(value)`: every secret inside an AWS request or response: environment
 *   values of task definitions' containers, of EventBridge targets' and Scheduler schedules'
 *   container overrides (their `Input`), credentials.
 * - `registry.mask(text)`: the text with every known secret replaced by `MASK`.
 * - `registry.redact(value)`: a deep copy of a JSON value with every string (keys included)
 *   masked: for records and artifacts, before they are serialised.
 * - `maskingIO(io)` (src/cli/io.ts): the CLI's writers, masked; `main()` wraps every command's io.
 */

/** What a secret is replaced with (as CircleCI masks secrets in job output). */
export const MASK = '********';

/** Shorter values are not masked (see the module comment). */
export const MIN_SECRET_LENGTH = 4;

/** Environment variables that always hold secrets, whatever their value looks like. */
export const SECRET_ENVIRONMENT_VARIABLES: readonly string[] = [
  'CIRCLE_TOKEN',
  'CIRCLECI_TOKEN',
  'CIRCLECI_CLI_TOKEN',
  'CIRCLE_CONTINUATION_KEY',
  'CIRCLE_OIDC_TOKEN',
  'CIRCLE_OIDC_TOKEN_V2',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
];

/**
 * Other variables whose name says they hold a secret (GITHUB_TOKEN, DB_PASSWORD, NPM_AUTH_TOKEN,
 * SENTRY_API_KEY, ...). A name is split on `_`; a part or a pair of parts must match.
 */
const SECRET_NAME = /(^|_)(TOKEN|SECRET|SECRETS|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|CREDENTIALS|PRIVATE_KEY|API_KEY|ACCESS_KEY|AUTHORIZATION|CONTINUATION_KEY)(_|$)/i;

/** Environment variables naming a file whose content is a secret (web identity for CircleCI OIDC). */
const SECRET_FILE_VARIABLES: readonly string[] = ['AWS_WEB_IDENTITY_TOKEN_FILE'];

const NOT_A_SECRET = /^(true|false|null|yes|no|on|off|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/i;

export class SecretRegistry {
  /** Every form a secret may take in output, longest first once sorted. */
  readonly #forms = new Set<string>();
  #sorted: string[] | undefined;
  #pattern: RegExp | undefined;

  /** A registry holding every secret of `env` (see SECRET_ENVIRONMENT_VARIABLES). */
  static fromEnvironment(env: Readonly<Record<string, string | undefined>>, readFile?: (file: string) => string | undefined): SecretRegistry {
    const registry = new SecretRegistry();
    registry.addFromEnvironment(env, readFile);
    return registry;
  }

  addFromEnvironment(env: Readonly<Record<string, string | undefined>>, readFile?: (file: string) => string | undefined): void {
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) continue;
      if (SECRET_ENVIRONMENT_VARIABLES.includes(name) || SECRET_NAME.test(name)) this.add(value);
      if (SECRET_FILE_VARIABLES.includes(name) && readFile) this.add(readFile(value));
    }
  }

  /** Registers a secret. Anything but a string, and values too short or plain to be one, are ignored. */
  add(value: unknown): void {
    if (typeof value !== 'string') return;
    const trimmed = value.trim();
    if (trimmed.length < MIN_SECRET_LENGTH || NOT_A_SECRET.test(trimmed)) return;
    const before = this.#forms.size;
    for (const form of formsOf(trimmed)) this.#forms.add(form);
    // A multi-line secret (a PEM key) may be printed a line at a time.
    for (const line of trimmed.split(/\r?\n/)) {
      const part = line.trim();
      if (part !== trimmed && part.length >= 8 && !NOT_A_SECRET.test(part)) for (const form of formsOf(part)) this.#forms.add(form);
    }
    if (this.#forms.size !== before) {
      this.#sorted = undefined;
      this.#pattern = undefined;
    }
  }

  /**
   * Registers the secrets inside an AWS request or response (any shape): the `value` of every
   * `environment` entry (containers of task definitions, container overrides), the container
   * overrides inside a target's or schedule's `Input` (JSON text), and credentials.
   */
  addFromAws(value: unknown): void {
    walkAws(value, this, 0);
  }

  /** How many forms are masked (for tests and diagnostics). */
  get size(): number {
    return this.#forms.size;
  }

  /** `text` with every known secret replaced by MASK. */
  mask(text: string): string {
    if (this.#forms.size === 0 || text === '') return text;
    this.#pattern ??= new RegExp(this.#sortedForms().map(escapeRegExp).join('|'), 'g');
    return text.replace(this.#pattern, MASK);
  }

  /** A deep copy of a JSON-like value with every string masked, keys included. */
  redact<T>(value: T): T {
    return redactValue(value, this, 0) as T;
  }

  #sortedForms(): string[] {
    this.#sorted ??= [...this.#forms].sort((a, b) => b.length - a.length);
    return this.#sorted;
  }
}

/** The forms a secret takes when a server echoes it: as is, JSON-escaped, URL-encoded, base64. */
function formsOf(secret: string): string[] {
  const forms = new Set<string>([secret]);
  forms.add(JSON.stringify(secret).slice(1, -1));
  // Escaped twice: a JSON message quoting a JSON request body.
  forms.add(JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1));
  forms.add(encodeURIComponent(secret));
  forms.add(encodeURIComponent(secret).replaceAll('%20', '+'));
  forms.add(Buffer.from(secret, 'utf8').toString('base64'));
  forms.add(Buffer.from(secret, 'utf8').toString('base64url'));
  return [...forms];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function redactValue(value: unknown, registry: SecretRegistry, depth: number): unknown {
  if (typeof value === 'string') return registry.mask(value);
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, registry, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[registry.mask(key)] = redactValue(item, registry, depth + 1);
  return copy;
}

/** Keys of AWS shapes whose value is a secret itself. */
const AWS_SECRET_KEYS = new Set(['SecretAccessKey', 'secretAccessKey', 'SessionToken', 'sessionToken', 'AccessKeyId', 'accessKeyId', 'WebIdentityToken']);

function walkAws(value: unknown, registry: SecretRegistry, depth: number): void {
  if (depth > 64 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) walkAws(item, registry, depth + 1);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (AWS_SECRET_KEYS.has(key)) registry.add(item);
    else if ((key === 'environment' || key === 'Environment') && Array.isArray(item)) {
      for (const entry of item) {
        if (entry !== null && typeof entry === 'object') registry.add((entry as { value?: unknown; Value?: unknown }).value ?? (entry as { Value?: unknown }).Value);
      }
    } else if (key === 'Input' && typeof item === 'string') {
      // A target's or a schedule's Input is JSON text: container overrides, and whatever else the
      // task receives. Its environment values are secrets like the task definition's.
      try {
        walkAws(JSON.parse(item) as unknown, registry, depth + 1);
      } catch {
        // Not JSON: a constant input that is no environment.
      }
    } else {
      walkAws(item, registry, depth + 1);
    }
  }
}
