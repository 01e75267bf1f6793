/**
 * EventBridge Scheduler schedules that run ECS tasks: found by group and/or name prefix, read
 * whole, changed in one field, written back whole.
 *
 * UpdateSchedule replaces the whole definition: "EventBridge Scheduler uses all values,
 * including empty values, specified in the request and overrides the existing schedule. [...]
 * if you do not set an optional field in your request, that field will be set to its
 * system-default value after the update." (API reference, UpdateSchedule). So each schedule is
 * read with GetSchedule, and everything it holds is sent back with only the task definition of
 * its ECS target changed: flexible time window, retry policy, dead-letter config, input, state,
 * KMS key, start and end dates, time zone, action after completion, and fields this code does
 * not know (all but the read-only ones are copied, as for task definitions).
 */
import type { GetScheduleOutput, SchedulerClient, UpdateScheduleInput } from '@aws-sdk/client-scheduler';
import { inPool } from './pool.js';
import type { Sends } from './state.js';

/** The Scheduler's package, loaded by the first deploy or rollback that has schedules. */
const sdk = () => import('@aws-sdk/client-scheduler');

/** One AWS call with the caller's retries (throttling, 5xx): `what` names it in errors. */
export type Send = <T>(what: string, call: () => Promise<T>) => Promise<T>;

/** Fields of GetSchedule's answer that UpdateSchedule does not take. */
const READ_ONLY = ['Arn', 'CreationDate', 'LastModificationDate', '$metadata'] as const;
const DATES = ['StartDate', 'EndDate'] as const;

/**
 * A schedule as UpdateSchedule takes it, kept in a record: dates as ISO strings (JSON), every
 * other field as GetSchedule gave it. It may hold secrets (the target's Input).
 */
export type StoredSchedule = Omit<UpdateScheduleInput, 'StartDate' | 'EndDate' | 'ClientToken'> & { StartDate?: string; EndDate?: string };

export interface ScheduleSelector {
  /** Only schedules of this group (default: every group). */
  readonly group?: string;
  /** Only schedules whose name starts with this. */
  readonly prefix?: string;
}

export interface FoundSchedule {
  readonly group: string;
  readonly name: string;
  readonly schedule: StoredSchedule;
}

/** The whole schedule as UpdateSchedule takes it. */
export function storedSchedule(output: GetScheduleOutput): StoredSchedule {
  const copy: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(output)) {
    if ((READ_ONLY as readonly string[]).includes(field) || value === undefined || value === null) continue;
    copy[field] = (DATES as readonly string[]).includes(field) && value instanceof Date ? value.toISOString() : value;
  }
  return copy as StoredSchedule;
}

/** The UpdateSchedule input that writes `stored` back, with `taskDefinitionArn` in its ECS target if given. */
export function updateInput(stored: StoredSchedule, taskDefinitionArn?: string): UpdateScheduleInput {
  const { StartDate, EndDate, Target, ...rest } = stored;
  const target =
    taskDefinitionArn !== undefined && Target?.EcsParameters !== undefined ? { ...Target, EcsParameters: { ...Target.EcsParameters, TaskDefinitionArn: taskDefinitionArn } } : Target;
  return {
    ...rest,
    Target: target,
    ...(StartDate !== undefined ? { StartDate: new Date(StartDate) } : {}),
    ...(EndDate !== undefined ? { EndDate: new Date(EndDate) } : {}),
  };
}

/** The task definition a schedule's target runs, if its target is an ECS cluster. */
export function scheduleTaskDefinition(stored: StoredSchedule): string | undefined {
  return stored.Target?.EcsParameters?.TaskDefinitionArn;
}

