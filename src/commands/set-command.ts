import { requireApp } from '../apps/index.js';
import { UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import type { AppRecord } from '../state/index.js';
import { requireNoMoreArgs } from './args.js';
import type { Command, CommandContext } from './types.js';

/**
 * Dokku's `<plugin>:set <app> <property> [value]`: one property an app may set; no value
 * unsets it (back to the default). `set` validates the value and stores it.
 */
export function setCommand(spec: {
  name: string;
  summary: string;
  property: string;
  values: string;
  /** How the confirmation names it (`builder selected`); the property by default. */
  label?: string;
  set(ctx: CommandContext, app: AppRecord, value: string | undefined): void;
}): Command {
  const label = spec.label ?? spec.property;
  return {
    name: spec.name,
    summary: spec.summary,
    usage: `<app> ${spec.property} [${spec.values}]`,
    access: 'app',
    async run(ctx, args) {
      requireNoMoreArgs(args, 3);
      const [name, key, value] = args.positional;
      const app = requireApp(ctx.platform, name);
      if (key !== spec.property) throw new UserError(`Invalid property: ${key ?? ''} (only "${spec.property}" can be set)`);
      spec.set(ctx, app, value);
      ctx.out.out(format.step(value === undefined ? `Unsetting ${label}` : `Setting ${label} to ${value}`));
    },
  };
}
