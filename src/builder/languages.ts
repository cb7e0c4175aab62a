import semver from 'semver';
import { UserError } from '../core/errors.js';
import { checkPhpRequirements, PHP_EXTENSION_PACKAGES, PHP_SERIES } from './php.js';
import { compareVersions, holdsComparison } from './versions.js';

/**
 * The shipped buildpacks, in the order their bin/detect is tried (Heroku's order: Ruby
 * first, as a Rails app often has a package.json too), and the top-level files each
 * detects an app by. buildpacks/bin/slipway-build and each bin/detect say the same
 * (test/unit/languages.test.ts holds them to it). A language with `images` builds in
 * its own images, made from the stack's only when an app needs them: a host that never
 * builds Go never installs Go.
 */
export const BUILDPACKS = [
  {
    name: 'ruby',
    title: 'Ruby',
    markers: ['Gemfile'],
    images: {
      // Headers for the native gems most apps have (pg, mysql2, sqlite3, nokogiri, psych).
      build: [
        'ruby',
        'ruby-dev',
        'bundler',
        'libpq-dev',
        'libmariadb-dev',
        'libsqlite3-dev',
        'libxml2-dev',
        'libxslt1-dev',
        'libyaml-dev',
        'zlib1g-dev',
      ],
      // The same libraries without headers or compilers: what those gems load at run time.
      run: [
        'ruby',
        'bundler',
        'libpq5',
        'libmariadb3',
        'libsqlite3-0',
        'libxml2',
        'libxslt1.1',
        'libyaml-0-2',
        'zlib1g',
        'tzdata',
      ],
    },
    /** What the stack's Debian (bookworm) ships: ruby3.1. */
    version: '3.1.2',
  },
  { name: 'nodejs', title: 'Node.js', markers: ['package.json'] },
  { name: 'python', title: 'Python', markers: ['requirements.txt', 'pyproject.toml', 'setup.py'] },
  {
    name: 'java',
    title: 'Java',
    markers: ['pom.xml', 'build.gradle', 'build.gradle.kts'],
    images: {
      // Maven, and the plugins a jar build runs as Debian packages them (its Maven repository,
      // /usr/share/maven-repo): a host without internet builds from them (SLIPWAY_MAVEN_MIRROR).
      // No Gradle: Debian's is 4.4, so a Gradle app brings its wrapper.
      build: [
        'openjdk-17-jdk-headless',
        'maven',
        'libmaven-resources-plugin-java',
        'libmaven-compiler-plugin-java',
        'libsurefire-java',
        'libmaven-jar-plugin-java',
        'libmaven-clean-plugin-java',
        'libmaven-install-plugin-java',
      ],
      run: ['openjdk-17-jre-headless'],
    },
    /** What the stack's Debian (bookworm) ships: openjdk-17 (its updates change only the patch release). */
    version: '17',
  },
  {
    name: 'php',
    title: 'PHP',
    // Before static: an index.php app may have an index.html too.
    markers: ['composer.json', 'index.php'],
    // Composer (Debian's, unzip for its dist archives) only where the app is built; nginx and
    // php-fpm where it runs (buildpacks/php/bin/heroku-php-nginx). See php.ts for the extensions.
    images: {
      build: ['php8.2-cli', 'composer', 'unzip', ...PHP_EXTENSION_PACKAGES],
      run: ['php8.2-cli', 'php8.2-fpm', 'nginx', ...PHP_EXTENSION_PACKAGES],
    },
    version: PHP_SERIES,
  },
  {
    name: 'go',
    title: 'Go',
    markers: ['go.mod'],
    // A binary links at most the C library, which the run image has (the same Debian):
    // it needs only time zones (and the base's CA certificates).
    images: { build: ['golang-go'], run: ['tzdata'] },
    /** What the stack's Debian (bookworm) ships: golang-1.19. */
    version: '1.19.8',
  },
  { name: 'static', title: 'Static site', markers: ['index.html'] },
  { name: 'procfile', title: 'Procfile', markers: ['Procfile'] },
] as const;

export type Buildpack = (typeof BUILDPACKS)[number];
export type BuildpackName = Buildpack['name'];
/** A buildpack that builds and runs in images of its own. */
export type Language = Extract<Buildpack, { images: object }>;

export const LANGUAGES: readonly Language[] = BUILDPACKS.filter((pack): pack is Language => 'images' in pack);

/** Every top-level file some buildpack detects an app by. */
export const MARKER_FILES: readonly string[] = [...new Set(BUILDPACKS.flatMap((pack) => pack.markers))];

/** The buildpack an app is built with: the one it names, else the first whose marker file it has. */
export function detectBuildpack(named: string | undefined, topLevelFiles: readonly string[]): Buildpack | undefined {
  if (named !== undefined) return BUILDPACKS.find((pack) => pack.name === named);
  return BUILDPACKS.find((pack) => pack.markers.some((marker) => topLevelFiles.includes(marker)));
}

export function languageNamed(name: string): Language {
  const language = LANGUAGES.find((l) => l.name === name);
  if (!language)
    throw new UserError(
      `Unknown language ${name}: the languages with images of their own are ${LANGUAGES.map((l) => l.name).join(', ')}`,
    );
  return language;
}

/** The files a language's version check reads (top-level, small). */
export const VERSION_FILES = ['go.mod', 'Gemfile', '.ruby-version', 'system.properties', 'composer.json'] as const;
export type VersionFiles = Partial<Record<(typeof VERSION_FILES)[number], string>>;

