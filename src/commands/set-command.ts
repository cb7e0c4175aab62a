import { UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import { GLOBAL_SCOPE } from '../state/index.js';
import { action, type Command, type CommandContext } from './types.js';

/**
 * Dokku's `<plugin>:set <app> <property> [value]`: a property an app may set (one, or one
 * of several); no value unsets it (back to the default). `set` validates the value and
 * stores it; with `global` the property may be set for every app (`--global`), and `set`
 * gets the global scope.
 */
export function setCommand<P extends string>(spec: {
  name: string;
  summary: string;
  property: P | readonly P[];
  values: string;
  /** How the confirmation names it (`builder selected`); the property by default. */
  label?: string;
  global?: boolean;
  access?: Command['access'];
  set(ctx: CommandContext, scope: string, value: string | undefined, property: P): void | Promise<void>;
}): Command {
  const properties: readonly P[] = typeof spec.property === 'string' ? [spec.property] : spec.property;
  return action({
    name: spec.name,
    summary: spec.summary,
    args: ['app', properties.length === 1 ? properties[0]! : '<property>', `[${spec.values}…]`],
    appOr: spec.global ? '--global' : undefined,
    booleanFlags: spec.global ? ['global'] : undefined,
    access: spec.access ?? 'app',
    async run(ctx, args) {
      const [key, ...words] = args.app ? args.positional.slice(1) : args.positional;
      // `nginx:set app proxy-buffers 8 4k`: the shell splits a value with a space, so its words are joined again
      const value = words.length > 0 ? words.join(' ') : undefined;
      const property = properties.find((p) => p === key);
      if (!property)
        throw new UserError(
          `Invalid property: ${key ?? ''} (${properties.length === 1 ? 'only' : 'one of'} ${properties.map((p) => `"${p}"`).join(', ')} can be set)`,
        );
      await spec.set(ctx, args.app?.name ?? GLOBAL_SCOPE, value, property);
      const label = spec.label ?? property;
      ctx.out.out(format.step(value === undefined ? `Unsetting ${label}` : `Setting ${label} to ${value}`));
    },
  });
}
