import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { AuthProblem, createAuthClient, memoryStorage, type AuthClientOptions, type AuthEvent } from "../src/index.js";
import { FakeService, sharedLocks } from "./fake-service.js";

const BASE = "http://auth.test/api/v1";

/** A tab of one browser: the service's cookie jar, the tabs' lock and channel. */
function tab(service: FakeService, shared: { channel: string; locks: ReturnType<typeof sharedLocks> }, extra: Partial<AuthClientOptions> = {}) {
  return createAuthClient({
    baseUrl: BASE,
    mode: "cookie",
    fetch: service.fetch,
    cookies: service.pageCookies,
    channel: shared.channel,
    locks: shared.locks,
    ...extra,
  });
}

function browser() {
  return { service: new FakeService(), shared: { channel: `test-${randomUUID()}`, locks: sharedLocks() } };
}

function events(client: ReturnType<typeof createAuthClient>): AuthEvent[] {
  const seen: AuthEvent[] = [];
  client.subscribe((event) => seen.push(event));
  return seen;
}

/** Lets BroadcastChannel messages arrive. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("one refresh", () => {
  it("20 concurrent calls on an expired token (cookie mode): exactly one refresh, every call answered", async () => {
    const { service, shared } = browser();
    const client = tab(service, shared);
    await client.login({ login: "ivan", password: "right" });
    service.expireAccess();
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.me()));
    assert.equal(service.refreshes, 1);
    assert.equal(answers.length, 20);
    assert.ok(answers.every((me) => me.second_login === "ivan"));
    // 20 refused, 1 refresh, 20 tried again.
    assert.equal(service.seen.filter((s) => s.path === "/auth/me").length, 40);
    client.close();
  });

  it("20 concurrent calls on an expired token (token mode): exactly one refresh, the new pair kept", async () => {
    const service = new FakeService();
    const storage = memoryStorage();
    const client = createAuthClient({ baseUrl: BASE, mode: "token", storage, fetch: service.fetch, channel: false });
    await client.login({ login: "ivan", password: "right" });
    const before = storage.getItem("auth-client.tokens");
    service.expireAccess();
    await Promise.all(Array.from({ length: 20 }, () => client.sessions()));
    assert.equal(service.refreshes, 1);
    assert.notEqual(storage.getItem("auth-client.tokens"), before);
    const refresh = service.seen.find((s) => s.path === "/auth/refresh");
    assert.match((refresh?.body as { refresh_token: string }).refresh_token, /^refresh-1$/);
  });

  it("two tabs, each with 10 calls, whose token expires at once: one refresh between them", async () => {
    const { service, shared } = browser();
    const a = tab(service, shared);
    const b = tab(service, shared);
    await a.login({ login: "ivan", password: "right" });
    service.expireAccess();
    const calls = [...Array.from({ length: 10 }, () => a.me()), ...Array.from({ length: 10 }, () => b.me())];
    await Promise.all(calls);
    assert.equal(service.refreshes, 1);
    assert.equal(a.status, "signed-in");
    assert.equal(b.status, "signed-in");
    a.close();
    b.close();
  });

  it("a refused refresh signs out here and in the other tab, once", async () => {
    const { service, shared } = browser();
    const a = tab(service, shared);
    const b = tab(service, shared);
    const seenByA = events(a);
    const seenByB = events(b);
    await a.login({ login: "ivan", password: "right" });
    await settle();
    // The refresh cookie was used elsewhere: the service ends the session.
    service.jar.set("refresh_token", "stolen-and-rotated");
    service.expireAccess();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => a.me()));
    await settle();
    assert.ok(results.every((r) => r.status === "rejected" && (r.reason as AuthProblem).status === 401));
    assert.equal(service.seen.filter((s) => s.path === "/auth/refresh").length, 1);
    assert.deepEqual(
      seenByA.filter((e) => e.type === "signed-out"),
      [{ type: "signed-out", remote: false }],
    );
    assert.deepEqual(
      seenByB.filter((e) => e.type === "signed-out"),
      [{ type: "signed-out", remote: true }],
    );
    assert.equal(b.status, "signed-out");
    // Calls after that do not present the refused refresh token again.
    await assert.rejects(a.me(), AuthProblem);
    assert.equal(service.seen.filter((s) => s.path === "/auth/refresh").length, 1);
    a.close();
    b.close();
  });

  it("a 401 after a refresh signs out here and in the other tab, once", async () => {
    const { service, shared } = browser();
    const a = tab(service, shared);
    const b = tab(service, shared);
    const seenByB = events(b);
    await a.login({ login: "ivan", password: "right" });
    await settle();
    service.endAfterRefresh = true;
    service.expireAccess();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => a.me()));
    await settle();
    assert.equal(service.refreshes, 1);
    assert.ok(results.every((r) => r.status === "rejected" && (r.reason as AuthProblem).isUnauthenticated));
    assert.equal(a.status, "signed-out");
    assert.deepEqual(
      seenByB.filter((e) => e.type === "signed-out"),
      [{ type: "signed-out", remote: true }],
    );
    a.close();
    b.close();
  });

  it("a sign-in in one tab is told to the other", async () => {
    const { service, shared } = browser();
    const a = tab(service, shared);
    const b = tab(service, shared);
    const seenByB = events(b);
    await a.login({ login: "ivan", password: "right" });
    await settle();
    assert.deepEqual(seenByB, [{ type: "signed-in", remote: true }]);
    assert.equal(b.status, "signed-in");
    await b.logout();
    await settle();
    assert.equal(a.status, "signed-out");
    a.close();
    b.close();
  });

  it("no refresh for a 401 that refuses a code, nor for a wrong password, nor signed out", async () => {
    const { service, shared } = browser();
    const client = tab(service, shared);
    await assert.rejects(client.login({ login: "ivan", password: "wrong" }), (p: AuthProblem) => p.status === 401);
    // Never signed in: no CSRF cookie, nothing to refresh with.
    await assert.rejects(client.me(), (p: AuthProblem) => p.isUnauthenticated);
    await client.login({ login: "ivan", password: "right" });
    await assert.rejects(client.confirmTotp("000000"), (p: AuthProblem) => p.type === "urn:auth:problem:invalid-code");
    assert.equal(service.seen.filter((s) => s.path === "/auth/refresh").length, 0);
    assert.equal(client.status, "signed-in");
    client.close();
  });
});

describe("AuthProblem", () => {
  it("a problem's fields, and errors[] by field", async () => {
    const client = createAuthClient({ baseUrl: BASE, mode: "token", fetch: new FakeService().fetch, channel: false });
    const problem = await client
      .register({ second_login: "ivan", phone: "123", password: "x", group_names: ["customer"], interface: "customer_app" })
      .then(
        () => assert.fail("registered"),
        (error: unknown) => error,
      );
    assert.ok(problem instanceof AuthProblem);
    assert.ok(problem instanceof Error);
    assert.equal(problem.status, 422);
    assert.equal(problem.type, "urn:auth:problem:validation");
    assert.equal(problem.title, "Invalid request");
    assert.equal(problem.detail, "Some fields are invalid.");
    assert.equal(problem.errors.length, 3);
    assert.deepEqual(problem.field("phone"), ["not a phone number", "not a mobile number"]);
    assert.deepEqual(problem.byField, {
      phone: ["not a phone number", "not a mobile number"],
      password: ["at least 8 characters"],
    });
    assert.equal(problem.retryAfter, undefined);
    assert.equal(problem.message, "Invalid request: Some fields are invalid.");
  });

  it("retryAfter from a 429's Retry-After", async () => {
    const client = createAuthClient({ baseUrl: BASE, mode: "token", fetch: new FakeService().fetch, channel: false });
    await assert.rejects(client.requestCode({ phone: "+79123456789", purpose: "login" }), (p: AuthProblem) => {
      assert.equal(p.status, 429);
      assert.equal(p.retryAfter, 7);
      assert.equal(p.detail, "Try again in 7 s.");
      return true;
    });
  });

  it("an answer that is no problem document, and no answer at all", async () => {
    const service = new FakeService();
    const client = createAuthClient({ baseUrl: BASE, mode: "token", fetch: service.fetch, channel: false });
    await client.login({ login: "ivan", password: "right" });
    await assert.rejects(client.users.list(), (p: AuthProblem) => {
      assert.equal(p.status, 502);
      assert.equal(p.type, "about:blank");
      assert.equal(p.title, "Bad Gateway");
      assert.deepEqual(p.errors, []);
      return true;
    });
    const offline = createAuthClient({
      baseUrl: BASE,
      mode: "token",
      fetch: () => Promise.reject(new TypeError("fetch failed")),
      channel: false,
    });
    await assert.rejects(offline.me(), (p: AuthProblem) => p.status === 0 && p.title === "Network error");
  });

  it("a Retry-After given as a date", () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const response = new Response(null, { status: 503, headers: { "retry-after": at } });
    const problem = AuthProblem.fromResponse(response, { type: "about:blank", title: "Unavailable", status: 503, detail: "" });
    assert.ok(problem.retryAfter !== undefined && problem.retryAfter >= 28 && problem.retryAfter <= 30, String(problem.retryAfter));
  });
});

describe("the middleware", () => {
  it("cookie mode: X-Auth-Mode on every call, X-CSRF-Token only on changes, never a bearer", async () => {
    const { service, shared } = browser();
    const client = tab(service, shared);
    await client.login({ login: "ivan", password: "right" });
    await client.me();
    await client.sessions();
    await client.changePassword({ current_password: "right", new_password: "a new one" });
    await client.logout();
    const calls = service.seen.map((s) => ({
      call: `${s.method} ${s.path}`,
      mode: s.headers.get("x-auth-mode"),
      csrf: s.headers.get("x-csrf-token"),
      bearer: s.headers.get("authorization"),
    }));
    assert.deepEqual(calls, [
      // Signed out yet: no CSRF cookie to echo.
      { call: "POST /auth/login", mode: "cookie", csrf: null, bearer: null },
      { call: "GET /auth/me", mode: "cookie", csrf: null, bearer: null },
      { call: "GET /auth/sessions", mode: "cookie", csrf: null, bearer: null },
      { call: "POST /auth/password", mode: "cookie", csrf: "csrf-1", bearer: null },
      { call: "POST /auth/logout", mode: "cookie", csrf: "csrf-1", bearer: null },
    ]);
    client.close();
  });

  it("cookie mode: the refresh echoes the CSRF cookie and sends no body (the cookie carries the token)", async () => {
    const { service, shared } = browser();
    const client = tab(service, shared);
    await client.login({ login: "ivan", password: "right" });
    service.expireAccess();
    await client.me();
    const refresh = service.seen.find((s) => s.path === "/auth/refresh");
    assert.equal(refresh?.headers.get("x-csrf-token"), "csrf-1");
    assert.equal(refresh?.body, undefined);
    assert.equal(refresh?.headers.get("content-type"), null);
    client.close();
  });

  it("cookie mode over HTTPS: the __Host- CSRF cookie, not a plain one a sibling subdomain planted", async () => {
    const { service, shared } = browser();
    const client = tab(service, shared, { cookies: () => "csrf_token=planted; __Host-csrf_token=the-real-one" });
    await client.api.POST("/auth/logout", { body: { all: false } });
    assert.equal(service.seen[0]?.headers.get("x-csrf-token"), "the-real-one");
    client.close();
  });

  it("token mode: the bearer token, and neither cookie mode's header nor CSRF", async () => {
    const service = new FakeService();
    const client = createAuthClient({ baseUrl: BASE, mode: "token", fetch: service.fetch, channel: false });
    await client.login({ login: "ivan", password: "right" });
    await client.me();
    await client.changePassword({ current_password: "right", new_password: "a new one" });
    for (const seen of service.seen.slice(1)) {
      assert.equal(seen.headers.get("authorization"), "Bearer access-1");
      assert.equal(seen.headers.get("x-csrf-token"), null);
      assert.equal(seen.headers.get("x-auth-mode"), null);
    }
    assert.equal(service.seen[0]?.headers.get("authorization"), null);
  });
});