/** Names of the schedules a selector covers, every page read. */
export async function listSchedules(scheduler: Sends<SchedulerClient>, selector: ScheduleSelector, send: Send, pageSize?: number): Promise<{ group: string; name: string }[]> {
  const found: { group: string; name: string }[] = [];
  let token: string | undefined;
  const label = `ListSchedules${selector.group !== undefined ? ` group ${selector.group}` : ''}${selector.prefix !== undefined ? ` prefix ${selector.prefix}` : ''}`;
  const { ListSchedulesCommand } = await sdk();
  do {
    const page = await send(label, () =>
      scheduler.send(
        new ListSchedulesCommand({
          ...(selector.group !== undefined ? { GroupName: selector.group } : {}),
          ...(selector.prefix !== undefined ? { NamePrefix: selector.prefix } : {}),
          ...(token !== undefined ? { NextToken: token } : {}),
          ...(pageSize !== undefined ? { MaxResults: pageSize } : {}),
        }),
      ),
    );
    for (const summary of page.Schedules ?? []) {
      // Filtered again here: a prefix or group the service ignored must not widen the deploy.
      if (summary.Name === undefined || summary.GroupName === undefined) continue;
      if (selector.prefix !== undefined && !summary.Name.startsWith(selector.prefix)) continue;
      if (selector.group !== undefined && summary.GroupName !== selector.group) continue;
      found.push({ group: summary.GroupName, name: summary.Name });
    }
    token = page.NextToken ?? undefined;
  } while (token !== undefined && token !== '');
  return found.sort((a, b) => `${a.group}/${a.name}`.localeCompare(`${b.group}/${b.name}`));
}

/** Each schedule read whole with GetSchedule, `concurrency` at once. */
export async function readSchedules(
  scheduler: Sends<SchedulerClient>,
  names: readonly { group: string; name: string }[],
  send: Send,
  concurrency: number,
  signal?: AbortSignal,
): Promise<FoundSchedule[]> {
  return inPool(
    names,
    concurrency,
    async ({ group, name }) => {
      return { group, name, schedule: storedSchedule(await getSchedule(scheduler, send, group, name)) };
    },
    signal,
  );
}

/**
 * The schedules of `selector` whose target runs a task definition in `clusterArn`: a name
 * prefix says nothing about where a schedule's task runs, so the target's ARN decides.
 */
export async function findSchedules(
  scheduler: Sends<SchedulerClient>,
  selector: ScheduleSelector,
  clusterArn: string,
  send: Send,
  concurrency: number,
  signal?: AbortSignal,
): Promise<{ found: FoundSchedule[]; skipped: { group: string; name: string; why: string }[] }> {
  const names = await listSchedules(scheduler, selector, send);
  const read = await readSchedules(scheduler, names, send, concurrency, signal);
  const found: FoundSchedule[] = [];
  const skipped: { group: string; name: string; why: string }[] = [];
  for (const schedule of read) {
    const target = schedule.schedule.Target;
    if (scheduleTaskDefinition(schedule.schedule) === undefined) skipped.push({ group: schedule.group, name: schedule.name, why: 'its target is not an ECS task' });
    else if (target?.Arn !== clusterArn) skipped.push({ group: schedule.group, name: schedule.name, why: `its target runs in ${target?.Arn ?? '?'}, not ${clusterArn}` });
    else found.push(schedule);
  }
  return { found, skipped };
}

/** Writes a schedule back whole, with `taskDefinitionArn` in its target (or as it was, without). */
export async function writeSchedule(scheduler: Sends<SchedulerClient>, stored: StoredSchedule, send: Send, taskDefinitionArn?: string, what = 'UpdateSchedule'): Promise<void> {
  const input = updateInput(stored, taskDefinitionArn);
  const { UpdateScheduleCommand } = await sdk();
  await send(`${what} ${input.GroupName ?? 'default'}/${input.Name ?? '?'}`, () => scheduler.send(new UpdateScheduleCommand(input)));
}

/**
 * How a schedule read now differs from `expected` (field paths), ignoring the read-only fields.
 * Empty when it is exactly as expected: restore uses this to prove a schedule is back.
 */
