import { beforeEach, describe, expect, expectTypeOf, test } from 'vitest';
import { bindArgs, parseArgs } from '../../src/commands/args.js';
import { runCommand, type Caller } from '../../src/commands/index.js';
import { action, query, type ActionCommand, type CommandArgs } from '../../src/commands/types.js';
import { EXIT_APP_MISSING } from '../../src/core/errors.js';
import type { AppRecord } from '../../src/state/index.js';
import { collectingContext } from '../support/commands.js';
import { eachTest, unitPlatform } from '../support/fakes.js';

// A command's argument declaration types what its handler receives: declaring `app` hands
// it the app record, which the dispatcher looked up (after the access check) before it runs.

const fixture = eachTest(() => unitPlatform({}));
beforeEach(() => {
  fixture.platform.state.apps.create('shop');
});

const context = (caller?: Caller) => collectingContext(fixture.platform, caller);

describe('declared arguments type the handler', () => {
  test('`app` gives the app record, required words strings, optional ones string | undefined', async () => {
    let seen: AppRecord | undefined;
    const get = action({
      name: 'x:get',
      summary: '',
      args: ['app', '<KEY>', '[more…]'],
      access: 'app',
      run(_ctx, args) {
        expectTypeOf(args.app).toEqualTypeOf<AppRecord>();
        expectTypeOf(args.named.KEY).toEqualTypeOf<string>();
        expectTypeOf(args.named.more).toEqualTypeOf<string | undefined>();
        // @ts-expect-error: a word the declaration does not name
        void args.named.other;
        seen = args.app;
      },
    });
    const { ctx } = context();
    await (get as ActionCommand).run(ctx, bindArgs(ctx, get, parseArgs(get, ['shop', 'K'])));
    expect(seen).toEqual(fixture.platform.state.apps.get('shop'));
  });

  test('an app that may be stood in for (--global), or is optional, may be absent; `<app>` is a new name', () => {
    action({
      name: 'x:global',
      summary: '',
      args: ['app'],
      appOr: '--global',
      access: 'app',
      run(_ctx, args) {
        expectTypeOf(args.app).toEqualTypeOf<AppRecord | undefined>();
      },
    });
    query({
      name: 'x:maybe',
      summary: '',
      args: ['[app]'],
      access: 'anyone',
      read: (_ctx, args) => args.app?.name,
      render: { text: (_data, _out, args) => void expectTypeOf(args.app).toEqualTypeOf<AppRecord | undefined>() },
    });
    action({
      name: 'x:create',
      summary: '',
      args: ['<app>'],
      access: 'admin',
      run(_ctx, args) {
        expectTypeOf(args.named.app).toEqualTypeOf<string>();
        expectTypeOf(args.app).toEqualTypeOf<AppRecord | undefined>();
      },
    });
    // A declaration that is not a literal list binds the loose arguments.
    const declared: string[] = ['app'];
    action({
      name: 'x:loose',
      summary: '',
      args: declared,
      access: 'app',
      run: (_ctx, args) => void expectTypeOf(args).toEqualTypeOf<CommandArgs>(),
    });
  });
});

describe('the dispatcher resolves the app before the handler runs', () => {
  test('a key without access is refused before the app is looked up', async () => {
    const { ctx, lines } = context({ name: 'tenant', isAdmin: false });
    expect(await runCommand(ctx, ['config:get', 'shop', 'A'])).toBe(1);
    expect(lines.err).toEqual([' !     Key tenant may not run config:get on shop, or it does not exist']);
  });

  test('an app that is not there is Dokku’s "does not exist" (exit 20), and the handler does not run', async () => {
    const { ctx, lines } = context();
    expect(await runCommand(ctx, ['config:get', 'ghost', 'A'])).toBe(EXIT_APP_MISSING);
    expect(lines.err).toEqual([' !     App ghost does not exist']);
  });

  test('an app that is there reaches the handler as its record', async () => {
    fixture.platform.state.config.set('shop', { A: 'one' });
    const { ctx, lines } = context();
    expect(await runCommand(ctx, ['config:get', 'shop', 'A'])).toBe(0);
    expect(lines.out).toEqual(['one']);
  });
});
