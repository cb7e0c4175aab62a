import { format } from '../core/output.js';
import type { ProgressLog } from '../model/progress.js';
import type { DeployLogs } from '../queue/logs.js';
import type { DeployPhase } from '../model/progress.js';

/** Build and task output kept per deploy; beyond it, output is dropped with one notice (Slipway's own lines are always kept). */
export const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** What a deploy prints: streamed live to whoever follows it, and kept for the history. */
export class DeployLog implements ProgressLog {
  private readonly lines: string[] = [];
  private outputBytes = 0;

  constructor(
    private readonly logs: Pick<DeployLogs, 'append'>,
    readonly deployId: string,
    private readonly onMark: (phase: DeployPhase) => void = () => {},
  ) {}

  mark(phase: DeployPhase) {
    this.onMark(phase);
  }

  step(message: string) {
    this.write(format.step(message));
  }
  section(message: string) {
    this.write(format.section(message));
  }
  detail(message: string) {
    this.write(format.detail(message));
  }
  error(message: string) {
    this.write(format.error(message));
  }
  output(line: string) {
    this.bounded(format.detail(line));
  }
  raw(line: string) {
    this.bounded(line);
  }

  text(): string {
    return this.lines.join('\n');
  }

  /** Output of the app's own build or tasks: bounded, so `RUN yes` cannot fill the daemon's memory. */
  private bounded(line: string) {
    if (this.outputBytes > MAX_OUTPUT_BYTES) return;
    this.outputBytes += line.length + 1;
    if (this.outputBytes <= MAX_OUTPUT_BYTES) return this.write(line);
    this.write(format.detail(`(output beyond ${MAX_OUTPUT_BYTES / 1024 / 1024} MiB is not kept or shown)`));
  }

  private write(line: string) {
    this.lines.push(line);
    this.logs.append(this.deployId, line);
  }
}