export function scheduleDifferences(now: StoredSchedule, expected: StoredSchedule): string[] {
  const differences: string[] = [];
  const walk = (a: unknown, b: unknown, at: string): void => {
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], at === '' ? key : `${at}.${key}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((item, index) => { walk(item, b[index], `${at}[${index}]`); });
      return;
    }
    if (JSON.stringify(a ?? null) !== JSON.stringify(b ?? null)) differences.push(at);
  };
  walk(now, expected, '');
  return differences;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A change of the deploy record: one schedule, its whole before state, the task definition it gets. */
export interface ScheduleChange {
  state: 'planned' | 'sending' | 'applied' | 'refused' | 'superseded' | 'restored' | 'left';
  error?: string;
  left?: string;
  readonly group: string;
  readonly name: string;
  /** The whole schedule as it was (secret: its target's Input may hold container overrides). */
  readonly before: StoredSchedule;
  /** The task definition its target runs after the deploy. */
  after: string;
}

/** The journal's part that schedules need (see journal.ts): a change sent between two saves. */
export interface ChangeJournal {
  change<T>(items: ScheduleChange | readonly ScheduleChange[], call: () => Promise<T>): Promise<T>;
  save(): Promise<void>;
}

/** Moves each schedule to its `after` task definition, `concurrency` at once, each journaled. */
export async function applySchedules(
  scheduler: Sends<SchedulerClient>,
  journal: ChangeJournal,
  items: readonly ScheduleChange[],
  send: Send,
  concurrency: number,
  signal?: AbortSignal,
): Promise<void> {
  const changing = items.filter((item) => scheduleTaskDefinition(item.before) !== item.after);
  await inPool(changing, concurrency, (item) => journal.change(item, () => writeSchedule(scheduler, item.before, send, item.after)), signal);
}

/** One schedule, read whole, through `send` (named `GetSchedule GROUP/NAME`). */
export async function getSchedule(scheduler: Sends<SchedulerClient>, send: Send, group: string, name: string): Promise<GetScheduleOutput> {
  const { GetScheduleCommand } = await sdk();
  return send(`GetSchedule ${group}/${name}`, () => scheduler.send(new GetScheduleCommand({ GroupName: group, Name: name })));
}

/**
 * Puts each touched schedule back whole, as it was, then reads it again: `left` lists those
 * that are not exactly as before (each item's `state` says `restored` or `left`). When `signal`
 * fires (the rollback's deadline), no further schedule is written: those are left, named with
 * the revision they are still on.
 */
export async function restoreSchedules(
  scheduler: Sends<SchedulerClient>,
  items: readonly ScheduleChange[],
  send: Send,
  concurrency: number,
  progress: (line: string) => void,
  signal?: AbortSignal,
): Promise<ScheduleChange[]> {
  const touched = items.filter((item) => item.state !== 'planned' && item.state !== 'refused');
  const notPutBack = new Map<ScheduleChange, string>(touched.map((item) => [item, 'not put back before the deadline']));
  await inPool(
    touched,
    concurrency,
    async (item) => {
      try {
        await writeSchedule(scheduler, item.before, send, undefined, 'UpdateSchedule (rollback)');
        notPutBack.delete(item);
      } catch (error) {
        notPutBack.set(item, `the put-back failed: ${error instanceof Error ? error.message : String(error)}`);
        progress(`schedule ${item.group}/${item.name}: rollback refused: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    signal,
  ).catch(() => undefined);
  const left: ScheduleChange[] = [];
  for (const [item, why] of notPutBack) {
    item.state = 'left';
    item.left = `still on ${item.after.split('/').pop() ?? item.after} (this deploy's revision): ${why}`;
    left.push(item);
  }
  await inPool(
    touched.filter((item) => !notPutBack.has(item)),
    concurrency,
    async (item) => {
      try {
        const now = storedSchedule(await getSchedule(scheduler, send, item.group, item.name));
        const differences = scheduleDifferences(now, item.before);
        if (differences.length === 0) {
          item.state = 'restored';
          delete item.left;
        } else {
          item.state = 'left';
          item.left = `differs from before in ${differences.join(', ')} (runs ${scheduleTaskDefinition(now) ?? '?'})`;
          left.push(item);
        }
      } catch (error) {
        item.state = 'left';
        item.left = `put back, but could not be read back: ${error instanceof Error ? error.message : String(error)}`;
        left.push(item);
      }
    },
  );
  return left;
}
