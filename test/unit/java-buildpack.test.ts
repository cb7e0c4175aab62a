import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { checkLanguageVersion, detectBuildpack, languageNamed } from '../../src/builder/languages.js';

const javaPack = path.resolve(import.meta.dirname, '../../buildpacks/java');
/**
 * The buildpack runs on the stack image's PATH (Debian's), so it does here: a developer's PATH
 * may put a version manager's shims first (pyenv's python3 runs a dozen shell scripts before
 * Python, 0.5 s of CPU for each jar the buildpack looks into).
 */
const STACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const java = languageNamed('java');

describe('the Java version system.properties asks for, against the stack’s OpenJDK 17', () => {
  test('an older or the same release builds on it; none named is the stack’s', () => {
    expect(checkLanguageVersion(java, {})).toBe('OpenJDK 17');
    expect(checkLanguageVersion(java, { 'system.properties': 'java.runtime.version=17\n' })).toBe(
      'OpenJDK 17 (system.properties asks for 17)',
    );
    expect(
      checkLanguageVersion(java, {
        'system.properties': '# Heroku\nmaven.version=3.9.6\njava.runtime.version = 1.8\n',
      }),
    ).toBe('OpenJDK 17 (system.properties asks for 1.8)');
    expect(checkLanguageVersion(java, { 'system.properties': 'java.runtime.version: 11.0.21\r\n' })).toBe(
      'OpenJDK 17 (system.properties asks for 11.0.21)',
    );
    expect(checkLanguageVersion(java, { 'system.properties': 'java.runtime.version zulu-17.0.9' })).toBe(
      'OpenJDK 17 (system.properties asks for zulu-17.0.9)',
    );
    expect(checkLanguageVersion(java, { 'system.properties': '#java.runtime.version=21\n' })).toBe('OpenJDK 17');
  });

  test('a newer release fails, naming what this host has; a name that is no release is refused', () => {
    expect(() => checkLanguageVersion(java, { 'system.properties': 'java.runtime.version=21\n' })).toThrow(
      "This app needs Java 21 (system.properties java.runtime.version=21), and this host has OpenJDK 17 (Debian's): lower java.runtime.version or build from a Dockerfile",
    );
    expect(() => checkLanguageVersion(java, { 'system.properties': 'java.runtime.version=heroku-21\n' })).toThrow(
      'This app needs Java 21',
    );
    expect(() => checkLanguageVersion(java, { 'system.properties': 'java.runtime.version=latest\n' })).toThrow(
      'Invalid java.runtime.version in system.properties: latest',
    );
  });

  test('Maven and Gradle builds are Java apps; a package.json beside them makes a Node.js app, as on Heroku', () => {
    expect(detectBuildpack(undefined, ['pom.xml'])?.name).toBe('java');
    expect(detectBuildpack(undefined, ['build.gradle.kts', 'index.html'])?.name).toBe('java');
    expect(detectBuildpack(undefined, ['build.gradle', 'package.json'])?.name).toBe('nodejs');
  });
});

/**
 * bin/compile and bin/release run here against fake build tools: `mvn` on the PATH and the
 * app's `gradlew` record their arguments and make the jar a real build would.
 */
