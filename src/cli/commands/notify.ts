import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { InputError } from '../../errors.js';
import { deployMessage, messageText, webhookBody, type DeployKind, type NotifyEvent, type WebhookKind } from '../../notify/message.js';
import { postJson } from '../../notify/send.js';
import { secondsFlag, stringFlag, type Command } from '../command.js';

export const DEFAULT_URL_VARIABLE = 'CIRCLE_FARGATE_WEBHOOK_URL';
const EVENTS: readonly NotifyEvent[] = ['failure', 'rollback', 'success'];
const KINDS_OF_DEPLOY: readonly DeployKind[] = ['deploy', 'rollback', 'promote'];
const KINDS: readonly WebhookKind[] = ['slack', 'json'];

export const notifyCommand: Command = {
  name: 'notify',
  summary: 'send a deploy\'s outcome (from its summary) to a Slack or JSON webhook; never fails the deploy',
  positionals: { min: 1, max: 1, name: 'ENVIRONMENT' },
  options: {
    summary: { type: 'string' },
    record: { type: 'string' },
    webhook: { type: 'string' },
    'url-variable': { type: 'string' },
    on: { type: 'string' },
    kind: { type: 'string' },
    timeout: { type: 'string' },
  },
  help: `Usage: circle-fargate notify ENVIRONMENT --summary FILE --webhook slack|json [--on EVENTS]
                             [--kind deploy|rollback|promote] [--url-variable NAME] [--record FILE]
                             [--timeout SECONDS]

Sends a message about a deploy that ended: the environment, the version (commit and image), the
services and batches, the result (succeeded, rolled back, not restored, interrupted), the cause
when it failed, the timing and the job's link (CIRCLE_BUILD_URL). It reads the redacted summary
that \`deploy --json\` or \`rollback --json\` printed (the orb's deploy job runs this after the
deploy, whatever its outcome). An empty or missing summary is a deploy that failed before its
record said how it ended (with --record FILE absent: before it changed anything).

The webhook's URL is read from the environment variable NAME (default ${DEFAULT_URL_VARIABLE}, in
the environment's CircleCI context): a secret, never printed. A webhook that fails, or a URL that
is not set, is reported in one line on stderr and the exit code is still 0.

Options:
  --summary FILE        the deploy's summary (deploy --json output)
  --record FILE         the deploy's record (deploy --record): only whether it exists is read
  --webhook KIND        slack (an incoming webhook: {"text": ...}) or json (the message as JSON)
  --on EVENTS           when to send, comma-separated: failure (a deploy that failed, rolled back
                        or not), rollback (a rollback that succeeded), success (any other that
                        succeeded); default failure,rollback
  --kind KIND           what ran: deploy (default), or a rollback or promote pipeline's deploy
  --url-variable NAME   environment variable holding the webhook URL (default ${DEFAULT_URL_VARIABLE})
  --timeout SECONDS     how long the webhook may take to answer (default 10)
  -h, --help            show this help

Exit codes: 0 sent, not due, or the webhook failed (reported); 2 bad flags.`,
  async run(args, io) {
    const environment = args.positionals[0] ?? '';
    const summaryFile = stringFlag(args, 'summary');
    if (summaryFile === undefined) throw new InputError('notify: --summary FILE is required (what deploy --json printed)');
    const kind = stringFlag(args, 'webhook') ?? '';
    if (!(KINDS as readonly string[]).includes(kind)) throw new InputError(`notify: --webhook: must be slack or json (got ${JSON.stringify(kind)})`);
    const on = (stringFlag(args, 'on') ?? 'failure,rollback').split(',').map((event) => event.trim());
    const unknown = on.find((event) => !(EVENTS as readonly string[]).includes(event));
    if (unknown !== undefined) throw new InputError(`notify: --on: ${JSON.stringify(unknown)} is not an event; use failure, rollback and success, comma-separated`);
    const deployKind = stringFlag(args, 'kind') ?? 'deploy';
    if (!(KINDS_OF_DEPLOY as readonly string[]).includes(deployKind)) throw new InputError(`notify: --kind: must be deploy, rollback or promote (got ${JSON.stringify(deployKind)})`);
    const variable = stringFlag(args, 'url-variable') ?? DEFAULT_URL_VARIABLE;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw new InputError(`notify: --url-variable: not an environment variable name (got ${JSON.stringify(variable)})`);
    const timeoutMs = secondsFlag(args, 'notify', 'timeout', 10);

    let summary: unknown;
    try {
      const text = await readFile(summaryFile, 'utf8');
      summary = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      summary = undefined;
    }
    const recordFile = stringFlag(args, 'record');
    const message = deployMessage(summary, {
      environment,
      kind: deployKind as DeployKind,
      ...(io.env.CIRCLE_SHA1 ? { commit: io.env.CIRCLE_SHA1 } : {}),
      ...(io.env.CIRCLE_BUILD_URL ? { url: io.env.CIRCLE_BUILD_URL } : {}),
      ...(summary === undefined && recordFile !== undefined && existsSync(recordFile) ? { recordExists: true } : {}),
    });
    if (!on.includes(message.event)) {
      io.stderr(`notify: ${message.headline}; no message (sent on ${on.join(', ')})\n`);
      return 0;
    }
    const url = io.env[variable];
    if (url === undefined || url === '') {
      io.stderr(`notify: ${variable} is not set: add the webhook URL to the environment's CircleCI context; no message sent\n`);
      return 0;
    }
    io.secrets.add(url);
    io.stderr(`${messageText(message)}\n`);
    const sent = await postJson(url, webhookBody(kind as WebhookKind, message), timeoutMs);
    io.stderr(sent.ok ? `notify: sent to the ${kind} webhook (${sent.detail})\n` : `notify: no message sent: ${sent.detail}; the deploy's result stands\n`);
    return 0;
  },
};
