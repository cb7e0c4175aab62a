/** Exit codes that scripts written against Dokku rely on. */
export const EXIT_FAILURE = 1;
export const EXIT_APP_MISSING = 20;

/**
 * What kind of failure it is, for callers that answer with more than a message (the HTTP
 * API maps each kind to one status): bad input, a missing thing, a refusal, a clash with the
 * current state (a name taken, a lock held), or something Slipway needs that is not there now.
 */
export type ErrorKind = 'invalid' | 'not_found' | 'forbidden' | 'conflict' | 'unavailable';

/**
 * A failure the user caused or must act on. Its message is shown as ` !     message`
 * and the command exits with `exitCode`; anything else is an internal error. A plain
 * UserError is bad input; the subclasses below say what else went wrong.
 */
export class UserError extends Error {
  readonly kind: ErrorKind = 'invalid';

  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** The thing named does not exist (or, to a caller who may not see it, looks so). */
export class NotFoundError extends UserError {
  override readonly kind = 'not_found';
}

/** The caller may not do this (an admin's key is needed, a token may not…). */
export class ForbiddenError extends UserError {
  override readonly kind = 'forbidden';
}

/** The current state refuses it: a name taken, a lock held, a backup already running. */
export class ConflictError extends UserError {
  override readonly kind = 'conflict';
}

/** Something Slipway needs cannot be reached now (the job queue, the engine); trying later may work. */
export class UnavailableError extends UserError {
  override readonly kind = 'unavailable';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
