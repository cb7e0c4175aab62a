import { describe, expect, test } from 'vitest';
import { dropUntrustedForwarding } from '../../src/api/forwarded.js';

describe('forwarding headers reach the API only from Slipway’s nginx', () => {
  const secret = 'ab'.repeat(32);
  const forwarded = {
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'evil.example.com',
    forwarded: 'for=6.6.6.6',
    host: '127.0.0.1:5190',
  };

  test('with the secret they are kept, and the secret goes no further', () => {
    const headers: Record<string, string> = { ...forwarded, 'x-slipway-proxy': secret };
    dropUntrustedForwarding(headers, secret);
    expect(headers).toEqual(forwarded);
  });

  test.each([
    ['no secret', undefined],
    ['a wrong secret', 'cd'.repeat(32)],
    ['a prefix of it', secret.slice(0, 10)],
    ['an empty one', ''],
  ])('with %s they are dropped', (_label, presented) => {
    const headers: Record<string, string> = {
      ...forwarded,
      ...(presented === undefined ? {} : { 'x-slipway-proxy': presented }),
    };
    dropUntrustedForwarding(headers, secret);
    expect(headers).toEqual({ host: '127.0.0.1:5190' });
  });
});
