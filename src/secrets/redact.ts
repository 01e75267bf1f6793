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
 * - `registry.addFromAws(value)`: every secret inside an AWS request or response: credentials,
 *   and the values of environment variables whose name says secret (DB_PASSWORD, API_TOKEN) in
 *   task definitions' containers and in EventBridge targets' and Scheduler schedules' container
 *   overrides (their `Input`).
 * - `registry.mask(text)`: the text with every known secret replaced by `MASK`; a secret that a
 *   server cut short at the end of the text is masked too.
 * - `maskEchoed(text, request)`: an AWS error message with the environment values and inputs of
 *   the request it answers masked, and the names that request carries kept as they are.
 *
 * What is secret, and what is not (docs/secrets.md says the same for users):
 * - secret: credentials and tokens (SECRET_ENVIRONMENT_VARIABLES, AWS credentials however the SDK
 *   found them, web identity tokens); the value of any variable whose name says secret (SECRET_NAME),
 *   in our environment, a task definition or a target's or schedule's input; whatever a server
 *   echoes back of a request that carried environment values or inputs (`maskEchoed`).
 * - never printed as values, by construction rather than by masking: the environment values of
 *   task definitions, targets' inputs and schedules (diffs say which variable changed, records
 *   shown drop inputs).
 * - not secret, always printed as they are: the identifiers a deploy names (cluster, service,
 *   family, revision, rule, schedule, group, container, repository, image, tag, digest, region,
 *   account). An ordinary environment value such as APP_NAME=shop is not masked wherever "shop"
 *   appears: that hid every family, rule and cluster named after the app.
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
 * SENTRY_API_KEY, MAIL_PASS, SENTRY_DSN, SLACK_WEBHOOK_URL (a webhook URL carries its token), ...). A name is split on `_`; a part or a pair of parts must match.
 */
