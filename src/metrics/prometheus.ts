/**
 * Prometheus's text exposition format (version 0.0.4): what /metrics answers. Families are
 * data; this file alone knows the syntax (HELP and TYPE lines, label escaping, +Inf).
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Sample {
  /** Appended to the family's name: `_bucket`, `_sum`, `_count` for a histogram. */
  suffix?: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: Sample[];
}

export function renderPrometheus(families: Family[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples)
      lines.push(`${family.name}${sample.suffix ?? ''}${labelsText(sample.labels)} ${valueText(sample.value)}`);
  }
  return lines.join('\n') + '\n';
}

function labelsText(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(
    ([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * A histogram's samples from per-bucket counts (each request in one bucket, as nginx counts
 * them): Prometheus's buckets are cumulative, and `+Inf` equals the count.
 */
export function histogramSamples(
  labels: Record<string, string>,
  bounds: readonly string[],
  byBucket: Record<string, number>,
  sum: number,
): Sample[] {
  let seen = 0;
  const buckets = bounds.map((le) => {
    seen += byBucket[le] ?? 0;
    return { suffix: '_bucket', labels: { ...labels, le }, value: seen };
  });
  return [...buckets, { suffix: '_sum', labels, value: sum }, { suffix: '_count', labels, value: seen }];
}
