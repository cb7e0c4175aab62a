import createClient from 'openapi-fetch';
import type { paths } from './slipway-api.js';

/** A client of the API typed by the types made from its OpenAPI document, as a user would make one. */
export function slipwayClient(apiPort: number, token: string) {
  return createClient<paths>({
    baseUrl: `http://127.0.0.1:${apiPort}/api/v1`,
    headers: { authorization: `Bearer ${token}` },
  });
}
