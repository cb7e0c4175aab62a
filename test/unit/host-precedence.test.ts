import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LUA_DIR, renderBackends } from '../../src/proxy/render.js';

// Which app a Host goes to when an app's own block answers a wildcard over it and the shared
// map has apps too (templates/nginx/lua/backends.lua): nginx's order of names, an exact name
// first, then the longest wildcard. The balancer's Lua decides, in a small nginx of its own:
// a block server for `*.wild.test` whose location answers "block", or "map" once it hands the
// request to its @slipway_map location.
const backends = renderBackends({
  gamma: { peers: [], fallback: [], domains: ['*.wild.test', 'exact.sub.wild.test'], block: true },
  alpha: { peers: [], fallback: [], domains: ['a.wild.test', '*.sub.wild.test'], tls: true },
  beta: { peers: [], fallback: [], domains: ['b.wild.test'], parked: true },
  delta: { peers: [], fallback: [], domains: ['d.wild.test'], block: true },
});

let dir: string;
let nginx: ChildProcess;
const socket = () => path.join(dir, 'test.sock');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-precedence-'));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'backends.txt'), backends);
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
worker_processes 1;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  lua_package_path '${LUA_DIR}/?.lua;;';
  lua_shared_dict slipway_backends 1m;
  lua_shared_dict slipway_waking 1m;
  lua_shared_dict slipway_certs 1m;
  init_by_lua_block {
    local backends = require("backends")
    backends.certs_dir = "${dir}/certs"
    backends.load_file("${dir}/backends.txt")
  }
  server {
    listen unix:${socket()};
    server_name *.wild.test;
    location / {
      set $slipway_app "gamma";
      access_by_lua_block { require("backends").own_or_map() }
      content_by_lua_block { ngx.print("block") }
    }
    location @slipway_map {
      content_by_lua_block { ngx.print("map") }
    }
  }
}
`,
  );
  nginx = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !fs.existsSync(socket()); i++) await new Promise((r) => setTimeout(r, 50));
});
afterAll(() => {
  nginx.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

const answer = (host: string) =>
  new Promise<string>((resolve, reject) => {
    const request = http.get({ socketPath: socket(), path: '/', headers: { host }, agent: false }, (response) => {
      let body = '';
      response.on('data', (d) => (body += d));
      response.on('end', () => resolve(body));
    });
    request.on('error', reject);
  });

describe('a block’s wildcard and the shared map', () => {
  test.each([
    ['a.wild.test', 'map', 'the map has it exactly'],
    ['b.wild.test', 'map', 'the map has it exactly, parked (it answers 502 there)'],
    ['x.sub.wild.test', 'map', 'the map has a longer wildcard over it'],
    ['exact.sub.wild.test', 'block', 'the block has it exactly'],
    ['other.wild.test', 'block', 'only the block’s wildcard has it'],
    ['d.wild.test', 'block', 'another block has it exactly (on another port): nginx chose this one here'],
  ])('%s goes to the %s: %s', async (host, expected) => {
    expect(await answer(host)).toBe(expected);
  });
});
