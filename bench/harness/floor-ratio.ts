/** The measured floor of an initial load: each step's ms, the remote's processing among them. */
export interface FloorSteps {
  readonly upload: number;
  /** The remote's (emulator's) own processing. */
  readonly remote: number;
  readonly results: number;
  readonly state: number;
}

/** Sum of the floor's steps, ms. */
export function floorTotalMs(steps: FloorSteps): number {
  return steps.upload + steps.remote + steps.results + steps.state;
}

/**
 * Tandem's own work against the floor's, the remote's processing taken out of both: `(wall − remote) / (floor −
 * floor's remote)`. `remoteMs` is the remote's processing of tandem's own run (the emulator's `totalProcessingTime`
 * of its jobs); NaN when the floor has no work of its own.
 *
 * @example
 * ```ts
 * ownWorkRatio(40_000, 12_000, { upload: 2_000, remote: 12_000, results: 6_000, state: 6_000 }) // 28 s / 14 s = 2
 * ```
 */
export function ownWorkRatio(wallMs: number, remoteMs: number, floor: FloorSteps): number {
  const own = floorTotalMs(floor) - floor.remote;
  return own > 0 ? (wallMs - remoteMs) / own : Number.NaN;
}
