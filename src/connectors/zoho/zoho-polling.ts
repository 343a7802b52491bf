/** How a connector waits for Zoho bulk jobs. */
export interface PollSettings {
  readonly intervalMs: number;
  readonly maxIntervalMs: number;
  readonly timeoutMs: number;
}

/** Sleeps `ms`, rejecting when the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

/**
 * Polls `probe` until it returns a value, waiting longer each time (x1.5 up to maxIntervalMs); undefined when
 * timeoutMs passes first.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  poll: PollSettings,
  signal?: AbortSignal,
): Promise<T | undefined> {
  const deadline = Date.now() + poll.timeoutMs;
  let wait = poll.intervalMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() + wait > deadline) return undefined;
    await pause(wait, signal);
    wait = Math.min(poll.maxIntervalMs, Math.ceil(wait * 1.5));
  }
}
