// A stand-in for the auth service, as far as the client's unit tests need
// it: cookie mode's cookies and CSRF rule, bearer tokens, refresh-token
// rotation that ends the session on a second use, and RFC 9457 problems.
// The live service is tested by tests/client (no fakes there).
import type { Locks } from "../src/index.js";

export interface Seen {
  method: string;
  path: string;
  headers: Headers;
  body: unknown;
}

const UNAUTHENTICATED = {
  type: "urn:auth:problem:unauthenticated",
  title: "Unauthenticated",
  status: 401,
  detail: "The access token is missing, invalid or expired.",
};

export class FakeService {
  /** The browser's cookie jar (shared by every tab of the origin). */
  readonly jar = new Map<string, string>();
  readonly seen: Seen[] = [];
  refreshes = 0;
  /** Milliseconds each answer takes (so that calls overlap). */
  delay = 5;
  /** The session ends just after a refresh (an admin, a password change
   * elsewhere): the new access token is refused too. */
  endAfterRefresh = false;
  private access = new Set<string>();
  private refresh: string | null = null;
  private serial = 0;
  private sessionEnded = false;

  /** `document.cookie` as a page sees it: only the readable CSRF cookie. */
  pageCookies = (): string => (this.jar.has("csrf_token") ? `csrf_token=${this.jar.get("csrf_token")}` : "");

  /** What the service would answer; in cookie mode it also sets the jar,
   * as the browser would. */
  fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/api\/v1/, "");
    const text = await request.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    this.seen.push({ method: request.method, path, headers: new Headers(request.headers), body });
    await new Promise((resolve) => setTimeout(resolve, this.delay));
    const cookieMode = request.headers.get("x-auth-mode") === "cookie";
    const bearer = request.headers.get("authorization")?.replace(/^Bearer /, "");
    const presented = bearer ?? (cookieMode ? this.jar.get("access_token") : undefined);
    const byCookie = bearer === undefined && presented !== undefined;
    const changes = request.method !== "GET";
    const csrfOk = request.headers.get("x-csrf-token") === this.jar.get("csrf_token");

    const route = `${request.method} ${path}`;
    switch (route) {
      case "POST /auth/login": {
        const { password } = body as { password: string };
        if (password !== "right") {
          return problem(401, "urn:auth:problem:invalid-credentials", "Invalid credentials", "Wrong login or password.");
        }
        return this.pair(cookieMode, 200);
      }
      case "POST /auth/register":
        return problem(422, "urn:auth:problem:validation", "Invalid request", "Some fields are invalid.", {
          errors: [
            { field: "phone", message: "not a phone number" },
            { field: "password", message: "at least 8 characters" },
            { field: "phone", message: "not a mobile number" },
          ],
        });
      case "POST /auth/otp/request":
        return problem(429, "urn:auth:problem:rate-limited", "Too many requests", "Try again in 7 s.", {
          headers: { "retry-after": "7" },
        });
      case "POST /auth/refresh": {
        // As the service: a body must name the token; without one, the cookie.
        if (body !== undefined && !(body as { refresh_token?: string }).refresh_token) {
          return problem(422, "urn:auth:problem:validation", "Invalid request", "", {
            errors: [{ field: "refresh_token", message: "is required" }],
          });
        }
        const token = (body as { refresh_token?: string } | undefined)?.refresh_token ?? this.jar.get("refresh_token");
        if (token === undefined) return problem(401, "urn:auth:problem:invalid-refresh-token", "Invalid refresh token", "");
        if (!(body as { refresh_token?: string } | undefined)?.refresh_token && !csrfOk) return csrfRefused();
        if (this.sessionEnded || token !== this.refresh) {
          // A second use of a rotated token: the whole session ends.
          this.sessionEnded = true;
          this.access.clear();
          return problem(401, "urn:auth:problem:invalid-refresh-token", "Invalid refresh token", "");
        }
        this.refreshes += 1;
        const pair = this.pair(cookieMode || body === undefined, 200);
        if (this.endAfterRefresh) this.sessionEnded = true;
        return pair;
      }
      default:
        break;
    }
    // Everything else needs an access token (and, by cookie, CSRF on changes).
    if (presented === undefined || !this.access.has(presented) || this.sessionEnded) {
      return problem(401, UNAUTHENTICATED.type, UNAUTHENTICATED.title, UNAUTHENTICATED.detail);
    }
    if (byCookie && changes && !csrfOk) return csrfRefused();
    switch (route) {
      case "GET /auth/me":
        return json(200, { id: "u1", second_login: "ivan", contacts: [], roles: ["customer"], organizations: [], profile: {}, created_at: "2026-01-01T00:00:00Z" });
      case "GET /auth/sessions":
        return json(200, { sessions: [] });
      case "POST /auth/password":
        return new Response(null, { status: 204 });
      case "POST /auth/mfa/totp/confirm":
        return problem(401, "urn:auth:problem:invalid-code", "Invalid code", "That code is wrong.");
      case "POST /auth/logout":
        this.access.clear();
        this.jar.clear();
        return new Response(null, { status: 204 });
      case "GET /users":
        return new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway", headers: { "content-type": "text/html" } });
      default:
        return problem(404, "about:blank", "Not found", route);
    }
  };

  /** The access token expires (the browser drops its cookie at Max-Age). */
  expireAccess() {
    this.access.clear();
    this.jar.delete("access_token");
  }

  private pair(cookieMode: boolean, status: number): Response {
    this.serial += 1;
    const access = `access-${this.serial}`;
    const refresh = `refresh-${this.serial}`;
    this.access.add(access);
    this.refresh = refresh;
    if (cookieMode) {
      this.jar.set("access_token", access);
      this.jar.set("refresh_token", refresh);
      this.jar.set("csrf_token", `csrf-${this.serial}`);
      return json(status, { token_type: "bearer", expires_in: 1800 });
    }
    return json(status, { access_token: access, refresh_token: refresh, token_type: "bearer", expires_in: 1800 });
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

function problem(
  status: number,
  type: string,
  title: string,
  detail: string,
  extra: { errors?: unknown[]; headers?: Record<string, string> } = {},
): Response {
  const body = { type, title, status, detail, ...(extra.errors ? { errors: extra.errors } : {}) };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", ...(extra.headers ?? {}) },
  });
}

function csrfRefused(): Response {
  return problem(403, "urn:auth:problem:csrf", "CSRF check failed", "Send X-CSRF-Token.");
}

/** `navigator.locks` for tabs in one process: one holder at a time per name. */
export function sharedLocks(): Locks & { held: number } {
  const tails = new Map<string, Promise<unknown>>();
  const locks = {
    held: 0,
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const run = (tails.get(name) ?? Promise.resolve()).then(async () => {
        locks.held += 1;
        try {
          return await callback();
        } finally {
          locks.held -= 1;
        }
      });
      tails.set(name, run.catch(() => undefined));
      return run;
    },
  };
  return locks;
}
