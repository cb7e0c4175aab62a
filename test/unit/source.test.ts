import { describe, expect, test } from 'vitest';
import { parseChecksFile, parseProcfile } from '../../src/builder/source.js';

describe('Procfile', () => {
  test('reads types and commands, skipping comments and blank lines', () => {
    const text =
      '# processes\nweb: node server.js --port $PORT\r\n\nworker:   node worker.js # background jobs\n// old\nrelease: node migrate.js\n';
    expect(parseProcfile(text)).toEqual({
      web: 'node server.js --port $PORT',
      worker: 'node worker.js',
      release: 'node migrate.js',
    });
  });

  test.each([
    ['web node server.js', 'is not "type: command"'],
    ['web:', 'is not "type: command"'],
    ['Web_Server: x', 'invalid process type'],
    ['web: a\nweb: b', 'defined twice'],
  ])('refuses %j', (text, message) => {
    expect(() => parseProcfile(text)).toThrow(message);
  });
});

describe('legacy CHECKS file', () => {
  test('becomes web path checks with its WAIT, TIMEOUT and ATTEMPTS', () => {
    const checks = parseChecksFile(
      'WAIT=2\nTIMEOUT=7\nATTEMPTS=4\n/ My Amazing App\n//admin.example.com/login Admin\n/healthz\n',
    );
    expect(checks).toHaveLength(3);
    expect(checks[0]).toMatchObject({
      path: '/',
      content: 'My Amazing App',
      attempts: 4,
      timeout: 7,
      wait: 2,
      initialDelay: 2,
    });
    expect(checks[1]).toMatchObject({
      path: '/login',
      content: 'Admin',
      httpHeaders: [{ name: 'Host', value: 'admin.example.com' }],
      initialDelay: 0,
    });
    expect(checks[2]).toMatchObject({ path: '/healthz', content: undefined });
  });

  test('refuses a line that is not a path', () => {
    expect(() => parseChecksFile('healthz ok')).toThrow('Invalid CHECKS line');
  });
});