describe('what the Java buildpack runs', () => {
  let dir: string;
  let app: string;
  let cache: string;
  let envDir: string;
  let fakeBin: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'java-pack-'));
    [app, cache, envDir, fakeBin] = ['app', 'cache', 'env', 'bin'].map((name) => path.join(dir, name)) as [
      string,
      string,
      string,
      string,
    ];
    for (const d of [app, cache, envDir, fakeBin]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(fakeBin, 'mvn'), fakeTool('target/app-1.0.jar'), { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A build tool that records its arguments (and the settings files it is given), then makes JAR runnable. */
  function fakeTool(jar: string, exit = 0, output = '') {
    return `#!/bin/bash
{ echo "$(basename "$0") $*"; echo "GRADLE_USER_HOME=\${GRADLE_USER_HOME:-}"; [ -z "\${JAVA_TOOL_OPTIONS:-}" ] || echo "JAVA_TOOL_OPTIONS=$JAVA_TOOL_OPTIONS"
  while [ $# -gt 0 ]; do case "$1" in -gs | -s) cat "$2"; echo; shift ;; esac; shift; done; } >> ${JSON.stringify(path.join(dir, 'ran'))}
printf '%b' ${JSON.stringify(output)}
[ ${exit} = 0 ] || exit ${exit}
mkdir -p "$(dirname ${jar})"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\\nMain-Class: example.App\\n")' ${jar}
`;
  }

  function compile(
    files: Record<string, string>,
    config: Record<string, string> = {},
    env: Record<string, string> = {},
  ) {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(app, name), content);
    for (const [name, value] of Object.entries(config)) fs.writeFileSync(path.join(envDir, name), value);
    const result = spawnSync(path.join(javaPack, 'bin/compile'), [app, cache, envDir], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${fakeBin}:${STACK_PATH}`,
        SLIPWAY_LANGUAGE_SUMMARY: 'OpenJDK 17',
        SSL_CERT_FILE: '',
        ...env,
      },
    });
    const ran = fs.existsSync(path.join(dir, 'ran')) ? fs.readFileSync(path.join(dir, 'ran'), 'utf8') : '';
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, ran };
  }

  const release = () =>
    execFileSync(path.join(javaPack, 'bin/release'), [app], { encoding: 'utf8', env: { PATH: STACK_PATH } });
  const repository = () => path.join(cache, 'maven/repository');

  test('Maven: the stack’s mvn packages without tests into the cached repository, even when the app has mvnw', () => {
    fs.writeFileSync(path.join(app, 'mvnw'), '#!/bin/sh\necho the wrapper would download Maven; exit 1\n', {
      mode: 0o755,
    });
    const built = compile({ 'pom.xml': '<project/>' });
    expect(built.code, built.stderr).toBe(0);
    expect(built.ran).toBe(
      `mvn -B -ntp -Dstyle.color=never -Dmaven.repo.local=${repository()} -DskipTests package\nGRADLE_USER_HOME=\n`,
    );
    expect(built.stdout).toContain('-----> Using OpenJDK 17\n-----> Building with Maven: mvn -DskipTests package\n');
    expect(built.stdout).toContain('       Runnable jar: target/app-1.0.jar\n');
    expect(release()).toBe(
      '---\ndefault_process_types:\n  web: java -Dserver.port=$PORT $JAVA_OPTS -jar target/app-1.0.jar\n',
    );
    expect(fs.existsSync(path.join(app, '.profile.d/java.sh'))).toBe(true);
  });

  test('Maven: the host’s mirror stands in for Central, and the app’s settings.xml, goals and options are Maven’s', () => {
    const built = compile(
      { 'pom.xml': '<project/>', 'settings.xml': '<settings><!-- the app’s --></settings>' },
      { MAVEN_CUSTOM_GOALS: 'clean dependency:list install', MAVEN_CUSTOM_OPTS: '-DskipTests -Pheroku' },
      { SLIPWAY_MAVEN_MIRROR: 'file:///usr/share/maven-repo' },
    );
    expect(built.code, built.stderr).toBe(0);
    const [command] = built.ran.split('\n');
    expect(command).toMatch(
      new RegExp(
        `^mvn -B -ntp -Dstyle.color=never -Dmaven.repo.local=${repository()} -gs \\S+ -s settings.xml -DskipTests -Pheroku clean dependency:list install$`,
      ),
    );
    expect(built.ran).toContain(
      '<repository><id>central</id><url>file:///usr/share/maven-repo</url><releases><checksumPolicy>ignore</checksumPolicy>',
    );
    expect(built.ran).toContain('<settings><!-- the app’s --></settings>\n');
    expect(built.stdout).toContain("-----> Maven Central from file:///usr/share/maven-repo (this host's mirror)");
  });

  test('Maven: a dependency that cannot be downloaded says so; another failure is the build’s', () => {
    const unreachable =
      '[ERROR] Failed to execute goal on project app: Could not resolve dependencies for project example:app:jar:1.0\n';
    fs.writeFileSync(path.join(fakeBin, 'mvn'), fakeTool('target/app.jar', 1, unreachable), { mode: 0o755 });
    const failed = compile({ 'pom.xml': '<project/>' });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`       ${unreachable}`);
    expect(failed.stderr).toBe(
      " !     Maven could not download what the build needs: the repositories it names must be reachable from this host (or mirrored: a settings.xml in the app, or the host's SLIPWAY_MAVEN_MIRROR)\n",
    );

    fs.writeFileSync(path.join(fakeBin, 'mvn'), fakeTool('target/app.jar', 1, '[ERROR] COMPILATION ERROR\n'), {
      mode: 0o755,
    });
    const broken = compile({});
    expect(broken.stderr).toBe(' !     The Maven build failed\n');
  });

  test('Gradle: the app’s wrapper builds without checks, with Gradle’s home in the cache; a stage task or GRADLE_TASK wins', () => {
    const gradlew = fakeTool('build/libs/app-0.1.jar');
    fs.writeFileSync(path.join(app, 'gradlew'), gradlew); // not executable in the commit: made so
    const built = compile({ 'build.gradle': "plugins { id 'java' }\n" });
    expect(built.code, built.stderr).toBe(0);
    expect(built.ran).toBe(`gradlew --no-daemon build -x check\nGRADLE_USER_HOME=${cache}/gradle\n`);
    expect(built.stdout).toContain("-----> Building with the app's Gradle wrapper: ./gradlew build -x check\n");

    fs.rmSync(path.join(dir, 'ran'));
    expect(compile({ 'build.gradle': "tasks.register('stage') { dependsOn 'build' }\n" }).ran).toContain(
      'gradlew --no-daemon stage\n',
    );
    fs.rmSync(path.join(dir, 'ran'));
    expect(compile({}, { GRADLE_TASK: 'bootJar' }).ran).toContain('gradlew --no-daemon bootJar\n');
  });

  test('the host’s CA bundle is the trust store of Maven and Gradle, made once while the bundle is the same', () => {
    const hostBundle = fs.readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8');
    const twoCertificates = [...hostBundle.matchAll(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g)]
      .slice(0, 2)
      .map((m) => m[0])
      .join('');
    const bundle = path.join(dir, 'host-ca.crt');
    fs.writeFileSync(bundle, twoCertificates);
    const built = compile({ 'pom.xml': '<project/>' }, {}, { SSL_CERT_FILE: bundle });
    expect(built.code, built.stderr).toBe(0);
    const store = /-Djavax\.net\.ssl\.trustStore=(\S+)/.exec(built.ran)?.[1] ?? '';
    expect(path.dirname(store)).toBe(path.join(cache, 'java-trust'));
    expect(built.ran).toContain(
      `JAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore=${store} -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit\n`,
    );
    const listed = execFileSync('keytool', ['-list', '-keystore', store, '-storepass', 'changeit'], {
      encoding: 'utf8',
    });
    expect(listed.match(/trustedCertEntry/g)).toHaveLength(2);

    const made = fs.statSync(store).mtimeMs;
    expect(compile({}, {}, { SSL_CERT_FILE: bundle }).code).toBe(0);
    expect(fs.statSync(store).mtimeMs).toBe(made);
  });

  test('Gradle: an app without its wrapper fails, saying what to commit', () => {
    const built = compile({ 'build.gradle.kts': 'plugins { java }\n' });
    expect(built.code).toBe(1);
    expect(built.stderr).toBe(
      " !     A Gradle build runs the app's Gradle wrapper, and there is no gradlew: commit gradlew and gradle/wrapper/ (made by `gradle wrapper`)\n",
    );
  });

  test('the web process runs the one runnable jar: a Spring Boot jar, not its plain jar; two runnable jars make none', () => {
    const zip = (jar: string, manifest: string) =>
      execFileSync(
        'python3',
        [
          '-c',
          'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").writestr("META-INF/MANIFEST.MF", sys.argv[2])',
          path.join(app, jar),
          manifest,
        ],
        { env: { PATH: STACK_PATH } },
      );
    fs.mkdirSync(path.join(app, 'build/libs'), { recursive: true });
    const boot =
      'Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.JarLauncher\nStart-Class: demo.App\n';
    zip('build/libs/demo-0.0.1-SNAPSHOT.jar', boot);
    zip('build/libs/demo-0.0.1-SNAPSHOT-plain.jar', 'Manifest-Version: 1.0\n');
    zip('build/libs/demo-0.0.1-SNAPSHOT-sources.jar', boot);
    fs.writeFileSync(path.join(app, 'build/libs/broken.jar'), 'not a zip');
    expect(release()).toBe(
      '---\ndefault_process_types:\n  web: java -Dserver.port=$PORT $JAVA_OPTS -jar build/libs/demo-0.0.1-SNAPSHOT.jar\n',
    );
    zip('build/libs/tool.jar', 'Main-Class: tool.Main\n');
    expect(release()).toBe('---\ndefault_process_types: {}\n');
  });
});

describe('JAVA_OPTS at run time (.profile.d/java.sh)', () => {
  const profile = path.join(javaPack, 'lib/profile.sh');

  /** JAVA_OPTS after the profile ran in a container whose cgroup files are FILES (none: no limit files). */
  function javaOpts(files: Record<string, string>, javaOptsBefore?: string) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-'));
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), content);
    }
    const script = `. ${JSON.stringify(profile)}; echo "[$(java_memory_opts ${JSON.stringify(root)})]"; echo "[$JAVA_OPTS]"`;
    const env: NodeJS.ProcessEnv = { PATH: STACK_PATH };
    if (javaOptsBefore !== undefined) env.JAVA_OPTS = javaOptsBefore;
    // --norc: with `-c`, no SHLVL and its stdin a socket (node's pipes are), bash takes itself
    // for a shell rshd started and runs ~/.bashrc first (seconds, with pyenv's init in it).
    const out = execFileSync('bash', ['--norc', '-c', script], { encoding: 'utf8', env });
    fs.rmSync(root, { recursive: true });
    return out.trim().split('\n');
  }

  test('the heap is a share of the container’s memory limit, as Heroku’s of the dyno’s; no limit, no sizing', () => {
    expect(javaOpts({ 'memory.max': '536870912\n' })[0]).toBe(
      '[-XX:MaxRAMPercentage=60.0 -Xss512k -XX:CICompilerCount=2]',
    );
    expect(javaOpts({ 'memory.max': '4294967296\n' })[0]).toBe('[-XX:MaxRAMPercentage=75.0]');
    expect(javaOpts({ 'memory.max': 'max\n' })[0]).toBe('[]');
    expect(javaOpts({ 'memory/memory.limit_in_bytes': '1073741824\n' })[0]).toBe(
      '[-XX:MaxRAMPercentage=60.0 -Xss512k -XX:CICompilerCount=2]',
    );
    expect(javaOpts({ 'memory/memory.limit_in_bytes': '9223372036854771712\n' })[0]).toBe('[]');
    expect(javaOpts({})[0]).toBe('[]');
  });

  test('the app’s JAVA_OPTS are kept, after the defaults, and replace them when they size the heap', () => {
    const [, kept] = javaOpts({}, '-Dapp.mode=blue');
    expect(kept).toMatch(/^\[(-XX:\S+ )*-Dfile.encoding=UTF-8 -Dapp.mode=blue\]$/);
    expect(javaOpts({}, '-Xmx200m -Dapp.mode=blue')[1]).toBe('[-Xmx200m -Dapp.mode=blue]');
    expect(javaOpts({}, '-XX:MaxRAMPercentage=90')[1]).toBe('[-XX:MaxRAMPercentage=90]');
  });
});
