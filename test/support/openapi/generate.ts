import openapiTS, { astToString } from 'openapi-typescript';
import prettier from 'prettier';

/** Where the client's types are kept: made from openapi.json, checked against the live one by api-contract.test.ts. */
export const GENERATED_TYPES = new URL('./slipway-api.ts', import.meta.url).pathname;

/**
 * The TypeScript types openapi-typescript makes of an OpenAPI document, formatted as the
 * repository's other files are (so the lint passes on the file kept in it).
 */
export async function generateTypes(document: object): Promise<string> {
  const text = astToString(await openapiTS(document as Parameters<typeof openapiTS>[0]));
  const config = await prettier.resolveConfig(GENERATED_TYPES);
  const header = '// Made by openapi-typescript from /api/v1/openapi.json: see api-contract.test.ts.\n';
  return prettier.format(header + text, { ...config, filepath: GENERATED_TYPES });
}
