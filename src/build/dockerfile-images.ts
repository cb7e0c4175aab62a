import { UserError } from '../core/errors.js';

/**
 * Which images a Dockerfile builds from, read before anything is built: every `FROM` (its
 * build args expanded from their defaults, as the build would) and every `COPY|ADD --from`
 * that is not an earlier stage. A build may read any image it names, so naming another
 * app's image would copy that app's code into the tenant's push output.
 */
export function imagesNamed(dockerfile: string): string[] {
  const named: string[] = [];
  const stages: string[] = [];
  const args = new Map<string, string>();
  let seenFrom = false;
  for (const words of instructions(dockerfile)) {
    const instruction = words[0]!.toUpperCase();
    const rest = words.slice(1);
    if (instruction === 'ARG') {
      // Global args (before the first FROM) are what FROM lines expand.
      for (const arg of rest) {
        const [name = '', value] = splitOnce(arg, '=');
        if (!seenFrom && value !== undefined) args.set(name, expand(value, args));
      }
    } else if (instruction === 'FROM') {
      seenFrom = true;
      const [image = '', as, stage] = rest.filter((w) => !w.startsWith('--'));
      const ref = expand(image, args);
      if (!stages.includes(ref.toLowerCase())) named.push(ref);
      stages.push(String(stages.length));
      if (as?.toUpperCase() === 'AS' && stage) stages.push(stage.toLowerCase());
    } else if (instruction === 'COPY' || instruction === 'ADD') {
      const from = rest.find((w) => w.toLowerCase().startsWith('--from='))?.slice('--from='.length);
      if (from !== undefined && !stages.includes(from.toLowerCase())) named.push(from);
    }
  }
  return named;
}

/** Refuses a Dockerfile that names an image `allowed` does not accept, before the build. */
export function refuseForeignImages(dockerfile: string, allowed: (ref: string) => boolean, allowedText: string): void {
  for (const ref of imagesNamed(dockerfile)) {
    if (ref.includes('$')) throw new UserError(`The Dockerfile names an image through a variable with no default (${ref}): name the image itself`);
    if (!allowed(ref)) throw new UserError(`The Dockerfile builds from ${ref}, which this app may not use: ${allowedText}`);
  }
}

/** An image reference without its tag or digest: `slipway/stack:bookworm` → `slipway/stack`. */
export function repositoryOf(ref: string): string {
  const name = ref.split('@')[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const bare = colon > slash ? name.slice(0, colon) : name;
  return bare.replace(/^(?:docker\.io\/)?(?:library\/)?/, '');
}

const splitOnce = (text: string, separator: string): [string, string | undefined] => {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
};

/**
 * The Dockerfile's instructions as words: continuation lines joined, comments and blank
 * lines dropped, the escape character taken from its `# escape=` directive. One pass.
 */
function* instructions(dockerfile: string): Generator<string[] & { lastLine: number }> {
  const lines = dockerfile.split('\n');
  const directive = /^#\s*escape\s*=\s*([`\\])\s*$/i.exec(lines[0]?.trim() ?? '');
  const escape = directive?.[1] ?? '\\';
  let pending: string[] = [];
  const instruction = (lastLine: number) => Object.assign(pending.join(' ').split(/[ \t]+/).filter(Boolean), { lastLine });
  for (const [index, raw] of lines.entries()) {
    const trimmed = raw.replace(/\r$/, '').trim();
    if (pending.length === 0 && (trimmed === '' || trimmed.startsWith('#'))) continue;
    if (pending.length > 0 && trimmed.startsWith('#')) continue; // comments inside a continued instruction
    const continued = trimmed.endsWith(escape);
    pending.push(continued ? trimmed.slice(0, -1) : trimmed);
    if (continued) continue;
    const words = instruction(index);
    pending = [];
    if (words.length > 0) yield words;
  }
  const words = instruction(lines.length - 1);
  if (words.length > 0) yield words;
}

/**
 * The Dockerfile with a LABEL line right after the FROM of its final stage: the image gets
 * the labels, and the step, the same on every build, stays cached (a build's `labels`
 * parameter would be one more uncached step and container commit on every push).
 */
export function withLabels(dockerfile: string, labels: Record<string, string>): string {
  let lastFrom: number | undefined;
  for (const words of instructions(dockerfile)) if (words[0]!.toUpperCase() === 'FROM') lastFrom = words.lastLine;
  if (lastFrom === undefined) return dockerfile;
  const lines = dockerfile.split('\n');
  const label = `LABEL ${Object.entries(labels).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ')}`;
  return [...lines.slice(0, lastFrom + 1), label, ...lines.slice(lastFrom + 1)].join('\n');
}

/** `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}` from these values; unknown names stay as written. */
function expand(text: string, values: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text[i] !== '$') {
      out += text[i++];
      continue;
    }
    if (text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end === -1) return out + text.slice(i);
      const inner = text.slice(i + 2, end);
      const [name, modifier] = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/s.exec(inner)?.slice(1, 3) ?? [];
      const word = inner.slice((name?.length ?? 0) + 2);
      const value = name === undefined ? undefined : values.get(name);
      if (name === undefined) out += text.slice(i, end + 1);
      else if (modifier === '-') out += value ? value : word;
      else if (modifier === '+') out += value ? word : '';
      else out += value ?? text.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1, i + 256))?.[0];
    if (name === undefined) {
      out += text[i++];
      continue;
    }
    out += values.get(name) ?? `$${name}`;
    i += name.length + 1;
  }
  return out;
}
