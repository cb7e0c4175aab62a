import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

// The layout's rules, checked on the source itself: layers point one way, and Docker is
// reached only through the scheduler seam (and by the builder).

const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const rel = (file: string) => path.relative(SRC, file);

/** Each file's relative imports (type-only ones too: a cycle of types is still a tangle), as files under src. */
const imports = new Map(
  sourceFiles(SRC).map((file) => {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/g)].map((m) =>
      rel(path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'))),
    );
    return [rel(file), targets];
  }),
);

const importers = (target: (file: string) => boolean) =>
  [...imports].filter(([, targets]) => targets.some(target)).map(([file]) => file);

/** A file's layer: its folder under src (`deploy`, `runtime`), or the file itself at the top (`platform.ts`). */
const layerOf = (file: string) => file.split('/')[0]!;

test('layers point one way: no folder imports, through any chain, a folder that imports it', () => {
  const edges = new Map<string, Set<string>>();
  for (const [file, targets] of imports) {
    for (const target of targets)
      if (layerOf(target) !== layerOf(file))
        (edges.get(layerOf(file)) ?? edges.set(layerOf(file), new Set()).get(layerOf(file))!).add(layerOf(target));
  }
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (layer: string, trail: string[]) => {
    if (state.get(layer) === 'done') return;
    if (state.get(layer) === 'visiting')
      return void cycles.push([...trail.slice(trail.indexOf(layer)), layer].join(' -> '));
    state.set(layer, 'visiting');
    for (const next of edges.get(layer) ?? []) visit(next, [...trail, layer]);
    state.set(layer, 'done');
  };
  for (const layer of edges.keys()) visit(layer, []);
  expect(cycles).toEqual([]);
});

test('the runtime (schedulers, Docker, checks) knows nothing of builds, state, deploys or commands', () => {
  const runtime = [...imports].filter(([file]) => file.startsWith('runtime/'));
  const outward = runtime.flatMap(([file, targets]) =>
    targets
      .filter((t) => !t.startsWith('runtime/') && !t.startsWith('core/') && !t.startsWith('model/'))
      .map((t) => `${file} -> ${t}`),
  );
  expect(outward).toEqual([]);
});

test('only the schedulers, the service runtime and the builder reach Docker', () => {
  const mayUseDocker = (file: string) =>
    file.startsWith('runtime/') || file.startsWith('builder/') || file === 'platform.ts';
  expect(importers((t) => t.startsWith('runtime/docker/')).filter((file) => !mayUseDocker(file))).toEqual([]);
  // The engine the platform holds is for the builder; the daemon only pings it at start.
  const engineUsers = [...imports.keys()].filter((file) =>
    /\.engine\b/.test(fs.readFileSync(path.join(SRC, file), 'utf8')),
  );
  expect(engineUsers.filter((file) => !mayUseDocker(file) && file !== 'daemon.ts')).toEqual([]);
  expect(importers((t) => t === 'runtime/local/scheduler.ts').filter((file) => !file.startsWith('runtime/'))).toEqual([
    'platform.ts',
  ]);
});

test('commands are reached through the registry, and domain modules never import a command', () => {
  // The front doors run commands: the host CLI (itself, or the daemon for it), the daemon, SSH and the HTTP API.
  const fronts = ['cli.ts', 'host/server.ts', 'daemon.ts', 'ssh/server.ts', 'api/invoke.ts'];
  const domain = [...imports].filter(([file]) => !file.startsWith('commands/') && !fronts.includes(file));
  expect(
    domain.flatMap(([file, targets]) => targets.filter((t) => t.startsWith('commands/')).map((t) => `${file} -> ${t}`)),
  ).toEqual([]);
});
