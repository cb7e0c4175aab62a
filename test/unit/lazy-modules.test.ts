import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/**
 * Packages the daemon loads where they are used (a dynamic import or core/lazy.js), not at
 * start: each costs megabytes and tenths of a second of CPU, for something most hosts use
 * rarely or never (off-site backups, Let's Encrypt, git over HTTP).
 */
const LOADED_ON_USE = ['@aws-sdk/client-s3', 'acme-client', 'isomorphic-git'];

/**
 * What a module imports as it loads: its import and export-from declarations but those that
 * name types alone (`import type`, or every name marked `type`), which the compiler drops.
 */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  return source.statements.flatMap((statement) => {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const bindings = clause?.namedBindings;
      const typesOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (!clause.name &&
            bindings !== undefined &&
            ts.isNamedImports(bindings) &&
            bindings.elements.length > 0 &&
            bindings.elements.every((element) => element.isTypeOnly)));
      return typesOnly ? [] : [(statement.moduleSpecifier as ts.StringLiteral).text];
    }
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly)
      return [(statement.moduleSpecifier as ts.StringLiteral).text];
    return [];
  });
}

/** Every package the module graph from `entry` loads at once, with a path of files that leads to it. */
function packagesLoadedWith(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const visit = (file: string, trail: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const here = [...trail, path.relative(SRC, file)];
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts'), here);
      else if (!specifier.startsWith('node:') && !packages.has(specifier)) packages.set(specifier, here);
    }
  };
  visit(path.join(SRC, entry), []);
  return packages;
}

test('the daemon loads at start none of the packages it loads on first use', () => {
  const packages = packagesLoadedWith('daemon.ts');
  expect(packages.has('bullmq') || packages.has('fastify')).toBe(true); // the walk did reach the daemon's graph
  const early = LOADED_ON_USE.filter((name) => packages.has(name)).map(
    (name) => `${name}, through ${packages.get(name)!.join(' -> ')}`,
  );
  expect(early).toEqual([]);
});
