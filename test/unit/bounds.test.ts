import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, expect, test } from 'vitest';
import { readSource } from '../../src/builder/source.js';
import { tarOf } from '../../src/builder/tar.js';
import { LineBuffer } from '../../src/core/lines.js';
import { DeployLog, MAX_OUTPUT_BYTES } from '../../src/deploy/log.js';

// What one app's build or source may cost the daemon: bounded memory and bounded time.

describe('bounds on what an app can make the daemon hold', () => {
  test('output with no newline is cut into lines of at most the maximum, not collected without end', () => {
    const buffer = new LineBuffer(10);
    expect(buffer.push('a'.repeat(25))).toEqual(['a'.repeat(10), 'a'.repeat(10)]);
    expect(buffer.push('b\nc')).toEqual(['aaaaab']);
    expect(buffer.end()).toBe('c');
  });

  test('a deploy keeps at most MAX_OUTPUT_BYTES of build output, then says it dropped the rest', () => {
    const log = new DeployLog({ append() {} }, 'd');
    const line = 'y'.repeat(1023);
    for (let i = 0; i < (MAX_OUTPUT_BYTES / 1024) * 2; i++) log.raw(line);
    log.step('Still shown: Slipway’s own steps');
    log.detail('and its own details');
    const text = log.text();
    expect(text.length).toBeLessThan(MAX_OUTPUT_BYTES + 1024);
    expect(text.match(/output beyond 4 MiB is not kept or shown/g)).toHaveLength(1);
    expect(text).toContain('Still shown');
    expect(text).toContain('and its own details');
  });

  test('healthchecks that could hold a deploy for hours are refused at the push', async () => {
    const tarPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bounds-')), 'source.tar');
    const appJson = JSON.stringify({ healthchecks: { web: [{ path: '/', attempts: 100, timeout: 600 }] } });
    await pipeline(tarOf([{ name: 'app.json', content: appJson }]), fs.createWriteStream(tarPath));
    await expect(readSource(tarPath)).rejects.toThrow(/could take 60500 s to fail.*at most 900 s/);
  });
});
