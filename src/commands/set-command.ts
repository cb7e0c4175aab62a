import { UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import { GLOBAL_SCOPE } from '../state/index.js';
import type { Command, CommandContext } from './types.js';

/**
 * Dokku's `<plugin>:set <app> <property> [value]`: one property an app may set; no value
 * unsets it (back to the default). `set` validates the value and stores it; with `global`
 * the property may be set for every app (`--global`), and `set` gets the global scope.
 */
export function setCommand(spec: {
  name: string;
  summary: string;
  property: string;
  values: string;
  /** How the confirmation names it (`builder selected`); the property by default. */
  label?: string;
  global?: boolean;
  access?: Command['access'];
  set(ctx: CommandContext, scope: string, value: string | undefined): void;
}): Command {
  const label = spec.label ?? spec.property;
  return {
    name: spec.name,
    summary: spec.summary,
    args: ['app', spec.property, `[${spec.values}]`],
    appOr: spec.global ? '--global' : undefined,
    booleanFlags: spec.global ? ['global'] : undefined,
    access: spec.access ?? 'app',
    async run(ctx, args) {
      const [key, value] = args.app ? args.positional.slice(1) : args.positional;
      if (key !== spec.property) throw new UserError(`Invalid property: ${key ?? ''} (only "${spec.property}" can be set)`);
      spec.set(ctx, args.app?.name ?? GLOBAL_SCOPE, value);
      ctx.out.out(format.step(value === undefined ? `Unsetting ${label}` : `Setting ${label} to ${value}`));
    },
  };
}
