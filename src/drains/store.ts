import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { GLOBAL_SCOPE, type State } from '../state/index.js';

/** Where an app's drains are kept (a per-app property, so they move and go with the app); `--global`'s for every app. */
export const DRAINS_PROPERTY = 'drains.list';
/** More drains than this for one app (or globally) is more likely a loop in a script than a need. */
const MAX_DRAINS = 20;

const drainShape = z.object({
  id: z.string().regex(/^[a-f0-9]{12}$/),
  url: z.string(),
  /** Added by a key other than an admin's: only public destinations, checked at each connection. */
  confined: z.boolean(),
  addedBy: z.string(),
  createdAt: z.number(),
  /** Also gets the router's access log of the app (drains:add --router), as Heroku's router lines. */
  router: z.boolean().default(false),
});
export type DrainSpec = z.infer<typeof drainShape>;

/** A drain with the app it belongs to (undefined: a global drain, for every app). */
export interface Drain extends DrainSpec {
  app: string | undefined;
}

const scopeOf = (app: string | undefined) => app ?? GLOBAL_SCOPE;

/** The drains of one app (without the global ones), or the global ones. */
export function drainsOf(state: State, app: string | undefined): Drain[] {
  const text = state.properties.get(scopeOf(app), DRAINS_PROPERTY);
  if (text === undefined) return [];
  const parsed = z.array(drainShape).safeParse(JSON.parse(text));
  return parsed.success ? parsed.data.map((d) => ({ ...d, app })) : [];
}

/** Every drain: the global ones, then each app's. */
export function allDrains(state: State): Drain[] {
  return [...drainsOf(state, undefined), ...state.apps.list().flatMap((a) => drainsOf(state, a.name))];
}

/** The drains an app's lines go to: its own and the global ones. */
export function drainsFor(state: State, app: string): Drain[] {
  return [...drainsOf(state, undefined), ...drainsOf(state, app)];
}

function save(state: State, app: string | undefined, drains: Drain[]): void {
  const specs = drains.map(({ app: _, ...spec }) => spec);
  state.properties.set(scopeOf(app), DRAINS_PROPERTY, specs.length ? JSON.stringify(specs) : undefined);
}

/** Adds a drain (its URL already checked); undefined when the app has one with that URL already. */
export function addDrain(
  state: State,
  app: string | undefined,
  spec: Omit<DrainSpec, 'id' | 'createdAt'>,
): Drain | undefined {
  const drains = drainsOf(state, app);
  if (drains.some((d) => d.url === spec.url)) return undefined;
  if (drains.length >= MAX_DRAINS) throw new UserError(`${app ?? 'Global'} has ${MAX_DRAINS} drains already`);
  const drain: Drain = { ...spec, id: randomBytes(6).toString('hex'), createdAt: Date.now(), app };
  save(state, app, [...drains, drain]);
  return drain;
}

/** Removes the drain with this URL or id; the one removed, if any. */
export function removeDrain(state: State, app: string | undefined, urlOrId: string): Drain | undefined {
  const drains = drainsOf(state, app);
  const found = drains.find((d) => d.url === urlOrId || d.id === urlOrId);
  if (found)
    save(
      state,
      app,
      drains.filter((d) => d !== found),
    );
  return found;
}
