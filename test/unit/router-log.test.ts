import { expect, test } from 'vitest';
import { procId } from '../../src/drains/syslog.js';
import { parseRouterLog } from '../../src/proxy/router-log.js';

test('the router’s lines from nginx: a drop count, then a time and Heroku’s fields per request; anything else is skipped', () => {
  const text = [
    'dropped 3',
    '1796550000.123 at=info method=GET path="/" host=shop.example.test fwd="10.0.0.1" connect=0ms service=4ms status=200 bytes=512 protocol=http',
    'garbage',
    '1796550001 at=error method=POST path="/pay" host=shop.example.test fwd="10.0.0.2" connect=1ms service=30000ms status=504 bytes=0 protocol=https',
    '',
  ].join('\n');
  expect(parseRouterLog(text)).toEqual({
    dropped: 3,
    lines: [
      {
        time: '2026-12-06T09:40:00.123Z',
        message:
          'at=info method=GET path="/" host=shop.example.test fwd="10.0.0.1" connect=0ms service=4ms status=200 bytes=512 protocol=http',
      },
      {
        time: '2026-12-06T09:40:01.000Z',
        message:
          'at=error method=POST path="/pay" host=shop.example.test fwd="10.0.0.2" connect=1ms service=30000ms status=504 bytes=0 protocol=https',
      },
    ],
  });
  expect(parseRouterLog('')).toEqual({ dropped: 0, lines: [] });
});

test('router lines are the `router` process in syslog and NDJSON, as Heroku names them', () => {
  const record = { time: '', app: 'shop', release: 1, message: '' };
  expect(procId({ ...record, process: 'router', index: 0 })).toBe('router');
  expect(procId({ ...record, process: 'web', index: 2 })).toBe('web.2');
});
