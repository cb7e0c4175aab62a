import type { ServerChannel } from 'ssh2';

/** exit-status must go before end(): end() closes the channel and a later status is dropped. */
export function finish(channel: ServerChannel, code: number, message?: string): void {
  if (message) channel.stderr.write(message + '\n');
  channel.exit(code);
  channel.end();
}
