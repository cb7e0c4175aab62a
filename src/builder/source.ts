import fs from 'node:fs';
import tar from 'tar-stream';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { parseJsonFile } from '../core/input.js';
import { cutTrailingComment } from '../core/lines.js';
import { cronTaskSchema } from '../model/cron.js';
import { MARKER_FILES, VERSION_FILES, type VersionFiles } from './languages.js';
import {
  healthcheckSchema,
  PROCESS_TYPE,
  processTypeSchema,
  releaseMetaSchema,
  scriptSchema,
  type Healthcheck,
  type ReleaseMeta,
} from '../model/release.js';

const MAX_FILE = 256 * 1024;
const SOURCE_FILES = [
  'Procfile',
  'app.json',
  'CHECKS',
  '.buildpacks',
  'Dockerfile',
  'package.json',
  '.nvmrc',
  '.node-version',
  ...VERSION_FILES,
] as const;
/** Files whose presence alone matters (lockfiles can be large). */
const LOCKFILES = ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml'];
type SourceFile = (typeof SOURCE_FILES)[number];

const appJsonSchema = z.looseObject({
  scripts: z
    .looseObject({
      dokku: z.looseObject({ predeploy: scriptSchema.optional(), postdeploy: scriptSchema.optional() }).optional(),
    })
    .optional(),
  healthchecks: z.record(processTypeSchema, z.array(healthcheckSchema)).optional(),
  formation: z
    .record(processTypeSchema, z.looseObject({ quantity: z.number().int().min(0).max(100).optional() }))
    .optional(),
  cron: z.array(cronTaskSchema).max(100).optional(),
});

export interface SourceFacts {
  meta: Omit<ReleaseMeta, 'builder'>;
  /** The Dockerfile's text, when the commit has one at its top. */
  dockerfile: string | undefined;
  /** The first buildpack named in .buildpacks, if any. */
  buildpack: string | undefined;
  /** What a Node.js build reads: package.json (present for every Node.js app), version files, which lockfiles exist. */
  node: { packageJson: string; nvmrc?: string; nodeVersion?: string; lockfiles: string[] } | undefined;
  /** The files at the top that buildpacks detect apps by (languages.ts MARKER_FILES). */
  markers: string[];
  /** What a language's version check reads. */
  versionFiles: VersionFiles;
}

/** Reads what the source declares from the top of its tar, without unpacking it. */
export async function readSource(tarPath: string): Promise<SourceFacts> {
  const { files, lockfiles, markers } = await readTopLevelFiles(tarPath);
  const appJson = files['app.json'] === undefined ? {} : parseAppJson(files['app.json']);
  const healthchecks = { ...appJson.healthchecks };
  if (!healthchecks.web && files.CHECKS !== undefined) healthchecks.web = parseChecksFile(files.CHECKS);
  const formation = Object.fromEntries(
    Object.entries(appJson.formation ?? {}).flatMap(([type, f]) =>
      f.quantity === undefined ? [] : [[type, f.quantity]],
    ),
  );
  for (const checks of Object.values(healthchecks)) refuseEndlessChecks(checks);
  const meta = releaseMetaSchema.parse({
    processes: files.Procfile === undefined ? undefined : parseProcfile(files.Procfile),
    predeploy: appJson.scripts?.dokku?.predeploy,
    postdeploy: appJson.scripts?.dokku?.postdeploy,
    healthchecks,
    formation,
    cron: appJson.cron,
  });
  const buildpack = files['.buildpacks']
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('#'));
  const node =
    files['package.json'] === undefined
      ? undefined
      : { packageJson: files['package.json'], nvmrc: files['.nvmrc'], nodeVersion: files['.node-version'], lockfiles };
  const versionFiles = Object.fromEntries(
    VERSION_FILES.flatMap((name) => (files[name] === undefined ? [] : [[name, files[name]]])),
  );
  return { meta, dockerfile: files.Dockerfile, buildpack, node, markers, versionFiles };
}

/** The longest a deploy may spend on one process type's checks. */
const MAX_CHECKS_SECONDS = 900;

