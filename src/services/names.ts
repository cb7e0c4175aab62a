import type { Platform } from '../platform.js';
import type { ServiceRecord } from '../state/index.js';
import { NotFoundError, UserError } from '../core/errors.js';
import { SERVICE_KINDS, type ServiceKind } from './kinds.js';

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** What a service command given no service name says, in Dokku's words. */
export const serviceNameMissing = (kind: ServiceKind) => `Please specify a name for the ${kind.title} service`;

export function parseServiceName(kind: ServiceKind, name: string | undefined): string {
  if (!name) throw new UserError(serviceNameMissing(kind));
  if (!NAME.test(name) || name.length > 50) {
    throw new UserError('Service names are lowercase letters, digits and single hyphens (at most 50)');
  }
  return name;
}

export function requireService(platform: Platform, kind: ServiceKind, name: string | undefined): ServiceRecord {
  const service = platform.state.services.get(kind.kind, parseServiceName(kind, name));
  if (!service) throw new NotFoundError(`${kind.title} service ${name} does not exist`);
  return service;
}

/** The DNS name apps reach the service by, on the networks of the apps linked to it. */
export const serviceHost = (kind: ServiceKind, name: string) => `${kind.kind}-${name}`;

export function serviceUrl(kind: ServiceKind, service: ServiceRecord): string {
  return kind.url(service, serviceHost(kind, service.name));
}

/** Every kind, in a stable order (Postgres, Redis, MariaDB). */
export const allServiceKinds = Object.values(SERVICE_KINDS);
