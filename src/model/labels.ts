/**
 * Labels Slipway sets on what it creates (containers, networks, volumes), so the running
 * world can be told apart per instance and read back. A label says what a thing is meant
 * to be, not who made it: an image can carry any label, so every label Slipway relies on is
 * set explicitly on each container it creates.
 */
export const LABEL = {
  instance: 'slipway.instance',
  app: 'slipway.app',
  process: 'slipway.process',
  index: 'slipway.index',
  release: 'slipway.release',
  deploy: 'slipway.deploy',
  service: 'slipway.service',
  /** The port a web container listens on (its PORT), where the proxy sends its traffic. */
  port: 'slipway.port',
  /** On containers that run once (run, release tasks): never part of the app's formation. */
  oneOff: 'slipway.one-off',
} as const;

/**
 * The labels of a container Slipway creates: the given ones, and every other label of
 * Slipway's set to empty, so an image's own `LABEL slipway.service=…` (Docker copies image
 * labels onto containers that do not set them) can never make a tenant's container pass for
 * a service, a one-off or another app's process.
 */
export function containerLabels(
  labels: Partial<Record<(typeof LABEL)[keyof typeof LABEL], string>>,
): Record<string, string> {
  const every: Record<string, string> = Object.fromEntries(Object.values(LABEL).map((key) => [key, '']));
  return { ...every, ...labels };
}
