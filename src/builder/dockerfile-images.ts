/** Where a Dockerfile names an image: a `FROM` or a `COPY|ADD --from`, and the lines it spans. */
export interface ImageUse {
  /** The image, as the build reads it (build args expanded). */
  ref: string;
  instruction: 'FROM' | 'COPY';
  /** The word as written (`${BASE}`, `--from=x`). */
  written: string;
  /** The instruction's words after its keyword. */
  words: string[];
  firstLine: number;
  lastLine: number;
}

/**
 * Where a Dockerfile names an image, read before anything is built: every `FROM` (its
 * build args expanded from their defaults, as the build would) and every `COPY|ADD --from`
 * that is not an earlier stage. A build may read any image it names, so naming another
 * app's image would copy that app's code into the tenant's push output.
 */
export function imageUses(dockerfile: string): ImageUse[] {
  const uses: ImageUse[] = [];
  const stages: string[] = [];
  const args = new Map<string, string>();
  let seenFrom = false;
  for (const words of instructions(dockerfile)) {
    const instruction = words[0]!.toUpperCase();
    const rest = words.slice(1);
    const at = { words: rest, firstLine: words.firstLine, lastLine: words.lastLine };
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
      if (!stages.includes(ref.toLowerCase())) uses.push({ ref, instruction: 'FROM', written: image, ...at });
      stages.push(String(stages.length));
      if (as?.toUpperCase() === 'AS' && stage) stages.push(stage.toLowerCase());
    } else if (instruction === 'COPY' || instruction === 'ADD') {
      const written = rest.find((w) => w.toLowerCase().startsWith('--from='));
      const from = written?.slice('--from='.length);
      if (from !== undefined && !stages.includes(from.toLowerCase()))
        uses.push({ ref: from, instruction: 'COPY', written: written!, ...at });
    }
  }
  return uses;
}

/**
 * The lines of the Dockerfile's ONBUILD instructions (1-based). A trigger runs in the build of
 * an image FROM this one, where no check of what it names reaches: `ONBUILD COPY --from=` of
 * another app's image in a base image would copy that app into the build that uses it.
 */
export function onbuildLines(dockerfile: string): number[] {
  return [...instructions(dockerfile)]
    .filter((words) => words[0]!.toUpperCase() === 'ONBUILD')
    .map((words) => words.firstLine + 1);
}

/** The images a Dockerfile names (see imageUses), in order. */
export const imagesNamed = (dockerfile: string): string[] => imageUses(dockerfile).map((use) => use.ref);

/**
 * The Dockerfile with each image it names replaced by what `pins` maps it to (the ID of the
 * image pulled for it), so the build uses exactly that image and never a local tag of the
 * same name; images not in `pins` stay as written.
 */
export function pinImages(dockerfile: string, pins: ReadonlyMap<string, string>): string {
  const lines = dockerfile.split('\n');
  // From the last instruction back, so the line numbers of those before stay right.
  for (const use of imageUses(dockerfile).reverse()) {
    const pinned = pins.get(use.ref);
    if (pinned === undefined) continue;
    const span = lines.slice(use.firstLine, use.lastLine + 1);
    lines.splice(
      use.firstLine,
      span.length,
      ...(use.instruction === 'FROM' ? [pinnedFrom(use.words, pinned)] : pinnedCopy(span, use.written, pinned)),
    );
  }
  return lines.join('\n');
}

/** The FROM on one line: its flags, the pinned image, its stage name. */
function pinnedFrom(words: string[], pinned: string): string {
  const [, as, stage] = words.filter((w) => !w.startsWith('--'));
  const named = as?.toUpperCase() === 'AS' && stage ? [as, stage] : [];
  return ['FROM', ...words.filter((w) => w.startsWith('--')), pinned, ...named].join(' ');
}

/** The lines with only the `--from=` word replaced: a COPY's JSON paths must stay as written. */
function pinnedCopy(span: string[], written: string, pinned: string): string[] {
  let done = false;
  return span.map((line) => {
    const words = line.split(/([ \t]+)/);
    const at = done ? -1 : words.indexOf(written);
    if (at === -1) return line;
    done = true;
    words[at] = `--from=${pinned}`;
    return words.join('');
  });
}

const splitOnce = (text: string, separator: string): [string, string | undefined] => {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
};

/**
 * The Dockerfile's instructions as words: continuation lines joined, comments and blank
 * lines dropped, the escape character taken from its `# escape=` directive. One pass.
 */
function* instructions(dockerfile: string): Generator<string[] & { firstLine: number; lastLine: number }> {
  const lines = dockerfile.split('\n');
  const directive = /^#\s*escape\s*=\s*([`\\])\s*$/i.exec(lines[0]?.trim() ?? '');
  const escape = directive?.[1] ?? '\\';
  let pending: string[] = [];
  let firstLine = 0;
  const instruction = (lastLine: number) =>
    Object.assign(
      pending
        .join(' ')
        .split(/[ \t]+/)
        .filter(Boolean),
      { firstLine, lastLine },
    );
  for (const [index, raw] of lines.entries()) {
    const trimmed = raw.replace(/\r$/, '').trim();
    if (pending.length === 0 && (trimmed === '' || trimmed.startsWith('#'))) continue;
    if (pending.length > 0 && trimmed.startsWith('#')) continue; // comments inside a continued instruction
    const continued = trimmed.endsWith(escape);
    if (pending.length === 0) firstLine = index;
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
  const label = `LABEL ${Object.entries(labels)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ')}`;
  return [...lines.slice(0, lastFrom + 1), label, ...lines.slice(lastFrom + 1)].join('\n');
}

/** `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}` from these values; unknown names stay as written. */
function expand(text: string, values: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length;) {
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