const SECRET_NAME = /(^|_)(TOKEN|SECRET|SECRETS|PASSWORD|PASSWD|PASS|PASSPHRASE|DSN|CREDENTIAL|CREDENTIALS|PRIVATE_KEY|API_KEY|ACCESS_KEY|AUTHORIZATION|CONTINUATION_KEY|WEBHOOK_URL)(_|$)/i;

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
      if (isSecretName(name)) this.add(value);
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

  /**
   * `text` with every known secret replaced by MASK. A secret cut short at the very end of the
   * text (a server that truncated its own message) is masked from its first character when at
   * least MIN_CUT_PREFIX of it is there: no prefix of a secret that long is ever shown.
   */
  mask(text: string): string {
    if (this.#forms.size === 0 || text === '') return text;
    this.#pattern ??= new RegExp(this.#sortedForms().map(escapeRegExp).join('|'), 'g');
    return maskCutTail(text.replace(this.#pattern, MASK), this.#sortedForms());
  }

  /** `text` masked, then cut to `max` characters (`...` added): never cut first, or a cut secret no longer matches. */
  maskAndCut(text: string, max: number): string {
    return cutText(this.mask(text), max);
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

/** Whether an environment variable of this name holds a secret (ours, a task definition's, an input's). */
export function isSecretName(name: string): boolean {
  return SECRET_ENVIRONMENT_VARIABLES.includes(name) || SECRET_NAME.test(name);
}

/** The shortest head of a secret that is masked when a text ends with it (see `mask`). */
export const MIN_CUT_PREFIX = 8;

/**
 * `text` with each head (MIN_CUT_PREFIX or more characters, not the whole) of one of `forms`
 * that stands where a text was cut masked: at its end (past white space), or before a cut mark
 * (`...`, `…`) anywhere in it, as a message quoting a shortened value shows it.
 */
function maskCutTail(text: string, forms: readonly string[]): string {
  const cuts = [...text.matchAll(/\.\.\.|…/g)].map((match) => match.index);
  const end = text.length - (/\s*$/.exec(text)?.[0].length ?? 0);
  if (!cuts.includes(end)) cuts.push(end);
  let masked = text;
  // From the last cut to the first, so earlier positions stay valid.
  for (const at of cuts.sort((a, b) => b - a)) {
    const before = masked.slice(0, at);
    let longest = 0;
    for (const form of forms) {
      for (let length = Math.min(form.length - 1, before.length); length >= MIN_CUT_PREFIX && length > longest; length--) {
        if (before.endsWith(form.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    if (longest > 0) masked = `${before.slice(0, before.length - longest)}${MASK}${masked.slice(at)}`;
  }
  return masked;
}

/** `text` cut to `max` characters, `...` marking the cut. Mask before cutting (`maskAndCut`). */
export function cutText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 3))}...`;
}

/**
 * An AWS error message with what the request carried that may be secret masked: every
 * environment value and every target or schedule input (and the values inside it) of the
 * request it answers. The names the same request carries (family, container, cluster, rule,
 * image...) are kept as they are wherever they appear, so an echoed APP_NAME=shop hides "shop"
 * but not the family "shop-prod-app".
 */
export function maskEchoed(text: string, request: unknown): string {
  const values = new Set<string>();
  const names = new Set<string>();
  collectRequestStrings(request, values, names, 0);
  const hidden = new Set<string>();
  for (const value of values) {
    const trimmed = value.trim();
    if (trimmed.length >= MIN_SECRET_LENGTH && !NOT_A_SECRET.test(trimmed)) for (const form of formsOf(trimmed)) hidden.add(form);
  }
  if (hidden.size === 0 || text === '') return text;
  const hide = new RegExp([...hidden].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  // A name that contains (or is) a hidden value stays readable: identifiers are never masked.
  const kept = [...names].filter((name) => name.length >= MIN_SECRET_LENGTH && [...hidden].some((form) => name.includes(form)));
  if (kept.length === 0) return text.replace(hide, MASK);
  const keep = new RegExp(kept.sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  let masked = '';
  let from = 0;
  for (const match of text.matchAll(keep)) {
    masked += text.slice(from, match.index).replace(hide, MASK) + match[0];
    from = match.index + match[0].length;
  }
  return masked + text.slice(from).replace(hide, MASK);
}

/** An `environment` entry of an AWS shape: `{ name, value }` (ECS) or `{ Name, Value }`. */
function environmentEntry(entry: unknown): { name?: unknown; value?: unknown } {
  if (entry === null || typeof entry !== 'object') return {};
  const { name, Name, value, Value } = entry as { name?: unknown; Name?: unknown; value?: unknown; Value?: unknown };
  return { name: name ?? Name, value: value ?? Value };
}

/** Environment values and inputs of an AWS request (`values`), and every other string in it (`names`). */
function collectRequestStrings(value: unknown, values: Set<string>, names: Set<string>, depth: number): void {
  if (depth > 64) return;
  if (typeof value === 'string') {
    names.add(value);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) collectRequestStrings(item, values, names, depth + 1);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if ((key === 'environment' || key === 'Environment') && Array.isArray(item)) {
      for (const entry of item) {
        const { name, value } = environmentEntry(entry);
        if (typeof name === 'string') names.add(name);
        if (typeof value === 'string') values.add(value);
      }
    } else if (key === 'Input' && typeof item === 'string') {
      values.add(item);
      try {
        collectRequestStrings(JSON.parse(item) as unknown, values, new Set(), depth + 1);
      } catch {
        // A constant input that is not JSON: hidden whole.
      }
    } else {
      collectRequestStrings(item, values, names, depth + 1);
    }
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
      // Only the values of variables whose name says secret: APP_NAME=shop is a name, not a secret.
      for (const entry of item) {
        const { name, value } = environmentEntry(entry);
        if (typeof name === 'string' && isSecretName(name)) registry.add(value);
      }
    } else if (key === 'Input' && typeof item === 'string') {
      // A target's or a schedule's Input is JSON text: container overrides, and whatever else the
      // task receives. Its secret-named environment values are secrets like the task definition's.
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
