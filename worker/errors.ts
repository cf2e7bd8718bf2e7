import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The closed set of error codes the API answers with, and the HTTP status of each. */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  length_required: 411,
  payload_too_large: 413,
  range_not_satisfiable: 416,
  insufficient_storage: 507,
  clock_skew: 401,
  bad_signature: 401,
  replayed_nonce: 401,
  unknown_key: 401,
  revoked_key: 401,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type ErrorBody = { error: { code: ErrorCode; message: string; details?: unknown } };

/** A failure the client can act on; `onError` turns it into `{ error: { code, message } }`. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Headers the answer needs besides the body (WWW-Authenticate on a 401, Allow on a 405). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { error: { code: this.code, message: this.message } };
    if (this.details !== undefined) body.error.details = this.details;
    return body;
  }
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
