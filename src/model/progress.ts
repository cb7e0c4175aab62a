/** Where long work (a build, a deploy) reports what it does, in Dokku's line styles. */
export interface ProgressLog {
  step(message: string): void;
  section(message: string): void;
  detail(message: string): void;
  error(message: string): void;
  /** A line the app's own build or task printed, shown as a detail; a deploy keeps a bounded amount of these. */
  output(line: string): void;
  /** Output of the app's build that is already formatted, such as a buildpack's own; bounded like `output`. */
  raw(line: string): void;
}
