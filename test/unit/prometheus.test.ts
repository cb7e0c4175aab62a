import { expect, test } from 'vitest';
import { histogramSamples, renderPrometheus } from '../../src/metrics/prometheus.js';
import { LATENCY_BUCKETS, parseTraffic } from '../../src/proxy/traffic.js';

test('nginx’s counter lines become per-app traffic; lines that are not counters are skipped', () => {
  const text = [
    'c shop 2xx 40',
    'c shop 5xx 2',
    'b shop 0.005 30',
    'b shop 0.5 11',
    'b shop +Inf 1',
    's shop 12.5',
    't shop 1796550000.123',
    'c blog 3xx 1',
    'c blog 9xx 7', // no such class
    'b blog 0.3 1', // no such bucket
    'x shop 1',
    'c Bad_App 2xx 1',
    'c shop 2xx NaN',
    '',
  ].join('\n');
  expect(parseTraffic(text)).toEqual([
    { app: 'blog', byStatus: { '3xx': 1 }, byBucket: {}, seconds: 0, lastAt: undefined },
    {
      app: 'shop',
      byStatus: { '2xx': 40, '5xx': 2 },
      byBucket: { '0.005': 30, '0.5': 11, '+Inf': 1 },
      seconds: 12.5,
      lastAt: 1796550000.123,
    },
  ]);
});

test('Prometheus text: HELP and TYPE per family, escaped labels, cumulative histogram buckets', () => {
  const text = renderPrometheus([
    {
      name: 'slipway_http_requests_total',
      help: 'Requests.',
      type: 'counter',
      samples: [{ labels: { app: 'shop', note: 'a "quoted"\\path\nline' }, value: 3 }],
    },
    {
      name: 'slipway_http_request_duration_seconds',
      help: 'Latency.',
      type: 'histogram',
      samples: histogramSamples({ app: 'shop' }, ['0.1', '1', '+Inf'], { '0.1': 2, '+Inf': 1 }, 7.5),
    },
    { name: 'slipway_odd', help: 'Odd values.', type: 'gauge', samples: [{ labels: {}, value: Infinity }] },
  ]);
  expect(text).toBe(
    [
      '# HELP slipway_http_requests_total Requests.',
      '# TYPE slipway_http_requests_total counter',
      'slipway_http_requests_total{app="shop",note="a \\"quoted\\"\\\\path\\nline"} 3',
      '# HELP slipway_http_request_duration_seconds Latency.',
      '# TYPE slipway_http_request_duration_seconds histogram',
      'slipway_http_request_duration_seconds_bucket{app="shop",le="0.1"} 2',
      'slipway_http_request_duration_seconds_bucket{app="shop",le="1"} 2',
      'slipway_http_request_duration_seconds_bucket{app="shop",le="+Inf"} 3',
      'slipway_http_request_duration_seconds_sum{app="shop"} 7.5',
      'slipway_http_request_duration_seconds_count{app="shop"} 3',
      '# HELP slipway_odd Odd values.',
      '# TYPE slipway_odd gauge',
      'slipway_odd +Inf',
      '',
    ].join('\n'),
  );
});

test('the daemon’s buckets are the ones metrics.lua counts in', async () => {
  const fs = await import('node:fs');
  const lua = fs.readFileSync(new URL('../../templates/nginx/lua/metrics.lua', import.meta.url), 'utf8');
  const bounds = /local BUCKETS = \{([^}]*)\}/
    .exec(lua)![1]!
    .split(',')
    .map((b) => String(Number(b.trim())));
  expect([...bounds, '+Inf']).toEqual(LATENCY_BUCKETS);
});
