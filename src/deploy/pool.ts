/**
 * Bounded concurrency for the many small AWS calls of a deploy (scheduled targets, schedules,
 * deregistrations). EventBridge takes PutTargets for one rule per call, so 80 rules are 80
 * calls: in series they cost 80 round trips, while the account's request rate (about 50/s)
 * allows a few in flight. Four keeps well under that rate; throttling is retried per call by
 * the caller's retry (backoff with jitter), so a throttled account slows down, it does not fail.
 */

/** Calls in flight at once unless a flag says otherwise. */
export const DEFAULT_CONCURRENCY = 4;

export class PoolFailure extends Error {
  override readonly name = 'PoolFailure';
  constructor(
    readonly first: unknown,
    /** Items whose work was never started because an earlier one failed. */
    readonly notStarted: number,
  ) {
    super(first instanceof Error ? first.message : String(first));
  }
}

/**
 * Runs `work` on every item, at most `limit` at once, results in item order. On the first
 * failure no further item starts; the calls already in flight settle (a change they make is
 * then known to the caller's own bookkeeping) before the first error is thrown, as the
 * `PoolFailure`'s `first`.
 */
export async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a whole number of at least 1 (got ${limit})`);
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && signal?.aborted !== true && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw new PoolFailure(failure.error, items.length - next);
  if (signal?.aborted === true && next < items.length) throw new PoolFailure(new PoolStopped(), items.length - next);
  return results;
}

/** The pool's signal was aborted before every item started: no item failed. */
export class PoolStopped extends Error {
  override readonly name = 'PoolStopped';
  constructor() {
    super('stopped on a signal');
  }
}

/** The error a pool failed with, as thrown by the failing call. */
export function poolCause(error: unknown): unknown {
  return error instanceof PoolFailure ? error.first : error;
}
