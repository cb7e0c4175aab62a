/**
 * Dotted numeric versions as RubyGems and Composer read them: `3.1` is `3.1.0`, up to four
 * parts. The language checks (languages.ts, php.ts) share this comparison and operators.
 */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** Whether `order` (a compareVersions result) satisfies a plain comparison; undefined for any other operator. */
export function holdsComparison(operator: string, order: number): boolean | undefined {
  switch (operator) {
    case '=':
    case '==':
      return order === 0;
    case '!=':
    case '<>':
      return order !== 0;
    case '>=':
      return order >= 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '<':
      return order < 0;
    default:
      return undefined;
  }
}
