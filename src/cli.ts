import { errorMessage } from './core/errors.js';
import { runInDaemon } from './host/client.js';
import { terminalType, type Terminal } from './model/terminal.js';

/**
 * `slipway serve` runs the daemon, `slipway worker` an extra deploy worker; anything else
 * is a Slipway command run on the host as the admin (`slipway ssh-keys:add admin key.pub`):
 * by the running daemon when there is one (nothing more is loaded here), else in this process.
 */
async function main(argv: string[]): Promise<number> {
  const [first] = argv;
  if (first !== 'serve' && first !== 'worker') {
    const code = await runInDaemon(argv);
    if (code !== undefined) return code;
  }
  // Modules load when needed: the daemon's (SSH and HTTP servers, the queue's worker) only for
  // it, the commands only when no daemon runs them.
  const settings = (await import('./settings.js')).loadSettings();
  if (first === 'serve') return (await import('./daemon.js')).serve(settings).then(() => -1, exitNow);
  if (first === 'worker') return (await import('./daemon.js')).work(settings).then(() => -1, exitNow);
  const [{ runCommand }, { streamOutput }, { Platform }] = await Promise.all([
    import('./commands/index.js'),
    import('./core/output.js'),
    import('./platform.js'),
  ]);
  const platform = new Platform(settings);
  try {
    return await runCommand(
      {
        platform,
        caller: { name: 'root', isAdmin: true, host: true },
        out: streamOutput(process.stdout, process.stderr),
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        local: true,
        terminal: localTerminal(),
        signal: new AbortController().signal,
      },
      argv,
    );
  } finally {
    process.stdin.destroy(); // a process that read it would otherwise keep us running
    await platform.close();
  }
}

/**
 * A daemon that cannot start (its port is taken, nginx will not run, another daemon has the
 * instance) says why and exits non-zero at once, rather than living on half started.
 */
function exitNow(error: unknown): never {
  process.stderr.write(` !     slipway: ${errorMessage(error)}\n`);
  process.exit(1);
}

/** `slipway enter app` at a terminal on the host: that terminal, raw while a process has it. */
function localTerminal(): Terminal | undefined {
  const { stdin, stdout } = process;
  if (!stdin.isTTY || !stdout.isTTY) return undefined;
  return {
    term: terminalType(process.env.TERM),
    get cols() {
      return stdout.columns;
    },
    get rows() {
      return stdout.rows;
    },
    onResize: (listener) => void stdout.on('resize', () => listener({ cols: stdout.columns, rows: stdout.rows })),
    takeOver() {
      stdin.setRawMode(true);
      return () => stdin.setRawMode(false);
    },
  };
}

// Output piped into a reader that stopped (`slipway help | head`) ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code; // -1: a daemon that keeps running
  },
  (error) => {
    process.stderr.write(` !     ${errorMessage(error)}\n`);
    process.exitCode = 1;
  },
);
