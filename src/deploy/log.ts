import { format } from '../core/output.js';
import type { ProgressLog } from '../model/progress.js';
import type { DeployLogs } from '../queue/logs.js';

/** What a deploy prints: streamed live to whoever follows it, and kept whole for the history. */
export class DeployLog implements ProgressLog {
  private readonly lines: string[] = [];

  constructor(
    private readonly logs: Pick<DeployLogs, 'append'>,
    readonly deployId: string,
  ) {}

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
  /** A line that is already formatted, such as a buildpack's own output. */
  raw(line: string) {
    this.write(line);
  }

  text(): string {
    return this.lines.join('\n');
  }

  private write(line: string) {
    this.lines.push(line);
    this.logs.append(this.deployId, line);
  }
}
