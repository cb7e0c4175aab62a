// Where a command's CPU time goes, by kind of process (scripts/cpu-by-process runs this).
// Every INTERVAL it reads utime+stime of every process (/proc/PID/stat) and charges what each
// process spent since the last read to its kind: the vitest workers, Slipway daemons, nginx,
// git, ssh, containers and their shims… A process counts when it descends from the command, or
// carries one of the command's Slipway instances in its environment (nginx, which the daemon
// starts detached), or is the container or shim of a container labelled with one of them. What a
// process spent after its last read (or all of it, when it lived less than one interval) shows in
// its parent's cutime+cstime once reaped: that rest is charged to "<parent kind> › children (gone)".
// The engine's own processes (dockerd, containerd) serve every test run on the machine, so they
// are shown apart, machine-wide, with the machine's total: alone on the machine they are ours.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const usage = 'usage: scripts/cpu-by-process [--interval SECONDS] [--out FILE] -- COMMAND [ARG…]';
const args = process.argv.slice(2);
let intervalMs = 500;
let outFile;
while (args.length > 0 && args[0] !== '--') {
  const flag = args.shift();
  if (flag === '--interval') intervalMs = Math.max(50, Number(args.shift()) * 1000);
  else if (flag === '--out') outFile = args.shift();
  else fail(usage);
}
args.shift();
if (args.length === 0 || !Number.isFinite(intervalMs)) fail(usage);

const TICK = 100; // clock ticks per second (USER_HZ), 100 on Linux
const root = spawn(args[0], args.slice(1), { stdio: 'inherit' });

/** pid → what we know of it: its kind, start time (pids are reused), last utime+stime, last cutime+cstime. */
const known = new Map();
const spentByKind = new Map();
const instances = new Set(); // SLIPWAY_INSTANCE values of the command's daemons
const dataDirs = new Set(); // and their SLIPWAY_DATA_DIRs
const ourContainers = new Map(); // container id → kind, for containers labelled with our instances
let engineTicks = 0; // dockerd, containerd (machine-wide)
const machineBusyStart = machineBusyTicks();
let unlabelledTicks = 0; // containers and shims not labelled with our instances (build steps, other runs')
const samplerStart = Number(fs.readFileSync('/proc/self/stat', 'latin1').split(') ')[1].split(' ')[19]);
const started = Date.now();

function charge(kind, ticks) {
  if (ticks > 0) spentByKind.set(kind, (spentByKind.get(kind) ?? 0) + ticks);
}

function readStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text.slice(close + 2).split(' ');
    // Fields from 3 (state) on: ppid is 4, utime 14, stime 15, cutime 16, cstime 17, starttime 22.
    return {
      comm,
      ppid: Number(f[1]),
      own: Number(f[11]) + Number(f[12]),
      children: Number(f[13]) + Number(f[14]),
      start: f[19],
    };
  } catch {
    return undefined;
  }
}

function read(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return '';
  }
}

/** The kind of a process, from its command line (and container, for what runs in one). */
function kindOf(pid, comm) {
  const cmd = read(pid, 'cmdline').split('\0').join(' ');
  const container = /\/docker\/([0-9a-f]{64})/.exec(read(pid, 'cgroup'))?.[1];
  if (comm.startsWith('containerd-shim')) return 'containerd-shim';
  if (container) return ourContainers.get(container) ?? 'container';
  if (comm === 'runc') return 'runc';
  if (cmd.includes('typescript/bin/tsc')) return 'tsc';
  if (cmd.includes('vitest/dist/workers/')) return 'vitest worker';
  if (/vitest(\.mjs)? /.test(cmd) || cmd.includes('.bin/vitest')) return 'vitest main';
  if (cmd.includes('dist/cli.js serve')) return 'slipway daemon (serve)';
  if (cmd.includes('dist/cli.js worker')) return 'slipway worker';
  if (cmd.includes('dist/cli.js')) return 'slipway cli (node)';
  if (comm === 'nginx') return 'nginx';
  if (comm === 'docker') return 'docker cli';
  if (comm.startsWith('git')) return 'git';
  if (comm === 'ssh' || comm === 'ssh-keygen') return comm;
  if (comm === 'redis-server' || comm === 'redis-cli') return comm;
  if (comm === 'node' || comm === 'npm exec') return `node: ${cmd.slice(0, 60)}`;
  return comm;
}

function setting(pid, name) {
  return new RegExp(`(?:^|\0)${name}=([^\0]+)`).exec(read(pid, 'environ'))?.[1];
}

function isOurs(pid, stat) {
  if (pid === root.pid) return true;
  if (known.get(stat.ppid)?.ours) return true;
  const instance = setting(pid, 'SLIPWAY_INSTANCE');
  if (instance !== undefined && instances.has(instance)) return true;
  // nginx rewrites its environment (its process title goes there): its master is told by its prefix.
  if (stat.comm !== 'nginx') return false;
  const cmd = read(pid, 'cmdline');
  return [...dataDirs].some((dir) => cmd.includes(`${dir}/`));
}

/** The container a process runs in, or the container a shim serves. */
function containerOf(pid) {
  return (
    /\/docker\/([0-9a-f]{64})/.exec(read(pid, 'cgroup'))?.[1] ??
    /-id ([0-9a-f]{64})/.exec(read(pid, 'cmdline').split('\0').join(' '))?.[1]
  );
}

