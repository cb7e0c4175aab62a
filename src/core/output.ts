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
  /** Dokku's `--quiet` was given: a table leaves out its header lines too (`proctype: qty`). */
  readonly quiet?: boolean;
}

/** Dokku's `--quiet`: the same output without its `----->` and `=====>` headers (errors stay). */
export function quietOutput(output: Output): Output {
  return {
    out: (line) => void (/^(-----|=====)> /.test(line) || output.out(line)),
    err: (line) => output.err(line),
    quiet: true,
  };
}

/**
 * Rows as Dokku's columnize prints them: each column but the last padded to its widest cell,
 * two spaces between columns, every line after `prefix`.
 */
export function columnize(rows: string[][], prefix = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map(
    (row) => prefix + row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  '),
  );
}

export function streamOutput(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Output {
  return {
    out: (line) => void stdout.write(line + '\n'),
    err: (line) => void stderr.write(line + '\n'),
  };
}
