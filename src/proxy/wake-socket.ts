import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { errorMessage } from '../core/errors.js';
import { isValidAppName } from '../core/names.js';

/** The header nginx's wake requests carry the token in (templates/nginx/lua/backends.lua). */
const TOKEN_HEADER = 'x-slipway-wake';
const WAKE_PATH = /^\/wake\/([^/]+)$/;
const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Where nginx asks the daemon to wake a sleeping app: `POST /wake/<app>`, answered 200 once the
 * app has backends again (or needs none: a deploy or ps:stop came first). A Unix socket nginx's
 * unprivileged workers can open, which no container reaches; the token (only in nginx's
 * root-only config) shows a request is nginx's. Closed when `signal` aborts.
 */
export function serveWakeRequests(
  socketPath: string,
  token: string,
  wake: (app: string) => Promise<void>,
  signal: AbortSignal,
): Promise<http.Server> {
  fs.rmSync(socketPath, { force: true });
  const server = http.createServer((request, response) => {
    const answer = (status: number, text: string) => response.writeHead(status).end(`${text}\n`);
    const presented = request.headers[TOKEN_HEADER];
    // Compared as digests: constant time, whatever the length presented.
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), digest(token)))
      return answer(403, 'not nginx');
    const app = WAKE_PATH.exec(request.url ?? '')?.[1];
    if (request.method !== 'POST' || !app || !isValidAppName(app)) return answer(404, 'no such wake');
    wake(app).then(
      () => answer(200, 'awake'),
      (error) => answer(500, errorMessage(error)),
    );
  });
  // A wake may take the app's checks' whole time.
  server.requestTimeout = 0;
  signal.addEventListener('abort', () => server.close(), { once: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      // nginx's workers run as an unprivileged user; the token, not the mode, keeps others out.
      fs.chmodSync(socketPath, 0o666);
      resolve(server);
    });
  });
}
