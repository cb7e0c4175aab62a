/**
 * The phases a deploy passes, in order; each is recorded when reached (epoch ms). `hook`: the
 * pre-receive hook started (before archiving the commit); `received`: the daemon has the
 * request; `started`: a worker took it; `compiled`: the buildpack compile ended; `built`: the
 * release image exists; `running`: its containers run; `checked`: they passed their checks;
 * `routed`: traffic is on them (live).
 */
export const DEPLOY_PHASES = [
  'hook',
  'received',
  'started',
  'compiled',
  'built',
  'running',
  'checked',
  'routed',
] as const;
export type DeployPhase = (typeof DEPLOY_PHASES)[number];

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
  /** The work reached one of its phases (a deploy records when; see state/deploys.ts). */
  mark(phase: Exclude<DeployPhase, 'hook' | 'received' | 'started'>): void;
}
