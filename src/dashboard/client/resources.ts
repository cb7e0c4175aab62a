// Everything the dashboard reads, in one place: the API's resources (GET /api/v1/…) and the
// few lists only a command reports (tokens, Let's Encrypt). Pages call these and never
// read an answer's shape themselves, so a change of the API's answers is met here alone.
import type {
  AppJson,
  BackupJson,
  CertsJson,
  ConfigJson,
  DeployJson,
  DomainsJson,
  KeyJson,
  NodeJson,
  Page,
  ProcessesJson,
  ReleaseJson,
  ServiceItemJson,
  ServiceJson,
  UsageJson,
} from '../../model/api.js';
import { api, apiAll, ApiError, command } from './page.js';

export type { KeyJson, NodeJson };

/** An API token as `tokens:list --format json` shows it: never its secret. */
export interface TokenJson {
  id: string;
  name: string;
  key: string;
  scope: 'full' | 'scrape';
  created: string;
  expires: string;
  lastUsed: string;
  /** The token it was made with, which it never outlives; null: made by a key. */
  boundTo: string | null;
}

/** An app's HTTPS: the certificate it serves (if any), and whether Let's Encrypt renews it. */
export interface HttpsJson {
  enabled: boolean;
  hostnames: string;
  issuer: string;
  expiresAt: string;
  selfSigned: boolean;
  letsencrypt: boolean;
}

const path = (app: string) => `/apps/${encodeURIComponent(app)}`;

/** A query command's `--format json` answer. */
const reported = async <T>(words: string[]): Promise<T> =>
  JSON.parse((await command([...words, '--format', 'json'], undefined, true)).join('\n') || 'null') as T;

/** The deploys and releases the app page lists: the newest of each. */
const LISTED = 20;

/** The first page of a list, its newest items. */
const newest = async <T>(url: string) => (await api<Page<T>>('GET', `${url}?limit=${LISTED}`)).items;

export const readAppNames = async () => (await apiAll<AppJson>('/apps')).map((app) => app.name);
export const readDeploys = (app: string) => newest<DeployJson>(`${path(app)}/deploys`);
export const readReleases = (app: string) => newest<ReleaseJson>(`${path(app)}/releases`);
export const readConfig = async (app: string, reveal = false) =>
  (await api<ConfigJson>('GET', `${path(app)}/config${reveal ? '?reveal=true' : ''}`)).config;
export const readProcesses = (app: string) => api<ProcessesJson>('GET', `${path(app)}/processes`);
export const readUsage = (app: string) => api<UsageJson[]>('GET', `${path(app)}/processes/usage`);

export const readDomains = async (app: string) => (await api<DomainsJson>('GET', `${path(app)}/domains`)).domains;

export async function readHttps(app: string): Promise<HttpsJson> {
  const [certs, letsencrypt] = await Promise.all([
    api<CertsJson>('GET', `${path(app)}/certs`),
    reported<Partial<Record<string, string>>>(['letsencrypt:report', app]),
  ]);
  const { certificate } = certs;
  return {
    enabled: certs.enabled,
    hostnames: certificate?.hostnames.join(' ') ?? '',
    issuer: certificate?.issuer ?? '',
    expiresAt: certificate?.expires_at ?? '',
    selfSigned: certificate?.self_signed ?? false,
    letsencrypt: letsencrypt.active === 'true',
  };
}

/** The non-admin keys granted the app (admins only). */
export const readGrants = async (app: string) =>
  (await apiAll<{ key: string }>(`${path(app)}/grants`)).map((grant) => grant.key);

/** The services by kind (`postgres`: […]). */
export async function readServices(): Promise<Record<string, ServiceJson[]>> {
  const byKind: Record<string, ServiceJson[]> = {};
  for (const { type, ...service } of await apiAll<ServiceItemJson>('/services')) (byKind[type] ??= []).push(service);
  return byKind;
}
export const readBackups = (type: string, name: string) =>
  apiAll<BackupJson>(`/services/${type}/${encodeURIComponent(name)}/backups`);

export const readKeys = () => apiAll<KeyJson>('/keys');
export const readTokens = () => reported<TokenJson[]>(['tokens:list']);

/** The swarm's nodes with the app tasks on each; none on a single host (not a swarm manager: 409). */
export async function readNodes(): Promise<NodeJson[]> {
  try {
    return await apiAll<NodeJson>('/nodes');
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return [];
    throw error;
  }
}