function sample() {
  const pids = fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b); // parents (usually lower pids) first, so a child sees its parent
  const stats = new Map();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) stats.set(pid, stat);
  }
  // The ended first, children before their parents (known after them): a parent's cutime has
  // grown by what they spent, charged to them already.
  const ended = [...known].filter(([pid, entry]) => stats.get(pid)?.start !== entry.start);
  for (const [pid, entry] of ended.reverse()) gone(pid, entry);
  for (const [pid, stat] of stats) {
    let entry = known.get(pid);
    if (!entry) {
      // What a process spent before the sampler started is not the command's.
      const fresh = Number(stat.start) >= samplerStart;
      entry = {
        start: stat.start,
        ppid: stat.ppid,
        comm: stat.comm,
        ours: isOurs(pid, stat),
        engine: /^(dockerd|containerd)$/.test(stat.comm),
        container: undefined,
        own: fresh ? 0 : stat.own,
        children: fresh ? 0 : stat.children,
        reaped: 0,
      };
      if (!entry.ours && !entry.engine) entry.container = containerOf(pid);
      if (entry.ours) becomeOurs(pid, entry);
      known.set(pid, entry);
    }
    // A container's processes start before the engine lists it: they become ours once it does.
    if (!entry.ours && entry.container && ourContainers.has(entry.container)) becomeOurs(pid, entry);
    // A script that execs its program (bin/slipway execs node) is that program from then on.
    if (entry.ours && stat.comm !== entry.comm) {
      entry.comm = stat.comm;
      entry.kind = kindOf(pid, stat.comm);
    }
    if (entry.ours) {
      charge(entry.kind, stat.own - entry.own);
      charge(`${entry.kind} › children (gone)`, stat.children - entry.children - entry.reaped);
    } else if (entry.engine) engineTicks += stat.own - entry.own;
    else if (entry.container !== undefined) unlabelledTicks += stat.own - entry.own;
    entry.own = stat.own;
    entry.children = stat.children;
    entry.reaped = 0;
  }
}

function becomeOurs(pid, entry) {
  entry.ours = true;
  entry.kind = kindOf(pid, entry.comm);
  const instance = setting(pid, 'SLIPWAY_INSTANCE');
  if (instance) instances.add(instance);
  const dataDir = setting(pid, 'SLIPWAY_DATA_DIR');
  if (dataDir) dataDirs.add(dataDir);
}

/**
 * A process ended: what it spent up to its last read is charged already, and so is what its
 * children that ended since then spent (`reaped`); its parent's cutime grows by all of that
 * when it is reaped, so that part must not be charged twice.
 */
function gone(pid, entry) {
  known.delete(pid);
  const parent = known.get(entry.ppid);
  if (entry.ours && parent) parent.reaped += entry.own + entry.children + entry.reaped;
}

function machineBusyTicks() {
  const [, ...f] = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/);
  // user nice system irq softirq steal (as scripts/test counts them)
  return [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + Number(f[i]), 0);
}

/** Our instances' containers (by the label every Slipway container carries), from the engine. */
function refreshContainers() {
  if (instances.size === 0) return;
  const request = http.get(
    { socketPath: '/var/run/docker.sock', path: '/containers/json?all=1&filters={"label":["slipway.instance"]}' },
    (response) => {
      let body = '';
      response.on('data', (d) => (body += d));
      response.on('end', () => {
        try {
          for (const c of JSON.parse(body)) {
            if (!instances.has(c.Labels['slipway.instance'])) continue;
            const what = c.Labels['slipway.service'] ? `service ${c.Image.split(':')[0]}` : 'app';
            ourContainers.set(c.Id, `container: ${what}`);
          }
        } catch {
          // the engine was restarting: the next refresh catches up
        }
      });
    },
  );
  request.on('error', () => {});
}

const timer = setInterval(sample, intervalMs);
const containerTimer = setInterval(refreshContainers, 1000);
sample();

root.on('exit', (code, signal) => {
  sample();
  clearInterval(timer);
  clearInterval(containerTimer);
  const seconds = (Date.now() - started) / 1000;
  const machine = (machineBusyTicks() - machineBusyStart) / TICK;
  const self = process.cpuUsage();
  const rows = [...spentByKind].filter(([, t]) => t > 0).sort((a, b) => b[1] - a[1]);
  const ours = rows.reduce((sum, [, t]) => sum + t, 0) / TICK;
  const lines = [
    `-----> CPU by kind of process: ${args.join(' ')}`,
    `       ${seconds.toFixed(0)} s wall; the command's processes ${ours.toFixed(1)} CPU-s` +
      ` (this sampler ${((self.user + self.system) / 1e6).toFixed(1)} more)`,
    ...rows.map(
      ([kind, t]) =>
        `${(t / TICK).toFixed(1).padStart(9)} s ${((100 * t) / TICK / ours).toFixed(1).padStart(5)}%  ${kind}`,
    ),
    `       machine-wide, shared with anything else running: dockerd+containerd ${(engineTicks / TICK).toFixed(1)} CPU-s,` +
      ` containers not ours (build steps, other runs') ${(unlabelledTicks / TICK).toFixed(1)} CPU-s;` +
      ` all busy CPU ${machine.toFixed(1)} CPU-s`,
  ];
  console.log(lines.join('\n'));
  if (outFile) fs.writeFileSync(outFile, `${lines.join('\n')}\n`);
  process.exit(signal ? 1 : (code ?? 1));
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => root.kill(s));

function fail(message) {
  console.error(message);
  process.exit(2);
}
