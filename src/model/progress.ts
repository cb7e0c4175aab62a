/** Where long work (a build, a deploy) reports what it does, in Dokku's line styles. */
export interface ProgressLog {
  step(message: string): void;
  section(message: string): void;
  detail(message: string): void;
  error(message: string): void;
  /** A line that is already formatted, such as a buildpack's own output. */
  raw(line: string): void;
}
