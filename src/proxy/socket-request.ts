import http from 'node:http';

export interface SocketAnswer {
  status: number;
  body: string;
}

/**
 * One HTTP request over a unix socket (nginx's status socket). Undefined when nothing
 * answers within 2 s: the caller tells "not running" from "refused" by that.
 */
export function socketRequest(
  socketPath: string,
  method: string,
  urlPath: string,
  body?: string,
): Promise<SocketAnswer | undefined> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, method, path: urlPath, timeout: 2000, agent: false }, (response) => {
      let text = '';
      response.on('data', (d) => (text += d));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}
