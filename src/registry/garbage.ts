import fs from 'node:fs';
import path from 'node:path';
import { runProgram } from '../core/process.js';

/**
 * Pushes in flight and a garbage collection running, per registry directory. Collection
 * deletes blobs no manifest references, so a push uploading layers meanwhile could lose
 * them: the two never overlap. Only this daemon pushes, so in-process counting is enough.
 */
const activity = new Map<string, { pushes: number; collecting?: Promise<unknown> }>();

/**
 * The registry's garbage: layers of pruned images, freed by `docker-registry garbage-collect`
 * when a prune marked some due and no push is in flight.
 */
export class RegistryGarbage {
  constructor(private readonly options: { dir: string; bin: string; config: string }) {}

  /** Present while pruned manifests may have left layers to free. */
  private get marker(): string {
    return path.join(this.options.dir, 'garbage-due');
  }

  /** A prune deleted manifests: their layers are freed at the next chance. */
  markDue(): void {
    fs.writeFileSync(this.marker, '');
  }

  /** Runs `push` once no garbage collection runs, and keeps one from starting until it is done. */
  async whilePushing<T>(push: () => Promise<T>): Promise<T> {
    const current = this.activity();
    while (current.collecting) await current.collecting;
    current.pushes++;
    try {
      return await push();
    } finally {
      current.pushes--;
    }
  }

  /**
   * Frees the layers of pruned images when a prune left some and no push is in flight (it
   * waits for the next chance otherwise): the number of blobs deleted, or undefined when
   * nothing was due.
   */
  async collectIfDue(): Promise<number | undefined> {
    const current = this.activity();
    if (!fs.existsSync(this.marker) || current.pushes > 0 || current.collecting) return undefined;
    const collecting = this.collect();
    current.collecting = collecting;
    try {
      return await collecting;
    } finally {
      current.collecting = undefined;
    }
  }

  private async collect(): Promise<number> {
    fs.rmSync(this.marker, { force: true }); // a prune during the run marks it due again
    const result = await runProgram(this.options.bin, ['garbage-collect', this.options.config]);
    if (result.code !== 0) {
      this.markDue();
      throw new Error(
        `garbage-collect exited with code ${result.code}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')}`,
      );
    }
    return (result.stdout + result.stderr).split('\n').filter((line) => line.includes('blob eligible for deletion'))
      .length;
  }

  private activity() {
    let current = activity.get(this.options.dir);
    if (!current) activity.set(this.options.dir, (current = { pushes: 0 }));
    return current;
  }
}
