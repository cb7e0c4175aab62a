import http from 'node:http';
import net from 'node:net';
import { UserError } from '../core/errors.js';
import type { ProgressLog } from '../model/progress.js';
import type { Healthcheck } from '../model/release.js';
import { sleep } from '../core/process.js';
import type { ContainerStatus } from './docker/index.js';
import type { Instance } from './scheduler.js';

export interface CheckTarget {
  ip: string;
  /** The port the process listens on; undefined for processes without one (workers). */
  port: number | undefined;
  /** Host header for path checks: the app's first domain, so host-checking apps answer (none: the address's own). */
  host: string | undefined;
  status: () => Promise<ContainerStatus>;
  /**
   * The port is a forwarder's (a published port served by docker-proxy) that accepts before the
   * process listens, then closes the connection when it cannot reach it: a connection counts
   * only once it stays open for a moment.
   */
  forwarded?: boolean;
}

/** How often, and for how long after the start, a new container is tried while it boots. */
const FAST_POLL_MS = 20;
const FAST_POLL_FOR_MS = 2000;

/** How long a forwarded connection must stay open: docker-proxy closes it within a millisecond or so. */
const FORWARDED_HOLD_MS = 150;

export interface CheckPolicy {
  /** How long the process may take to start listening. */
  listenTimeoutMs: number;
  /** How long it must then stay up without restarting. */
  settleMs: number;
}

export type CheckOutcome = { ok: true } | { ok: false; reason: string };
type Log = (line: string) => void;

/**
 * Decides whether a new container may take traffic: it must listen on its port (when it has
 * one), pass every check the app defines (app.json healthchecks or CHECKS), and still be up,
 * never restarted, after the settle time. A container that exits fails at once.
 */
export async function checkContainer(
  target: CheckTarget,
  checks: Healthcheck[],
  policy: CheckPolicy,
  log: Log,
): Promise<CheckOutcome> {
  if (target.port !== undefined) {
    const listening = await waitForListening(target, target.port, policy.listenTimeoutMs);
    if (!listening.ok) return listening;
  }
  for (const check of checks) {
    const outcome = await runCheck(target, check, log);
    if (outcome.ok) continue;
    if (!check.warn) return outcome;
    log(`Ignoring the failure of warn-only check ${describe(check)}: ${outcome.reason}`);
  }
  if (policy.settleMs > 0) await sleep(policy.settleMs);
  const down = describeDown(await target.status());
  return down ? { ok: false, reason: down } : { ok: true };
}

/**
 * Checks new instances of one process type at once (they started together), then logs each
 * one's lines in order (a single instance's as they come); the first that failed fails the
 * deploy, with its output.
 */
export async function checkTogether(
  instances: Instance[],
  how: {
    check(instance: Instance, onLine: Log): Promise<CheckOutcome>;
    /** Where the instance runs, for the log (`on node2`), if anywhere but here. */
    where?(instance: Instance): string;
    recentOutput(instance: Instance): Promise<string[]>;
  },
  log: ProgressLog,
): Promise<void> {
  const attempting = (instance: Instance) =>
    log.detail(
      `Attempting pre-flight checks (${instance.process}.${instance.index}${how.where ? ` on ${how.where(instance)}` : ''})`,
    );
  const live = instances.length === 1;
  if (live) attempting(instances[0]!);
  const outcomes = await Promise.all(
    instances.map(async (instance) => {
      const lines: string[] = [];
      const onLine = live ? (line: string) => log.detail(line) : (line: string) => void lines.push(line);
      return { instance, lines, outcome: await how.check(instance, onLine) };
    }),
  );
  for (const { instance, lines, outcome } of outcomes) {
    const label = `${instance.process}.${instance.index}`;
    if (!live) attempting(instance);
    lines.forEach((line) => log.detail(line));
    if (outcome.ok) {
      log.detail(`All checks successful (${label})`);
      continue;
    }
    log.error(`Check failed (${label}): ${outcome.reason}`);
    const title = `${instance.name} container output (${instance.id.slice(0, 12)} ${label})`;
    log.section(`Start of ${title}`);
    for (const line of await how.recentOutput(instance).catch(() => [])) log.output(line);
    log.section(`End of ${title}`);
    throw new UserError(`Could not start due to 1 failed checks (${label})`);
  }
}

