import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { SlipwayUnderTest } from '../support/slipway.js';

// The Java images are made from the stack's the first time an app needs them (a JDK: several
// minutes), then shared by every app and test run. No Maven repository on the internet can be
// reached here: the host's mirror is Debian's Maven repository, in the Java build image.
const FIRST_BUILD_MS = 1_500_000;
const BUILD_MS = 300_000;
const slipway = new SlipwayUnderTest(inject('redisUrl'), { SLIPWAY_MAVEN_MIRROR: 'file:///usr/share/maven-repo' });

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

const served = async () => (await slipway.get(slipway.appHost('javaapp'))).body;
const downloaded = (output: string) =>
  Number(/remote: +(\d+) artifacts downloaded into the Maven repository/.exec(output)?.[1]);

describe('Java', () => {
  let repo = '';

  test(
    'a Maven app builds from the host’s mirror and serves its runnable jar from an image without a JDK',
    async () => {
      repo = await slipway.appRepo('java-app', 'javaapp');
      const pushed = await slipway.push(repo);
      expect(pushed.code, pushed.output).toBe(0);
      expect(pushed.output).toContain('remote: -----> Java app detected');
      expect(pushed.output).toContain('remote: -----> Using OpenJDK 17 (system.properties asks for 17)');
      expect(pushed.output).toContain(
        "remote: -----> Maven Central from file:///usr/share/maven-repo (this host's mirror)",
      );
      expect(pushed.output).toContain('remote: -----> Building with Maven: mvn -DskipTests package');
      expect(downloaded(pushed.output)).toBeGreaterThan(0);
      expect(pushed.output).toContain('remote:        Runnable jar: target/java-app-1.0.jar');
      expect(pushed.output).toContain('Default types for Java -> web');
      expect(await served()).toBe('hello java app on Java 17, port 5000 from server.port, v1\n');

      const inside = await slipway.ssh([
        'run',
        'javaapp',
        'command -v javac mvn || echo no JDK here; echo "$JAVA_OPTS"',
      ]);
      expect(inside.code, inside.output).toBe(0);
      expect(inside.stdout).toBe('no JDK here\n-Dfile.encoding=UTF-8\n');
    },
    FIRST_BUILD_MS,
  );

  test(
    'the next push reuses the Maven repository: it downloads nothing',
    async () => {
      await slipway.changeFile(repo, 'src/main/java/example/App.java', 'VERSION = "1"', 'VERSION = "2"');
      const again = await slipway.push(repo);
      expect(again.code, again.output).toBe(0);
      expect(again.output).toMatch(/remote: -----> Using the Maven repository of the last build \(\d+ artifacts\)/);
      expect(downloaded(again.output)).toBe(0);
      expect(await served()).toBe('hello java app on Java 17, port 5000 from server.port, v2\n');
    },
    BUILD_MS,
  );

  test(
    'a dependency from a repository this host cannot reach fails the push, saying so, and the last release serves on',
    async () => {
      const remoteDep = await slipway.appRepo('java-remote-dep', 'javaapp');
      const pushed = await slipway.push(remoteDep, { args: ['--force', 'deploy', 'main'] });
      expect(pushed.code).not.toBe(0);
      expect(pushed.output).toContain(
        'Could not transfer artifact com.example:greeting:pom:1.0 from/to unreachable (https://127.0.0.1:1/maven2)',
      );
      expect(pushed.output).toContain(
        "remote:  !     Maven could not download what the build needs: the repositories it names must be reachable from this host (or mirrored: a settings.xml in the app, or the host's SLIPWAY_MAVEN_MIRROR)",
      );
      expect(await served()).toBe('hello java app on Java 17, port 5000 from server.port, v2\n');
    },
    BUILD_MS,
  );

  test('a java.runtime.version newer than this host’s JDK fails the push before any build, naming both', async () => {
    await slipway.changeFile(repo, 'system.properties', 'java.runtime.version=17', 'java.runtime.version=21');
    const pushed = await slipway.push(repo);
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain(
      "remote:  !     This app needs Java 21 (system.properties java.runtime.version=21), and this host has OpenJDK 17 (Debian's)",
    );
    expect(await served()).toBe('hello java app on Java 17, port 5000 from server.port, v2\n');
  });
});
