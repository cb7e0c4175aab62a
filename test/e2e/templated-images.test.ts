import Docker from 'dockerode';
import { afterAll, expect, test } from 'vitest';
import { ensureTemplatedImage } from '../../src/builder/templated-image.js';
import { DockerEngine } from '../../src/runtime/docker/index.js';

const image = `slipway-test/templated:${process.pid}`;
const engine = new DockerEngine('/var/run/docker.sock', { pool: '10.210.0.0/16', prefix: 24 });
const options = { rebuild: false, onLine: () => {} };
const files = (greeting: string) => [
  { name: 'Dockerfile', content: 'FROM slipway/stack:bookworm\nCOPY greeting /greeting\n' },
  { name: 'greeting', content: greeting },
];

afterAll(() =>
  new Docker({ socketPath: '/var/run/docker.sock' })
    .getImage(image)
    .remove()
    .catch(() => {}),
);

test('an image built from shipped templates is rebuilt when they change, and only then', async () => {
  expect(await ensureTemplatedImage(engine, image, files('hello'), options)).toBe(true);
  expect(await ensureTemplatedImage(engine, image, files('hello'), options)).toBe(false);
  expect(await ensureTemplatedImage(engine, image, files('hello again'), options)).toBe(true);
  expect(await ensureTemplatedImage(engine, image, files('hello again'), { ...options, rebuild: true })).toBe(true);
});
