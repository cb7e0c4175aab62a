import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseImageRef } from './model/image-ref.js';
import { firstPublicIpv4 } from './core/files.js';
import { isValidDomain } from './core/names.js';
import { hostCommandSocket } from './core/host-commands.js';

const port = z.coerce.number().int().min(1).max(65535);

const schema = z.object({
  SLIPWAY_DATA_DIR: z.string().default('/var/lib/slipway'),
  SLIPWAY_SSH_PORT: port.default(2222),
  SLIPWAY_SSH_HOST: z.string().default('0.0.0.0'),
  SLIPWAY_HTTP_PORT: port.default(80),
  /** Apps with a certificate (certs:add) answer HTTPS here; HTTP redirects to it. */
  SLIPWAY_HTTPS_PORT: port.default(443),
  SLIPWAY_DOMAIN: z.string().refine(isValidDomain, 'must be a DNS name').optional(),
  SLIPWAY_REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  SLIPWAY_DOCKER_SOCKET: z.string().default('/var/run/docker.sock'),
  /** Namespaces containers, images, networks, locks and queues, so two Slipways can share a host. */
  SLIPWAY_INSTANCE: z
    .string()
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
    .default('slipway'),
  SLIPWAY_STACK_IMAGE: z.string().default('slipway/stack:bookworm'),
  SLIPWAY_DEBIAN_MIRROR: z.url().default('http://deb.debian.org/debian'),
  /** Node.js, npm and corepack versions that builds asked for, fetched once and shared by every app (and every Slipway) on the host. */
  SLIPWAY_TOOLCHAINS_DIR: z.string().default('/var/cache/slipway/toolchains'),
  /** Where those come from, and where builds install packages from. */
  SLIPWAY_NPM_REGISTRY: z.url().default('https://registry.npmjs.org'),
  /**
   * Where Java builds get what Maven Central has (unset: Central itself); a host without
   * internet can name Debian's Maven repository in the Java build image, file:///usr/share/maven-repo.
   * It goes into a Maven settings file, so no character XML gives a meaning to.
   */
  SLIPWAY_MAVEN_MIRROR: z
    .url({ protocol: /^(https?|file)$/ })
    .refine((url) => !/[<>&"']/.test(url), 'must have no < > & " or \'')
    .optional(),
  SLIPWAY_NGINX_BIN: z.string().default('nginx'),
  SLIPWAY_NGINX_MODULES_DIR: z.string().default('/usr/lib/nginx/modules'),
  /**
   * Where nginx's workers buffer large request and response bodies. Not under the data
   * directory: that is root's alone, and the workers run as an unprivileged user.
   */
  SLIPWAY_NGINX_TEMP_DIR: z.string().optional(),
  /** The HTTP API and dashboard listen here on loopback; nginx publishes them on the dashboard host. */
  SLIPWAY_API_PORT: port.default(5190),
  /** The dashboard's host name; `slipway.<SLIPWAY_DOMAIN>` by default. */
  SLIPWAY_DASHBOARD_DOMAIN: z.string().refine(isValidDomain, 'must be a DNS name').optional(),
  SLIPWAY_DEPLOY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  SLIPWAY_CHECKS_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(60),
  /**
   * How long a new container must stay up after its checks, before the swap. None by default:
   * the watch after the swap covers that time with traffic already on the new containers and
   * the old ones as the fallback of any request that fails there.
   */
  SLIPWAY_CHECKS_SETTLE_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  SLIPWAY_DRAIN_SECONDS: z.coerce.number().min(0).max(3600).default(2),
  SLIPWAY_STOP_TIMEOUT_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
  /** Images of this many newest releases are kept as rollback targets; older ones are pruned. */
  SLIPWAY_KEEP_RELEASES: z.coerce.number().int().min(1).max(1000).default(10),
  /** After a swap, how long the old containers stay ready in case a new one goes down. */
  SLIPWAY_WATCH_SECONDS: z.coerce.number().min(0).max(600).default(5),
  /** How often what runs is compared with what was released, besides on container events. */
  SLIPWAY_RECONCILE_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  /** How often apps with a sleep-after (ps:set) are checked for how long they have gone without a request. */
  SLIPWAY_SLEEP_CHECK_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  /** How often the daemon samples each app's traffic, CPU and memory into its per-minute history (a minute; less only for tests). */
  SLIPWAY_METRICS_SAMPLE_SECONDS: z.coerce.number().int().min(1).max(60).default(60),
  /** A build, or a release task (release, predeploy, postdeploy), that runs longer is stopped and fails the deploy. */
  SLIPWAY_BUILD_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(86_400).default(3600),
  /**
   * Every app and service gets a network of its own, a subnet of this pool: by default 4,096
   * networks of 253 containers (a /24 holds a process type scaled to 100, the most ps:scale
   * allows, twice while a deploy runs its old and new containers side by side, with the app's
   * one-offs and linked services).
   */
  SLIPWAY_NETWORK_POOL: z
    .string()
    .regex(/^\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 network like 10.224.0.0/12')
    .default('10.224.0.0/12'),
  SLIPWAY_NETWORK_PREFIX: z.coerce.number().int().min(16).max(29).default(24),
  /** The most processes one container may run (apps, one-offs, services). */
  SLIPWAY_PIDS_LIMIT: z.coerce.number().int().min(16).max(4_194_304).default(4096),
  /** The most one-off containers (run, run:detached, cron runs) an app runs at once, unless `run:set <app> max-one-offs` says otherwise. */
  SLIPWAY_MAX_ONE_OFFS: z.coerce.number().int().min(0).max(100).default(4),
  /** When set, the only registry images a Dockerfile may build FROM (comma-separated; a name without a tag allows every tag); any when empty. */
  SLIPWAY_BUILD_IMAGES: z
    .string()
    .default('')
    .refine(
      (list) => imageList(list).every((entry) => parseImageRef(entry) !== undefined),
      'must be image references, comma-separated (e.g. node,127.0.0.1:5000/base:1)',
    ),
  /** Where swarm nodes reach the image registry (`host:port`); by default the manager's advertised address, port 5000. */
  SLIPWAY_REGISTRY_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port')
    .optional(),
  SLIPWAY_REGISTRY_BIN: z.string().default('docker-registry'),
  /** Where Docker looks for the CA of each registry (certs.d). */
  SLIPWAY_DOCKER_CERTS_DIR: z.string().default('/etc/docker/certs.d'),
  /** How long new swarm tasks may take to be pulled and started on their nodes. */
  SLIPWAY_SWARM_START_SECONDS: z.coerce.number().int().min(5).max(3600).default(300),
  /** An SSH connection must authenticate within this long, and is closed after this long with no channel open. */
  SLIPWAY_SSH_LOGIN_SECONDS: z.coerce.number().min(1).max(600).default(30),
  SLIPWAY_SSH_IDLE_SECONDS: z.coerce.number().min(1).max(86_400).default(600),
  /** Connections still authenticating beyond this many are closed at once. */
  SLIPWAY_SSH_MAX_UNAUTHENTICATED: z.coerce.number().int().min(1).max(10_000).default(64),
  /** Each log drain keeps at most this many MiB of lines it could not deliver yet; past that the oldest are dropped (and counted). */
  SLIPWAY_LOG_DRAIN_BUFFER_MIB: z.coerce.number().min(1).max(100_000).default(64),
  /** A PEM file of CA certificates log drains trust besides the host's bundle (a private syslog server's CA). */
  SLIPWAY_LOG_DRAIN_CA_FILE: z.string().optional(),
  /** A webhook delivery that failed is tried again after this long, then twice as long each time (up to an hour), for a day. */
  SLIPWAY_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(3600_000).default(10_000),
  /** How long one request to an ACME server (letsencrypt) may wait for its answer. */
  SLIPWAY_ACME_TIMEOUT_SECONDS: z.coerce.number().min(1).max(600).default(30),
  /** What the daemon logs (JSON lines on stderr): debug, info, warn or error and above. */
  SLIPWAY_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type Settings = ReturnType<typeof loadSettings>;

function hasIpv6(): boolean {
  try {
    return fs.readFileSync('/proc/net/if_inet6', 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

/** The daemon's own settings, from the environment; invalid values stop it with a clear message. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env) {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid Slipway settings: ${problems}`);
  }
  const s = parsed.data;
  const dataDir = path.resolve(s.SLIPWAY_DATA_DIR);
  const domain = s.SLIPWAY_DOMAIN ?? defaultDomain();
  return {
    dataDir,
    dbPath: path.join(dataDir, 'slipway.db'),
    reposDir: path.join(dataDir, 'repos'),
    buildsDir: path.join(dataDir, 'builds'),
    /** Host directories apps may mount (storage:mount) live under here, and only here. */
    storageDir: path.join(dataDir, 'storage'),
    certsDir: path.join(dataDir, 'certs'),
    runDir: path.join(dataDir, 'run'),
    nginxDir: path.join(dataDir, 'nginx'),
    nginxTempDir: s.SLIPWAY_NGINX_TEMP_DIR ?? path.join('/var/cache/slipway-nginx', s.SLIPWAY_INSTANCE),
    hostKeyPath: path.join(dataDir, 'ssh', 'host_ed25519'),
    hookSocket: path.join(dataDir, 'run', 'hook.sock'),
    hostCommandSocket: hostCommandSocket(env),
    sshPort: s.SLIPWAY_SSH_PORT,
    sshHost: s.SLIPWAY_SSH_HOST,
    httpPort: s.SLIPWAY_HTTP_PORT,
    httpsPort: s.SLIPWAY_HTTPS_PORT,
    /** nginx listens on IPv6 too when the host has it. */
    ipv6: hasIpv6(),
    domain,
    apiPort: s.SLIPWAY_API_PORT,
    dashboardDomain: s.SLIPWAY_DASHBOARD_DOMAIN ?? `slipway.${domain}`,
    redisUrl: s.SLIPWAY_REDIS_URL,
    dockerSocket: s.SLIPWAY_DOCKER_SOCKET,
    instance: s.SLIPWAY_INSTANCE,
    subnets: { pool: s.SLIPWAY_NETWORK_POOL, prefix: s.SLIPWAY_NETWORK_PREFIX },
    stackImage: s.SLIPWAY_STACK_IMAGE,
    debianMirror: s.SLIPWAY_DEBIAN_MIRROR,
    toolchainsDir: path.resolve(s.SLIPWAY_TOOLCHAINS_DIR),
    npmRegistry: s.SLIPWAY_NPM_REGISTRY,
    mavenMirror: s.SLIPWAY_MAVEN_MIRROR,
    nginxBin: s.SLIPWAY_NGINX_BIN,
    nginxModulesDir: s.SLIPWAY_NGINX_MODULES_DIR,
    deployConcurrency: s.SLIPWAY_DEPLOY_CONCURRENCY,
    checksTimeoutMs: s.SLIPWAY_CHECKS_TIMEOUT_SECONDS * 1000,
    checksSettleMs: s.SLIPWAY_CHECKS_SETTLE_MS,
    drainMs: s.SLIPWAY_DRAIN_SECONDS * 1000,
    stopTimeoutSeconds: s.SLIPWAY_STOP_TIMEOUT_SECONDS,
    keepReleases: s.SLIPWAY_KEEP_RELEASES,
    reconcileMs: s.SLIPWAY_RECONCILE_SECONDS * 1000,
    metricsSampleMs: s.SLIPWAY_METRICS_SAMPLE_SECONDS * 1000,
    watchMs: s.SLIPWAY_WATCH_SECONDS * 1000,
    sleepCheckMs: s.SLIPWAY_SLEEP_CHECK_SECONDS * 1000,
    pidsLimit: s.SLIPWAY_PIDS_LIMIT,
    maxOneOffs: s.SLIPWAY_MAX_ONE_OFFS,
    buildTimeoutMs: s.SLIPWAY_BUILD_TIMEOUT_SECONDS * 1000,
    registryAddress: s.SLIPWAY_REGISTRY_ADDRESS,
    registryBin: s.SLIPWAY_REGISTRY_BIN,
    dockerCertsDir: s.SLIPWAY_DOCKER_CERTS_DIR,
    swarmStartTimeoutMs: s.SLIPWAY_SWARM_START_SECONDS * 1000,
    buildImages: imageList(s.SLIPWAY_BUILD_IMAGES),
    logDrains: {
      dir: path.join(dataDir, 'drains'),
      bufferBytes: Math.floor(s.SLIPWAY_LOG_DRAIN_BUFFER_MIB * 1024 * 1024),
      extraCaFile: s.SLIPWAY_LOG_DRAIN_CA_FILE,
    },
    webhookBackoffMs: s.SLIPWAY_WEBHOOK_BACKOFF_MS,
    acmeTimeoutMs: s.SLIPWAY_ACME_TIMEOUT_SECONDS * 1000,
    ssh: {
      loginMs: s.SLIPWAY_SSH_LOGIN_SECONDS * 1000,
      idleMs: s.SLIPWAY_SSH_IDLE_SECONDS * 1000,
      maxUnauthenticated: s.SLIPWAY_SSH_MAX_UNAUTHENTICATED,
    },
    defaultPort: 5000,
    defaultBranch: 'main',
  };
}

const imageList = (list: string) =>
  list
    .split(',')
    .map((i) => i.trim())
    .filter(Boolean);

/** `<ip>.sslip.io` for the host's first public IPv4 address, like Dokku's default; else localhost. */
function defaultDomain(): string {
  const ipv4 = firstPublicIpv4();
  return ipv4 ? `${ipv4}.sslip.io` : 'localhost';
}
