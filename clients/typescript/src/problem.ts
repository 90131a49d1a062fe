import type { components } from "./schema.js";

export type FieldError = components["schemas"]["FieldError"];

/** The problem type a 401 carries when the access token itself is refused
 * (expired, blacklisted, its session ended): only this one is worth a refresh. */
export const UNAUTHENTICATED = "urn:auth:problem:unauthenticated";

/**
 * Every error the client throws: an RFC 9457 problem as the service wrote
 * it (`type`, `title`, `status`, `detail`, `errors[]`), or one made up for
 * an answer that is not a problem document (`about:blank`) or for no answer
 * at all (`status` 0: the network failed).
 */
export class AuthProblem extends Error {
  override readonly name = "AuthProblem";
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The invalid fields (422), or the taken one (409). */
  readonly errors: readonly FieldError[];
  /** Seconds to wait, from `Retry-After` (429, some 503s). */
  readonly retryAfter: number | undefined;

  constructor(fields: {
    type?: string;
    title: string;
    status: number;
    detail?: string;
    errors?: readonly FieldError[] | null;
    retryAfter?: number | undefined;
  }) {
    super(fields.detail ? `${fields.title}: ${fields.detail}` : fields.title);
    this.type = fields.type ?? "about:blank";
    this.title = fields.title;
    this.status = fields.status;
    this.detail = fields.detail ?? "";
    this.errors = fields.errors ?? [];
    this.retryAfter = fields.retryAfter;
  }

  /** The messages for one field, e.g. `problem.field("password")`. */
  field(name: string): string[] {
    return this.errors.filter((e) => e.field === name).map((e) => e.message);
  }

  /** The messages by field: `{ second_login: ["already taken"] }`. */
  get byField(): Record<string, string[]> {
    const fields: Record<string, string[]> = {};
    for (const error of this.errors) (fields[error.field] ??= []).push(error.message);
    return fields;
  }

  /** Whether the access token itself was refused (a refresh may help). */
  get isUnauthenticated(): boolean {
    return this.status === 401 && this.type === UNAUTHENTICATED;
  }

  /** An answer that is not a success, read into a problem. `body` is what
   * openapi-fetch parsed (JSON when it could, else text). */
  static fromResponse(response: Response, body: unknown): AuthProblem {
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    if (isProblemBody(body)) {
      return new AuthProblem({
        type: body.type,
        title: body.title,
        status: typeof body.status === "number" ? body.status : response.status,
        detail: body.detail,
        errors: Array.isArray(body.errors) ? body.errors.filter(isFieldError) : [],
        retryAfter,
      });
    }
    return new AuthProblem({
      title: response.statusText || `Error ${response.status}`,
      status: response.status,
      detail: `The service answered ${response.status}.`,
      retryAfter,
    });
  }

  /** No answer: the request did not reach the service or its answer was lost. */
  static network(cause: unknown): AuthProblem {
    const problem = new AuthProblem({
      title: "Network error",
      status: 0,
      detail: "The service could not be reached.",
    });
    (problem as { cause?: unknown }).cause = cause;
    return problem;
  }
}

/** `Retry-After` in seconds; an HTTP date becomes the seconds until it. */
function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

interface ProblemBody {
  type: string;
  title: string;
  status?: unknown;
  detail: string;
  errors?: unknown;
}

function isProblemBody(body: unknown): body is ProblemBody {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.type === "string" && typeof b.title === "string" && typeof (b.detail ?? "") === "string";
}

function isFieldError(value: unknown): value is FieldError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.field === "string" && typeof v.message === "string";
}
