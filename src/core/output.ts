/** Dokku's output conventions (`-----> ` step, `=====> ` section, 7-space detail, ` !     ` error), shared by commands and deploy logs. */
export const format = {
  step: (message: string) => `-----> ${message}`,
  section: (message: string) => `=====> ${message}`,
  detail: (message: string) => `       ${message}`,
  error: (message: string) => ` !     ${message}`,
};

/** Where a command writes: stdout lines and stderr lines. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Dokku's `--quiet`: the same output without its `----->` and `=====>` headers (errors stay). */
export function quietOutput(output: Output): Output {
  return { out: (line) => void (/^(-----|=====)> /.test(line) || output.out(line)), err: (line) => output.err(line) };
}

export function streamOutput(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Output {
  return {
    out: (line) => void stdout.write(line + '\n'),
    err: (line) => void stderr.write(line + '\n'),
  };
}
