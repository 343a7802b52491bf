import { parse } from 'csv-parse/sync';
import { strFromU8, unzipSync } from 'fflate';
import { UnavailableError } from '../../util/errors.js';
import type { ZohoApi } from './zoho-api.js';
import { pollUntil, type PollSettings } from './zoho-polling.js';

/**
 * Every row of a Bulk Read export, page after page (200,000 rows a job; `next_page_token` starts the next job).
 * Rows come as Zoho wrote them: unsorted, and a record changed between pages may come twice; callers order and
 * de-duplicate. A job that does not finish within the poll timeout is an UnavailableError (an export is not
 * resumable: the next run reads again).
 */
export async function* bulkReadRows(
  api: ZohoApi,
  query: { module: string; fields: readonly string[]; criteria?: unknown },
  poll: PollSettings,
  signal?: AbortSignal,
): AsyncGenerator<Record<string, string>[]> {
  let pageToken: string | undefined;
  for (;;) {
    const jobId = await api.createReadJob(
      {
        module: { api_name: query.module },
        fields: query.fields,
        ...(query.criteria === undefined ? {} : { criteria: query.criteria }),
        ...(pageToken === undefined ? {} : { page_token: pageToken }),
      },
      signal,
    );
    const done = await pollUntil(
      async () => {
        const d = await api.readJob(jobId, signal);
        return d.state === 'COMPLETED' || d.state === 'FAILURE' || d.state === 'FAILED' ? d : undefined;
      },
      poll,
      signal,
    );
    if (done === undefined) {
      throw new UnavailableError(`Zoho bulk read job ${jobId} of ${query.module} did not finish within pollTimeoutMs`, {
        jobId,
      });
    }
    if (done.state !== 'COMPLETED' || done.downloadUrl === undefined) {
      throw new UnavailableError(
        `Zoho bulk read job ${jobId} of ${query.module} failed: ${done.errorMessage ?? done.state}`,
        { jobId },
      );
    }
    const zip = await api.download(done.downloadUrl, `bulk read result ${jobId}`, signal);
    const files = unzipSync(new Uint8Array(zip));
    const csv = Object.entries(files).find(([name]) => name.toLowerCase().endsWith('.csv'))?.[1];
    if (csv === undefined) throw new UnavailableError(`Zoho bulk read result ${jobId} holds no CSV`, { jobId });
    const rows = parse<Record<string, string>>(strFromU8(csv), { columns: true, bom: true, skip_empty_lines: true });
    yield rows;
    if (!done.moreRecords || done.nextPageToken === undefined) return;
    pageToken = done.nextPageToken;
  }
}
