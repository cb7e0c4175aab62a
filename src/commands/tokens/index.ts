import { createToken, describeOwner, listTokens, revokeToken } from '../../access/tokens.js';
import { format } from '../../core/output.js';
import { action, query, type Namespace } from '../types.js';
import { valueFlag } from '../args.js';

const when = (ms: number | null, none: string) =>
  ms === null ? none : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * HTTP API tokens: any key makes its own, which act with exactly its rights; one made with a
 * token (a dashboard session) is bound to that token, expiring and revoked with it.
 */
export const tokensNamespace: Namespace = {
  name: 'tokens',
  commands: [
    action({
      name: 'tokens:create',
      summary:
        'Make an HTTP API token that acts as your key (shown once; --expires 30d, 12h, 2w, …; --scrape: one that only reads /metrics, admins only); made with a token, it expires and is revoked with that token',
      args: ['<name>'],
      valueFlags: ['expires'],
      booleanFlags: ['scrape'],
      access: 'anyone',
      run(ctx, args) {
        const expires = valueFlag(args, 'expires');
        const scope = args.flags.scrape === true ? 'scrape' : 'full';
        const { token, record } = createToken(ctx.platform.state, ctx.caller, args.named.name, { expires, scope });
        const acting = scope === 'scrape' ? 'reading /metrics only' : `acting as ${describeOwner(record.keyName)}`;
        ctx.out.out(
          format.step(
            `Created token ${record.name} (${record.id}) ${acting}, expires ${when(record.expiresAt, 'never')}`,
          ),
        );
        ctx.out.out(format.detail('It is shown only now: keep it secret, send it as `Authorization: Bearer <token>`'));
        ctx.out.out(token);
      },
    }),
    query({
      name: 'tokens:list',
      summary: 'List your HTTP API tokens (an admin sees every key’s)',
      args: [],
      valueFlags: ['format'],
      access: 'anyone',
      read: (ctx) =>
        listTokens(ctx.platform.state, ctx.caller).map((t) => ({
          id: t.id,
          name: t.name,
          key: describeOwner(t.keyName),
          scope: t.scope,
          created: when(t.createdAt, ''),
          expires: when(t.expiresAt, 'never'),
          lastUsed: when(t.lastUsedAt, 'never'),
          boundTo: t.parentId,
        })),
      render: {
        text(tokens, out) {
          if (tokens.length === 0) return out.err(format.error('No tokens'));
          out.out(format.section('Tokens'));
          for (const t of tokens)
            out.out(
              `${t.id}  ${t.name.padEnd(20)} key ${t.key.padEnd(16)} ${t.scope.padEnd(6)} expires ${t.expires.padEnd(20)} last used ${t.lastUsed}`,
            );
        },
      },
    }),
    action({
      name: 'tokens:revoke',
      summary: 'Revoke one of your tokens by name or id (an admin: anyone’s, by id), and the tokens made with it',
      args: ['<token>'],
      access: 'anyone',
      run(ctx, args) {
        const revoked = revokeToken(ctx.platform.state, ctx.caller, args.named.token);
        ctx.out.out(format.step(`Revoked token ${revoked.name} (${revoked.id}) of ${describeOwner(revoked.keyName)}`));
      },
    }),
  ],
};
