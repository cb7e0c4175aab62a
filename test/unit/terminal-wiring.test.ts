import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { Terminal } from '../../src/model/terminal.js';
import { wireTerminal } from '../../src/runtime/docker/terminal.js';

const terminal: Terminal = { term: 'xterm', cols: 100, rows: 30, onResize: () => {} };

describe('a process on the client’s terminal', () => {
  test('gets the input typed ahead only once it has the terminal’s size', async () => {
    const events: string[] = [];
    const stdin = new PassThrough();
    const process = new PassThrough();
    process.on('data', (chunk: Buffer) => events.push(`input ${String(chunk)}`));
    let sized = () => {};
    wireTerminal(
      process,
      { stdin, stdout: new PassThrough(), tty: terminal },
      {
        resize: (size) => {
          events.push(`resize ${size.w}x${size.h}`);
          return new Promise<void>((resolve) => (sized = resolve));
        },
        hangUp: () => {},
      },
    );
    stdin.write('SELECT 1;\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(['resize 100x30']);
    sized();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(['resize 100x30', 'input SELECT 1;\n']);
  });

  test('gets its input even when the engine refuses the size', async () => {
    const stdin = new PassThrough();
    const process = new PassThrough();
    const received: string[] = [];
    process.on('data', (chunk: Buffer) => received.push(String(chunk)));
    wireTerminal(
      process,
      { stdin, stdout: new PassThrough(), tty: terminal },
      { resize: () => Promise.reject(new Error('no such exec')), hangUp: () => {} },
    );
    stdin.write('ls\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toEqual(['ls\n']);
  });
});