/**
 * Checks the version the app asks for against the one this host's stack has, before any
 * image is made: Debian has one version of each, so an app that needs a newer one is told
 * so at once. Returns a line for the build output.
 */
export function checkLanguageVersion(language: Language, files: VersionFiles): string {
  switch (language.name) {
    case 'go':
      return checkGoVersion(language.version, files['go.mod'] ?? '');
    case 'php':
      return checkPhpRequirements(language.version, files['composer.json']);
    case 'java':
      return checkJavaVersion(language.version, files['system.properties'] ?? '');
    case 'ruby':
      return checkRubyVersion(language.version, files);
  }
}

/** go.mod's `go` directive is the oldest Go the module builds with. */
function checkGoVersion(have: string, goMod: string): string {
  const directive = /^go[ \t]+(\S+)[ \t]*(?:\/\/.*)?$/m.exec(goMod)?.[1];
  if (directive === undefined) return `Go ${have} (go.mod names no go version)`;
  const wanted = semver.coerce(directive);
  if (!/^\d+\.\d+(\.\d+)?$/.test(directive) || wanted === null)
    throw new UserError(`Invalid go directive in go.mod: ${directive}`);
  if (semver.lt(have, wanted)) {
    throw new UserError(
      `This app needs Go ${directive} or newer (go.mod), and this host has Go ${have} (Debian's): lower the go directive or build from a Dockerfile`,
    );
  }
  return `Go ${have} (go.mod asks for go ${directive})`;
}

/**
 * system.properties' java.runtime.version (Heroku's: `17`, `1.8`, `11.0.2`, `zulu-17`) names
 * a Java release: an older one runs on this host's, which keeps running what older releases
 * built (a few removed APIs aside, which the build shows); a newer one fails at once.
 */
function checkJavaVersion(have: string, properties: string): string {
  const named = javaProperty(properties, 'java.runtime.version');
  if (named === undefined || named === '') return `OpenJDK ${have}`;
  const release = /^(?:[a-z]+-)?(?:1\.(\d+)|(\d+))(?:\.\d+)*(?:[+_-][0-9a-z.+_-]*)?$/i.exec(named);
  if (!release) throw new UserError(`Invalid java.runtime.version in system.properties: ${named}`);
  const wanted = Number(release[1] ?? release[2]);
  if (wanted > Number(have)) {
    throw new UserError(
      `This app needs Java ${wanted} (system.properties java.runtime.version=${named}), and this host has OpenJDK ${have} (Debian's): lower java.runtime.version or build from a Dockerfile`,
    );
  }
  return `OpenJDK ${have} (system.properties asks for ${named})`;
}

/** A key's value in a Java properties file (`key=value`, `key: value` or `key value`; # and ! comments). */
function javaProperty(text: string, key: string): string | undefined {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const match = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (match?.[1] === key) return match[2]!.trim();
  }
  return undefined;
}

/**
 * The Gemfile's `ruby` line is a requirement bundler itself enforces; .ruby-version names a
 * version, of which the minor (3.1 of 3.1.4) must match, as a patch release changes nothing
 * an app relies on.
 */
function checkRubyVersion(have: string, files: VersionFiles): string {
  const gemfileLine = /^[ \t]*ruby[ \t(]+["']([^"']+)["']((?:[ \t]*,[ \t]*["'][^"']+["'])*)/m.exec(files.Gemfile ?? '');
  if (gemfileLine) {
    const requirements = [gemfileLine[1]!, ...[...gemfileLine[2]!.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!)];
    if (!requirements.every((r) => satisfiesGemRequirement(have, r))) {
      throw new UserError(
        `This app needs Ruby ${requirements.join(', ')} (Gemfile), and this host has Ruby ${have} (Debian's): change the Gemfile's ruby line or build from a Dockerfile`,
      );
    }
    return `Ruby ${have} (Gemfile asks for ${requirements.join(', ')})`;
  }
  const named = files['.ruby-version']?.trim().replace(/^ruby-/, '');
  if (named === undefined || named === '') return `Ruby ${have}`;
  const wanted = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(named);
  if (!wanted) throw new UserError(`.ruby-version names ${named}: this host has only Ruby ${have} (Debian's)`);
  if (`${wanted[1]}.${wanted[2]}` !== have.split('.').slice(0, 2).join('.')) {
    throw new UserError(
      `This app needs Ruby ${named} (.ruby-version), and this host has Ruby ${have} (Debian's): change .ruby-version or build from a Dockerfile`,
    );
  }
  return `Ruby ${have} (.ruby-version asks for ${named})`;
}

/** RubyGems' requirement operators; `~> 3.1` is >= 3.1 and < 4, `~> 3.1.0` is >= 3.1.0 and < 3.2. */
export function satisfiesGemRequirement(version: string, requirement: string): boolean {
  const match = /^\s*(=|!=|>=|<=|>|<|~>)?\s*(\d+(?:\.\d+){0,3})\s*$/.exec(requirement);
  if (!match) throw new UserError(`Invalid Ruby version requirement: ${requirement}`);
  const [, operator = '=', wanted = ''] = match;
  const order = compareVersions(version, wanted);
  const compared = holdsComparison(operator, order);
  if (compared !== undefined) return compared;
  // `~>`: at least the version, below the next release of its second-to-last part.
  const parts = wanted.split('.').map(Number);
  const prefix = parts.slice(0, Math.max(parts.length - 1, 1));
  const upper = [...prefix.slice(0, -1), prefix[prefix.length - 1]! + 1].join('.');
  return order >= 0 && compareVersions(version, upper) < 0;
}
