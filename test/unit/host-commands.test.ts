import { expect, test } from 'vitest';
import { FRAME, frame, FrameReader, hostCommandSocket } from '../../src/core/host-commands.js';

test('frames come out whole however the bytes are cut', () => {
  const bytes = Buffer.concat([frame(FRAME.stdout, 'hello\n'), frame(FRAME.stderr, Buffer.alloc(0)), frame(FRAME.exit, '3')]);
  for (const size of [1, 2, 5, 7, bytes.length]) {
    const seen: [number, string][] = [];
    const reader = new FrameReader((kind, payload) => seen.push([kind, payload.toString()]));
    for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
    expect(seen).toEqual([[FRAME.stdout, 'hello\n'], [FRAME.stderr, ''], [FRAME.exit, '3']]);
  }
});

test('the socket is where the daemon with the same SLIPWAY_DATA_DIR listens', () => {
  expect(hostCommandSocket({})).toBe('/var/lib/slipway/run/cli.sock');
  expect(hostCommandSocket({ SLIPWAY_DATA_DIR: '/srv/slipway/' })).toBe('/srv/slipway/run/cli.sock');
});
