import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { isRunning } from '../../src/core/proc.js';
import { eventually, run } from './slipway.js';

const PID_FILE = '/var/run/docker.pid';
const hasSystemd = () => fs.existsSync('/run/systemd/system');

/**
 * Restarts the Docker engine the way a host would (an upgrade, a crash and a unit restart):
 * through systemd when the host has it, else by stopping the dockerd that scripts/setup
 * started and starting another the same way. Without live-restore every container stops
 * with it; those Docker brings back get new addresses.
 */
export async function restartDockerd(): Promise<void> {
  if (hasSystemd()) {
    const restarted = await run('systemctl', ['restart', 'docker']);
    if (restarted.code !== 0) throw new Error(restarted.output);
  } else {
    const pid = Number(fs.readFileSync(PID_FILE, 'utf8'));
    process.kill(pid, 'SIGTERM');
    // A zombie counts as gone: nothing here reaps the setup script's orphans.
    await eventually(
      async () => isRunning(pid),
      (running) => !running,
      60_000,
    );
    const log = fs.openSync('/var/log/slipway-dockerd.log', 'a');
    spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
    fs.closeSync(log);
  }
  await eventually(
    () => run('docker', ['info']),
    (info) => info.code === 0,
    60_000,
  );
}
