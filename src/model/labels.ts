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
  /** On containers that run once (run, release tasks): never part of the app's formation. */
  oneOff: 'slipway.one-off',
} as const;