function describe(check: Healthcheck): string {
  return `'${check.name ?? check.path ?? (check.uptime !== undefined ? 'uptime' : 'listening')}'`;
}

async function runCheck(target: CheckTarget, check: Healthcheck, log: Log): Promise<CheckOutcome> {
  const name = describe(check);
  if (check.uptime !== undefined) {
    log(`Running healthcheck name=${name} type='uptime' uptime=${check.uptime}`);
    await sleep(check.uptime * 1000);
    const down = describeDown(await target.status());
    return down ? { ok: false, reason: down } : { ok: true };
  }
  const port = check.port ?? target.port;
  if (port === undefined) return { ok: false, reason: `check ${name} needs a port, and this process has none` };
  if (check.path === undefined) {
    log(`Running healthcheck name=${name} type='listening' port=${port}`);
    return waitForListening(target, port, check.timeout * 1000);
  }
  log(
    `Running healthcheck name=${name} delay=${check.initialDelay} path='${check.path}' retries=${check.attempts} timeout=${check.timeout} type='path'`,
  );
  if (check.initialDelay > 0) await sleep(check.initialDelay * 1000);
  let reason = '';
  for (let attempt = 1; attempt <= check.attempts; attempt++) {
    const down = describeDown(await target.status());
    if (down) return { ok: false, reason: down };
    reason = await probePath(target, port, check);
    if (!reason) {
      log(`Healthcheck succeeded name=${name}`);
      return { ok: true };
    }
    log(`Attempt ${attempt}/${check.attempts} of ${name} failed: ${reason}`);
    if (attempt < check.attempts) await sleep(check.wait * 1000);
  }
  return { ok: false, reason: `healthcheck ${name} failed: ${reason}` };
}

/** One GET; an empty string means it passed, otherwise why not. */
function probePath(target: CheckTarget, port: number, check: Healthcheck): Promise<string> {
  const headers: Record<string, string> = {
    ...(target.host ? { host: target.host } : {}),
    'user-agent': 'slipway-healthcheck',
  };
  for (const header of check.httpHeaders) headers[header.name.toLowerCase()] = header.value;
  return new Promise((resolve) => {
    const request = http.get(
      { host: target.ip, port, path: check.path, headers, timeout: check.timeout * 1000, agent: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < 1024 * 1024) body += chunk;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status < 200 || status > 299) resolve(`status ${status}`);
          else if (check.content !== undefined && !body.includes(check.content))
            resolve(`the response did not contain "${check.content}"`);
          else resolve('');
        });
        response.on('error', (error) => resolve(error.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${check.timeout} s`)));
    request.on('error', (error) => resolve(error.message));
  });
}

/** Until something accepts connections on the port, or the container goes down, or time is up. */
export async function waitForListening(target: CheckTarget, port: number, timeoutMs: number): Promise<CheckOutcome> {
  const startedAt = Date.now();
  const deadline = startedAt + timeoutMs;
  for (;;) {
    const down = describeDown(await target.status());
    if (down) return { ok: false, reason: down };
    if (await acceptsConnection(target.ip, port, target.forwarded ? FORWARDED_HOLD_MS : 0)) return { ok: true };
    if (Date.now() > deadline) {
      return { ok: false, reason: `nothing accepted connections on port ${port} within ${timeoutMs / 1000} s` };
    }
    // Most apps listen within a second of starting: looked for often then, every deploy waits less.
    await sleep(Date.now() - startedAt < FAST_POLL_FOR_MS ? FAST_POLL_MS : 100);
  }
}

/** Why a container is down (exited, restarted by its policy), or undefined while it runs. */
export function describeDown(status: ContainerStatus): string | undefined {
  if (status.restartCount > 0 || status.restarting) {
    return `the container exited with code ${status.exitCode} and was restarted`;
  }
  if (!status.running) return `the container exited with code ${status.exitCode}`;
  return undefined;
}

/** Whether a connection opens and, for `holdMs`, is neither closed nor reset by the other end. */
export function acceptsConnection(host: string, port: number, holdMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    let held: NodeJS.Timeout | undefined;
    const done = (ok: boolean) => {
      clearTimeout(held);
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => {
      if (holdMs === 0) return done(true);
      socket.setTimeout(0);
      socket.resume(); // a forwarder's close arrives as 'end'
      held = setTimeout(() => done(true), holdMs);
    });
    socket.once('end', () => done(false));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
