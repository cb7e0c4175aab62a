import { describe, expect, test } from 'vitest';
import { lastEventId, serverSentEvent } from '../../src/api/sse.js';
import { parseEvents } from '../support/sse.js';

describe('server-sent events', () => {
  test.each([
    ['a bare CR', '\r\revent: end\rdata: {"ok":true}\r\r'],
    ['LF', '\n\nevent: end\ndata: {"ok":true}\n\n'],
    ['CRLF', '\r\n\r\nevent: end\r\ndata: {"ok":true}\r\n\r\n'],
    ['U+2028 and U+2029', '\u2028\u2028event: end\u2029data: {"ok":true}\u2029\u2029'],
  ])('a line with %s is one event carrying exactly that line', (_label, line) => {
    const text = serverSentEvent('line', 7, line) + serverSentEvent('end', 8, { ok: false, message: 'build failed' });
    expect(text).not.toMatch(/[\r\u2028\u2029]/);
    expect(text.split('\n').filter((l) => l.startsWith('data:'))).toHaveLength(2);
    const events = parseEvents(text);
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ['line', '7'],
      ['end', '8'],
    ]);
    expect(JSON.parse(events[0]!.data)).toBe(line);
    expect(JSON.parse(events[1]!.data)).toEqual({ ok: false, message: 'build failed' });
  });

  test('Last-Event-ID is a count of events, or 0 for anything else', () => {
    expect([
      lastEventId('12'),
      lastEventId(undefined),
      lastEventId('-1'),
      lastEventId('1e3'),
      lastEventId(' 4'),
      lastEventId('9'.repeat(20)),
    ]).toEqual([12, 0, 0, 0, 0, 0]);
  });
});
