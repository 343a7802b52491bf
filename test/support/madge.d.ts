// The part of madge's API (no bundled types) the architecture tests use.
declare module 'madge' {
  interface MadgeConfig {
    readonly fileExtensions?: readonly string[];
    readonly tsConfig?: string;
  }
  interface MadgeResult {
    /** Every module (path relative to the base folder) and the modules it imports. */
    obj(): Record<string, string[]>;
    circular(): string[][];
  }
  function madge(path: string, config?: MadgeConfig): Promise<MadgeResult>;
  export default madge;
}
