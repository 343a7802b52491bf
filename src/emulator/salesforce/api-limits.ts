/**
 * The org limits `/limits` reports, with counters that really count. Windows never roll (the emulator is a
 * short-lived test org); restart it or use a dataDir-less instance to reset them.
 */
export class ApiLimits {
  apiRequests = 0;
  bulkBatches = 0;
  queryJobs = 0;
  /** Bytes of query results served. */
  queryResultBytes = 0;

  constructor(readonly dailyApiRequests: number) {}

  get apiRequestsRemaining(): number {
    return Math.max(0, this.dailyApiRequests - this.apiRequests);
  }

  /** The `Sforce-Limit-Info` header value. */
  header(): string {
    return `api-usage=${this.apiRequests}/${this.dailyApiRequests}`;
  }

  /** The `/limits` resource body. */
  toJson(): Record<string, { Max: number; Remaining: number }> {
    const fileStorageMax = 976_562;
    return {
      ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
      DailyApiRequests: { Max: this.dailyApiRequests, Remaining: this.apiRequestsRemaining },
      DailyAsyncApexExecutions: { Max: 250_000, Remaining: 250_000 },
      DailyBulkApiBatches: { Max: 15_000, Remaining: Math.max(0, 15_000 - this.bulkBatches) },
      DailyBulkV2QueryFileStorageMB: {
        Max: fileStorageMax,
        Remaining: Math.max(0, fileStorageMax - Math.ceil(this.queryResultBytes / 1_048_576)),
      },
      DailyBulkV2QueryJobs: { Max: 10_000, Remaining: Math.max(0, 10_000 - this.queryJobs) },
      DataStorageMB: { Max: 1024, Remaining: 1024 },
      FileStorageMB: { Max: 1024, Remaining: 1024 },
      HourlyODataCallout: { Max: 10_000, Remaining: 10_000 },
    };
  }
}
