import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { NotifyEvent } from '../config/service-config-schema.js';
import type { NotifyTarget } from '../config/service-config.js';
import type { ObjectCounts } from '../pipeline/run-counts.js';
import type { SyncRunResult } from '../pipeline/run-sync.js';
import type { StateDatabase } from '../state/state-database.js';
import { coerceError, QuotaExceededError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature.js';

/** The JSON body of every delivery. */
export interface WebhookPayload {
  readonly id: string;
  readonly event: NotifyEvent;
  readonly sync: string;
  readonly occurredAt: string;
  readonly run: {
    readonly id: string;
    readonly status: SyncRunResult['status'];
    readonly durationMs: number;
    readonly writes: number;
    readonly counts: Readonly<
      Record<string, Pick<ObjectCounts, 'erp' | 'crm' | 'conflicts'> & { readonly plan: ObjectCounts['plan'] }>
    >;
    readonly error?: { readonly name: string; readonly message: string; readonly code?: string };
    /** GET /runs/:id of the replica that ran it, when its address is known. */
    readonly link?: string;
  };
  /** record.rejected: the rejected records (the first 20 per object); conflict.queued: the objects with queued ones. */
  readonly records?: readonly {
    readonly object: string;
    readonly system?: string;
    readonly key?: string;
    readonly reason?: string;
    readonly queued?: number;
    /** The command that shows the record's state and decisions. */
    readonly explain?: string;
  }[];
}

export interface DeliveryResult {
  readonly target: string;
  readonly event: NotifyEvent;
  readonly status: 'delivered' | 'failed';
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
}

/** Where a delivery goes, as logged: the origin and path, never the query (it may carry a token). */
function targetLabel(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** The events a finished run raises, with their payloads. */
export function eventsOf(
  sync: string,
  result: SyncRunResult,
  objects: readonly string[],
  runLink?: string,
): { event: NotifyEvent; payload: WebhookPayload }[] {
  const counts = Object.fromEntries(
    Object.entries(result.counts).map(([o, c]) => [
      o,
      { erp: c.erp, crm: c.crm, conflicts: c.conflicts, plan: c.plan },
    ]),
  );
  const error = result.error
    ? {
        name: result.error.name,
        message: result.error.message,
        ...('code' in result.error && typeof result.error.code === 'string' ? { code: result.error.code } : {}),
      }
    : undefined;
  const run: WebhookPayload['run'] = {
    id: result.runId,
    status: result.status,
    durationMs: result.durationMs,
    writes: result.writes,
    counts,
    ...(error ? { error } : {}),
    ...(runLink ? { link: runLink } : {}),
  };
  const make = (event: NotifyEvent, records?: WebhookPayload['records']) => ({
    event,
    payload: {
      id: randomUUID(),
      event,
      sync,
      occurredAt: new Date().toISOString(),
      run,
      ...(records ? { records } : {}),
    } satisfies WebhookPayload,
  });
  const out: { event: NotifyEvent; payload: WebhookPayload }[] = [];
  if (result.status === 'succeeded') out.push(make('run.succeeded'));
  if (result.status === 'partial') out.push(make('run.partial'));
  if (result.status === 'failed') out.push(make('run.failed'));
  if (result.error instanceof QuotaExceededError) out.push(make('quota.exhausted'));
  const queued = objects
    .map((object) => ({ object, queued: result.counts[object]?.conflicts.queued ?? 0 }))
    .filter((q) => q.queued > 0);
  if (queued.length > 0)
    out.push(
      make(
        'conflict.queued',
        queued.map((q) => ({ ...q, explain: `tandem conflicts list --object ${q.object}` })),
      ),
    );
  const rejected = objects.flatMap((object) =>
    (result.counts[object]?.rejections ?? []).map((r) => ({
      object,
      system: r.system,
      key: r.key,
      reason: r.reason,
      explain: `tandem policy explain --object ${object} --key ${r.key}`,
    })),
  );
  if (rejected.length > 0) out.push(make('record.rejected', rejected));
  return out;
}

/**
 * Sends run events to the `notify:` webhooks: signed JSON (see webhook-signature.ts), each attempt bounded by the
 * target's timeoutMs, retried with backoff, every delivery logged in notify_delivery (without the payload). Called
 * in the background of a run: a receiver that fails or hangs never fails or delays a sync.
 */
export class WebhookNotifier {
  readonly #targets: readonly NotifyTarget[];
  readonly #sync: string;
  readonly #database: StateDatabase | undefined;
  readonly #logger: Logger;
  readonly #backoffMs: number;

  constructor(options: {
    targets: readonly NotifyTarget[];
    sync: string;
    database?: StateDatabase;
    logger: Logger;
    /** First retry delay; doubles with each retry (default 1000). */
    backoffMs?: number;
  }) {
    this.#targets = options.targets;
    this.#sync = options.sync;
    this.#database = options.database;
    this.#logger = options.logger;
    this.#backoffMs = options.backoffMs ?? 1000;
  }

  /** Sends every event of a finished run to the targets that want it; resolves when all deliveries ended. */
  async notifyRun(result: SyncRunResult, objects: readonly string[], runLink?: string): Promise<DeliveryResult[]> {
    const events = eventsOf(this.#sync, result, objects, runLink);
    const deliveries: Promise<DeliveryResult>[] = [];
    for (const { event, payload } of events)
      for (const target of this.#targets)
        if (target.events.includes(event)) deliveries.push(this.deliver(target, payload, result.runId));
    return Promise.all(deliveries);
  }

  async deliver(target: NotifyTarget, payload: WebhookPayload, runId: string | null): Promise<DeliveryResult> {
    const body = JSON.stringify(payload);
    let attempts = 0;
    let lastStatus: number | null = null;
    let lastError: string | null = null;
    let delivered = false;
    while (!delivered && attempts <= target.retries) {
      if (attempts > 0) await new Promise((resolve) => setTimeout(resolve, this.#backoffMs * 2 ** (attempts - 1)));
      attempts += 1;
      const timestamp = Math.floor(Date.now() / 1000);
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'tandem-webhook/1',
            [EVENT_HEADER]: payload.event,
            [DELIVERY_HEADER]: payload.id,
            [TIMESTAMP_HEADER]: String(timestamp),
            [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(target.timeoutMs),
        });
        lastStatus = response.status;
        await response.body?.cancel().catch(() => {});
        delivered = response.status >= 200 && response.status < 300;
        lastError = delivered ? null : `HTTP ${response.status}`;
      } catch (error) {
        const e = coerceError(error);
        lastStatus = null;
        lastError = e.name === 'TimeoutError' ? `no answer within ${target.timeoutMs} ms` : e.message;
      }
    }
    const result: DeliveryResult = {
      target: targetLabel(target.url),
      event: payload.event,
      status: delivered ? 'delivered' : 'failed',
      attempts,
      lastStatus,
      lastError,
    };
    if (!delivered)
      this.#logger.warn({ target: result.target, event: result.event, attempts, lastError }, 'webhook delivery failed');
    await this.#log(result, runId).catch((error: unknown) =>
      this.#logger.warn({ err: coerceError(error) }, 'could not log the webhook delivery'),
    );
    return result;
  }

  async #log(result: DeliveryResult, runId: string | null): Promise<void> {
    const database = this.#database;
    if (!database) return;
    await sql`
      insert into ${sql.id(database.schema, 'notify_delivery')}
        (sync_name, event, run_id, target, status, attempts, last_status, last_error)
      values (${this.#sync}, ${result.event}, ${runId === null ? null : Number(runId)}, ${result.target}, ${result.status},
              ${result.attempts}, ${result.lastStatus}, ${result.lastError})`.execute(database.db);
  }
}
