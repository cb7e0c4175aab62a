import { expect, test } from 'vitest';
import {
  FRAME,
  frame,
  FrameReader,
  FrameTooLargeError,
  hostCommandSocket,
  MAX_FRAME_BYTES,
} from '../../src/core/host-commands.js';

test('frames come out whole however the bytes are cut', () => {
  const bytes = Buffer.concat([
    frame(FRAME.stdout, 'hello\n'),
    frame(FRAME.stderr, Buffer.alloc(0)),
    frame(FRAME.exit, '3'),
  ]);
  for (const size of [1, 2, 5, 7, bytes.length]) {
    const seen: [number, string][] = [];
    const reader = new FrameReader((kind, payload) => seen.push([kind, payload.toString()]));
    for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
    expect(seen).toEqual([
      [FRAME.stdout, 'hello\n'],
      [FRAME.stderr, ''],
      [FRAME.exit, '3'],
    ]);
  }
});

test('the socket is where the daemon with the same SLIPWAY_DATA_DIR listens', () => {
  expect(hostCommandSocket({})).toBe('/var/lib/slipway/run/cli.sock');
  expect(hostCommandSocket({ SLIPWAY_DATA_DIR: '/srv/slipway/' })).toBe('/srv/slipway/run/cli.sock');
});

test('a payload over the bound goes as several frames, read back in order', () => {
  const payload = Buffer.alloc(MAX_FRAME_BYTES * 2 + 3, 7);
  const bytes = frame(FRAME.stdin, payload);
  for (const size of [4096, 65_536 + 1, bytes.length]) {
    const pieces: Buffer[] = [];
    const reader = new FrameReader((kind, piece) => {
      expect(kind).toBe(FRAME.stdin);
      expect(piece.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      pieces.push(Buffer.from(piece));
    });
    for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
    expect(pieces).toHaveLength(3);
    expect(Buffer.concat(pieces).equals(payload)).toBe(true);
  }
});

test('a frame announced over the bound is refused at its header, before its bytes come', () => {
  const header = Buffer.alloc(5);
  header.writeUInt8(FRAME.stdin, 0);
  header.writeUInt32BE(48 * 1024 * 1024, 1);
  const reader = new FrameReader(() => {
    throw new Error('no frame may come out');
  });
  expect(() => reader.push(header)).toThrow(FrameTooLargeError);
});
