/** Exit codes that scripts written against Dokku rely on. */
export const EXIT_FAILURE = 1;
export const EXIT_APP_MISSING = 20;

/**
 * A failure the user caused or must act on. Its message is shown as ` !     message`
 * and the command exits with `exitCode`; anything else is an internal error.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
