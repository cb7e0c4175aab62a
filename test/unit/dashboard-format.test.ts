import { describe, expect, test } from 'vitest';
import type { DeployJson } from '../../src/model/api.js';
import {
  ago,
  chartPoints,
  commandResult,
  deployOutcome,
  deployToFollow,
  duration,
  lineSplitter,
  matchingLines,
  mib,
  stateOf,
  toneOf,
} from '../../src/dashboard/client/format.js';

// What the dashboard's pages show, worked out without a browser (the pages themselves are
// driven in Chromium by test/e2e/dashboard*.test.ts).

const deploy = (id: string, status: DeployJson['status']): DeployJson => ({
  id,
  app: 'a',
  kind: 'push',
  status,
  release: null,
  rev: null,
  error: null,
  requested_by: 'k',
  started_at: '2026-01-01T00:00:00Z',
  finished_at: null,
  timings_ms: {},
});

describe('dashboard formatting', () => {
  test('ages in the largest whole unit, never negative, empty for no time', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    const before = (seconds: number) => new Date(now - seconds * 1000).toISOString();
    expect([0, 59, 60, 3599, 3600, 86399, 86400, 3 * 86400].map((s) => ago(before(s), now))).toEqual([
      '0 s ago',
      '59 s ago',
      '1 min ago',
      '60 min ago',
      '1 h ago',
      '24 h ago',
      '1 d ago',
      '3 d ago',
    ]);
    expect(ago(new Date(now + 5000).toISOString(), now)).toBe('0 s ago');
    expect([ago(null, now), ago(undefined, now), ago('', now)]).toEqual(['', '', '']);
  });

  test('an app’s state in words', () => {
    expect(stateOf({ deployed: false, stopped: true, sleeping: false, running: 'true' })).toBe('not deployed');
    expect(stateOf({ deployed: true, stopped: true, sleeping: false, running: 'true' })).toBe('stopped');
    // Its containers are gone (or still draining while it is put to sleep): asleep, not failed.
    expect(stateOf({ deployed: true, stopped: false, sleeping: true, running: 'false' })).toBe('sleeping');
    expect(stateOf({ deployed: true, stopped: false, sleeping: true, running: 'true' })).toBe('sleeping');
    expect(
      ['true', 'mixed', 'false'].map((running) =>
        stateOf({ deployed: true, stopped: false, sleeping: false, running }),
      ),
    ).toEqual(['running', 'partly running', 'failed']);
  });

  test('the log shown by itself is the deploy under way, else the newest', () => {
    expect(deployToFollow([deploy('3', 'failed'), deploy('2', 'running'), deploy('1', 'succeeded')])?.id).toBe('2');
    expect(deployToFollow([deploy('3', 'failed'), deploy('2', 'queued')])?.id).toBe('2');
    expect(deployToFollow([deploy('3', 'succeeded'), deploy('2', 'failed')])?.id).toBe('3');
    expect(deployToFollow([])).toBeUndefined();
    expect([
      deployOutcome({ ok: true }),
      deployOutcome({ ok: false, message: 'build failed' }),
      deployOutcome({ ok: false }),
    ]).toEqual(['\n(deploy succeeded)\n', '\n(deploy failed: build failed)\n', '\n(deploy failed: )\n']);
  });

  test('sizes', () => {
    expect([mib(0), mib(1.5 * 1024 * 1024), mib(null)]).toEqual(['0.0 MiB', '1.5 MiB', '-']);
  });

  test('a log filter keeps the lines that contain its text, in any case; an empty one keeps all', () => {
    const lines = ['GET /health 200', 'POST /login 401', 'get /Health 200'];
    expect(matchingLines(lines, 'health')).toEqual(['GET /health 200', 'get /Health 200']);
    expect(matchingLines(lines, '  ')).toEqual(lines);
    expect(matchingLines(lines, 'nothing')).toEqual([]);
  });

  test('a command’s result: stdout’s lines when it exits 0, else its ! lines as the reason', () => {
    expect(
      commandResult([
        { stream: 'stdout', line: '-----> Creating x...' },
        { stream: 'stderr', line: 'progress' },
        { exit: 0 },
      ]),
    ).toEqual({ ok: true, lines: ['-----> Creating x...'] });
    expect(
      commandResult([{ stream: 'stderr', line: ' !     Confirmation did not match x. Aborted.' }, { exit: 1 }]),
    ).toEqual({ ok: false, error: 'Confirmation did not match x. Aborted.' });
    expect(commandResult([])).toEqual({ ok: false, error: 'the connection ended' });
  });

  test('states and statuses have tones; durations read as seconds and minutes', () => {
    expect(['running', 'failed', 'queued', 'not deployed', 'partly running'].map(toneOf)).toEqual([
      'good',
      'bad',
      'busy',
      'idle',
      'bad',
    ]);
    expect(duration('2026-01-01T00:00:00Z', '2026-01-01T00:00:42Z')).toBe('42 s');
    expect(duration('2026-01-01T00:00:00Z', '2026-01-01T00:03:05Z')).toBe('3 min 5 s');
    expect(duration('2026-01-01T00:00:00Z', null, Date.parse('2026-01-01T00:00:07Z'))).toBe('7 s');
  });

  test('a stream is split into whole lines, a line cut between chunks waiting for its end', () => {
    const lines = lineSplitter();
    expect(lines('{"line":"a"}\n{"li')).toEqual(['{"line":"a"}']);
    expect(lines('ne":"b"}')).toEqual([]);
    expect(lines('\n\n{"exit":0}\n')).toEqual(['{"line":"b"}', '', '{"exit":0}']);
  });

  test('chart points: the newest at the right edge, the top at max, higher values cut there', () => {
    expect(chartPoints([0, 5, 10, 20], 10, 6)).toBe('2,20 3,10.5 4,1 5,1');
    expect(chartPoints([], 10, 6)).toBe('');
    expect(chartPoints([0], 0, 6)).toBe('5,20');
  });
});
