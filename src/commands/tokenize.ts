import { UserError } from '../core/errors.js';

/**
 * Splits an SSH command line into words with POSIX shell quoting: single quotes are literal,
 * double quotes group and allow \" \\ \$ \` escapes, a bare backslash escapes the next
 * character. Nothing is expanded and no shell ever sees the line, so `$(…)`, `;` or `|` are
 * just characters of a word.
 */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UserError('Unterminated quote in command');
  if (inWord) words.push(word);
  return words;
}
