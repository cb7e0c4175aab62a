import type { TlsFiles } from './certs.js';
import type { NginxSettings } from './nginx-properties.js';
import type { Listener, StreamMapping } from './ports.js';
import type { Backend } from './render.js';

export type { Backend } from './render.js';

export interface AppRoute {
  app: string;
  domains: string[];
  /** Where nginx listens for it, and which container port each listener's traffic goes to. */
  listeners: Listener[];
  /** Its TCP and UDP mappings. */
  streams: StreamMapping[];
  backends: Backend[];
  /** Right after a swap: the previous release's backends, where a request that failed on a new one is retried. */
  fallback?: Backend[];
  tls: TlsFiles | undefined;
  nginx: NginxSettings;
  /** Takes no traffic: its domains answer 502 (no backends are asked). */
  parked: boolean;
  /**
   * Asleep: a request is held while nginx asks the daemon to wake the app, until it has
   * backends again; backends given with it only serve requests already on their way.
   */
  sleeping?: boolean;
}

/** Where apps' traffic goes: the deploy pipeline routes and unroutes through this alone. */
export interface Router {
  /** Routes an app's domains to its backends; true when that took a reload. */
  route(route: AppRoute): Promise<boolean>;
  unroute(app: string): Promise<boolean>;
  /**
   * Stops sending an app's traffic to one backend, if it still gets any; the rest keep theirs.
   * `unreachable`: it no longer answers (its host is down or cut off), so the connections to it
   * are dropped too: a request waiting on one fails over to another backend now.
   */
  withdraw(app: string, backend: Backend, options?: { unreachable?: boolean }): Promise<void>;
}
