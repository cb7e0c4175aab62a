import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { renderApp, renderMain, renderStatus } from '../../src/proxy/render.js';
import { run } from '../support/slipway.js';

const route = {
  app: 'my.app',
  httpPort: 8080,
  domains: ['my.app.example.com', 'www.example.com'],
  backends: [
    { host: '172.18.0.2', port: 5000 },
    { host: '172.18.0.3', port: 5000 },
  ],
};

describe('nginx renderer', () => {
  test('an app gets an upstream of its backends and a server block for its domains', () => {
    const conf = renderApp(route);
    expect(conf).toContain('upstream slipway-my_app-web {');
    expect(conf).toContain('server 172.18.0.2:5000 max_fails=0;');
    expect(conf).toContain('server 172.18.0.3:5000 max_fails=0;');
    expect(conf).toContain('server_name my.app.example.com www.example.com;');
    expect(conf).toContain('listen 8080;');
    expect(conf).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(conf).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  });

  test.each([
    ['a domain that would inject directives', { domains: ['x.com; } server { listen 81'] }],
    ['a domain with a newline', { domains: ['x.com\nroot /'] }],
    ['an app name with a brace', { app: 'x}' }],
    ['a backend that is not an IPv4 address', { backends: [{ host: '1.2.3.4; evil', port: 5000 }] }],
    ['a port out of range', { httpPort: 70000 }],
    ['no domains', { domains: [] }],
  ])('refuses %s', (_, change) => {
    expect(() => renderApp({ ...route, ...change } as typeof route)).toThrow();
  });

  test('the rendered configuration passes nginx -t', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-nginx-'));
    for (const sub of ['apps', 'logs', 'tmp']) fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(path.join(dir, 'nginx.conf'), renderMain({ dir, httpPort: 8080 }));
    fs.writeFileSync(path.join(dir, 'status.conf'), renderStatus({ dir, generation: 'abc123' }));
    fs.writeFileSync(path.join(dir, 'apps', 'my.app.conf'), renderApp(route));
    const result = await run('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'logs', 'error.log'), '-t']);
    expect(result.code, result.output).toBe(0);
    fs.rmSync(dir, { recursive: true });
  });
});