/** Checks that could hold a deploy (and a deploy worker) for longer than that are refused. */
function refuseEndlessChecks(checks: Healthcheck[]): void {
  const worstCase = checks.reduce((sum, c) => sum + c.initialDelay + c.attempts * (c.timeout + c.wait), 0);
  if (worstCase > MAX_CHECKS_SECONDS) {
    throw new UserError(
      `Invalid healthchecks: they could take ${Math.round(worstCase)} s to fail (initialDelay + attempts x (timeout + wait)); at most ${MAX_CHECKS_SECONDS} s`,
    );
  }
}

function parseAppJson(text: string) {
  return parseJsonFile(appJsonSchema, text, 'app.json');
}

/** Procfile rules of dokku/procfile-util: `type: command`, comments, unique DNS-label types. */
export function parseProcfile(text: string): Record<string, string> {
  const processes: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('//')) continue;
    const match = /^([^:\s]+)\s*:\s*(.*)$/.exec(line);
    const type = match?.[1];
    const command = match?.[2] === undefined ? undefined : cutTrailingComment(match[2], ['#', '//']).trim();
    if (!type || !command) throw new UserError(`Invalid Procfile: line ${index + 1} is not "type: command"`);
    if (!PROCESS_TYPE.test(type))
      throw new UserError(`Invalid Procfile: invalid process type "${type}" on line ${index + 1}`);
    if (processes[type] !== undefined) throw new UserError(`Invalid Procfile: process type ${type} is defined twice`);
    processes[type] = command;
  }
  return processes;
}

/** The legacy CHECKS file (WAIT=, TIMEOUT=, ATTEMPTS=, then `path [content]` lines) as web checks. */
export function parseChecksFile(text: string): Healthcheck[] {
  const settings: Record<string, number> = { WAIT: 5, TIMEOUT: 30, ATTEMPTS: 5 };
  const checks: { path: string; content?: string; host?: string }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const setting = /^(WAIT|TIMEOUT|ATTEMPTS)=(\d+)$/.exec(line);
    if (setting) {
      settings[setting[1]!] = Number(setting[2]);
      continue;
    }
    const [target = '', ...content] = line.split(/\s+/);
    const url = /^(?:https?:)?\/\/([^/]+)(\/.*)?$/.exec(target);
    const path = url ? (url[2] ?? '/') : target;
    if (!path.startsWith('/')) throw new UserError(`Invalid CHECKS line: ${line}`);
    checks.push({ path, content: content.join(' ') || undefined, host: url?.[1] });
  }
  return checks.map((check, i) =>
    healthcheckSchema.parse({
      name: `CHECKS ${i + 1}`,
      path: check.path,
      content: check.content,
      attempts: settings.ATTEMPTS,
      timeout: settings.TIMEOUT,
      wait: settings.WAIT,
      initialDelay: i === 0 ? settings.WAIT : 0,
      httpHeaders: check.host ? [{ name: 'Host', value: check.host }] : [],
    }),
  );
}

function readTopLevelFiles(
  tarPath: string,
): Promise<{ files: Partial<Record<SourceFile, string>>; lockfiles: string[]; markers: string[] }> {
  return new Promise((resolve, reject) => {
    const files: Partial<Record<SourceFile, string>> = {};
    const lockfiles: string[] = [];
    const markers: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '') as SourceFile;
      if (LOCKFILES.includes(name)) lockfiles.push(name);
      if (header.type === 'file' && MARKER_FILES.includes(name)) markers.push(name);
      const wanted = header.type === 'file' && SOURCE_FILES.includes(name);
      if (wanted && header.size > MAX_FILE) {
        stream.resume();
        return reject(new UserError(`${name} is larger than ${MAX_FILE} bytes`));
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk) => {
        if (wanted) chunks.push(chunk as Buffer);
      });
      stream.on('end', () => {
        if (wanted) files[name] = Buffer.concat(chunks).toString('utf8');
        next();
      });
      stream.resume();
    });
    extract.on('finish', () => resolve({ files, lockfiles, markers }));
    extract.on('error', reject);
    fs.createReadStream(tarPath).on('error', reject).pipe(extract);
  });
}
