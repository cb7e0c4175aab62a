import { expect } from 'vitest';

/**
 * vitest's asymmetric matchers, typed `unknown` instead of `any`: placed as a property of an
 * expected object, an `any` is refused by lint (it would switch type checks off there), and
 * `unknown` says what it is, a value only the assertion looks into.
 */
export const stringContaining = (text: string): unknown => expect.stringContaining(text);
export const stringMatching = (pattern: string | RegExp): unknown => expect.stringMatching(pattern);
export const objectContaining = (object: object): unknown => expect.objectContaining(object);
export const anyNumber = (): unknown => expect.any(Number);
