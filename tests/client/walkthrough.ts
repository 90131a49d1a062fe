// The README's walk-through, written with @logistics/auth-client against a
// live service (tests/client/run.sh runs it): sign-up and sign-in, refresh,
// me, sessions, contacts, password, sign-out, a staff member who makes a
// fleet and appoints its head, and the head managing its members. Every
// answer is type-checked at compile time (the client's types come from
// docs/openapi.json) and checked at run time against the document's JSON
// Schema (./contract.ts). Nothing secret is printed; every password and
// token is written to $AUTH_SECRETS_FILE for the test command's log check.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac, randomInt } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AuthProblem,
  createAuthClient,
  memoryStorage,
  type AuthClient,
  type Me,
  type TokenStorage,
} from "@logistics/auth-client";
import { Contract } from "./contract.js";

const [baseArgument, componentLog] = process.argv.slice(2);
if (!baseArgument) throw new Error("usage: walkthrough.js BASE_URL [COMPONENT_LOG]");
// The service's address; `$BASE` of .run-env (ending in /api/v1) works too.
const BASE = baseArgument.replace(/\/+$/, "").replace(/\/api\/v1$/, "");
const ROOT = join(import.meta.dirname, "..", "..", "..");
const contract = new Contract(join(ROOT, "docs", "openapi.json"));
let refreshCalls = 0;
let steps = 0;

function step(name: string) {
  steps += 1;
  console.log(`  ok: ${name}`);
}

/** The test command checks that no log holds these. */
function secret(...values: (string | null | undefined)[]) {
  const file = process.env.AUTH_SECRETS_FILE;
  if (!file) return;
  for (const value of values) if (value) appendFileSync(file, `${value}\n`);
}

/** fetch, with every answer held against the document. */
async function checkedFetch(request: Request): Promise<Response> {
  const { method, url } = request;
  if (new URL(url).pathname.endsWith("/auth/refresh")) refreshCalls += 1;
  const response = await fetch(request);
  contract.check(method, url, response.status, response.headers.get("content-type"), await response.clone().text());
  return response;
}

/** Token mode's storage, telling the log check every token it keeps. */
function recordingStorage(): TokenStorage {
  const inner = memoryStorage();
  return {
    getItem: (key) => inner.getItem(key),
    setItem: (key, value) => {
      const pair = JSON.parse(value) as { access_token: string; refresh_token: string };
      secret(pair.access_token, pair.refresh_token);
      inner.setItem(key, value);
    },
    removeItem: (key) => inner.removeItem(key),
  };
}

/** Someone with an app of their own: a client in token mode. */
function person(): AuthClient & { storage: TokenStorage } {
  const storage = recordingStorage();
  const client = createAuthClient({ baseUrl: `${BASE}/api/v1`, mode: "token", storage, fetch: checkedFetch, channel: false });
  return Object.assign(client, { storage });
}

/** A browser's cookie jar for cookie mode (Node's fetch keeps no cookies). */
class Jar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  fetch = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const sent = [...this.cookies].filter(([, c]) => path.startsWith(c.path)).map(([name, c]) => `${name}=${c.value}`);
    const headers = new Headers(request.headers);
    if (sent.length) headers.set("cookie", sent.join("; "));
    const response = await checkedFetch(new Request(request, { headers }));
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const [name = "", value = ""] = pair.split(/=(.*)/s);
      const attribute = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.split("=")[1];
      if (attribute("max-age") === "0") this.cookies.delete(name);
      else {
        secret(value);
        this.cookies.set(name, { value, path: attribute("path") ?? "/" });
      }
    }
    return response;
  };

  /** `document.cookie`: what is not HttpOnly (the CSRF token). */
  page = () => (this.cookies.has("csrf_token") ? `csrf_token=${this.cookies.get("csrf_token")?.value}` : "");

  /** The access cookie runs out (its Max-Age), as a browser would drop it. */
  expireAccess() {
    this.cookies.delete("access_token");
  }
}

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join("");
const suffix = `${Date.now().toString(36).slice(-4)}${digits(3)}`;
const phone = () => `+7916${digits(7)}`;
/** "+79161234567" as people write it: "8 (916) 123-45-67". */
const spelled = (e164: string) =>
  `8 (${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8, 10)}-${e164.slice(10, 12)}`;

async function problemOf(call: Promise<unknown>): Promise<AuthProblem> {
  try {
    await call;
  } catch (error) {
    if (error instanceof AuthProblem) return error;
    throw error;
  }
  throw new Error("expected an AuthProblem, got an answer");
}

function linkToken(email: string, page: string): string | null {
  if (!componentLog) return null;
  const text = readFileSync(componentLog, "utf8");
  const pattern = new RegExp(`${email.replace(/[.+]/g, "\\$&")} would read: (?:(?!would read: )[\\s\\S])*?${page}#token=([A-Za-z0-9_-]{43})`, "g");
  return [...text.matchAll(pattern)].at(-1)?.[1] ?? null;
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) from a base32 secret, for time step `at`. */
function totp(secretKey: string, at: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secretKey.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)?.map((b) => parseInt(b, 2)) ?? []);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(at));
  const digest = createHmac("sha1", key).update(counter).digest();
  const offset = (digest.at(-1) ?? 0) & 15;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** Staff endpoints with a second factor, when the service asks for one
 * (mfa_required_roles; the test command turns it off, ./run.sh keeps it). */
async function staffSignIn(admin: AuthClient, login: string, password: string) {
  await admin.login({ login, password });
  const refused = await admin.organizations.list({ limit: 1 }).then(
    () => null,
    (error: unknown) => error,
  );
  if (refused === null) return;
  if (!(refused instanceof AuthProblem && refused.type === "urn:auth:problem:second-factor-required")) throw refused;
  const enrolment = await admin.enrolTotp({ current_password: password });
  secret(enrolment.secret);
  const now = Math.floor(Date.now() / 30_000);
  secret(...(await admin.confirmTotp(totp(enrolment.secret, now))));
  const first = await admin.login({ login, password });
  assert.ok(first.mfaRequired, "a second step after enrolling");
  // A step not used yet: the next one, within the service's drift.
  await admin.loginSecondFactor(first.mfaToken, { code: totp(enrolment.secret, now + 1) });
  step("staff: a second factor enrolled, signed in with it (mfa_required_roles)");
}

async function main() {
  const anonymous = person();
  const health = await anonymous.api.GET("/auth/health");
  assert.equal(health.data?.status, "ok");
  const ready = await anonymous.api.GET("/auth/ready");
  assert.equal(ready.data?.status, "ready");
  const login = `ivan.${suffix}`;
  assert.equal(await anonymous.available({ second_login: login }), true);
  const selfRoles = await anonymous.roles({ interface: "customer_app" });
  assert.deepEqual(
    selfRoles.map((r) => r.name),
    ["customer"],
  );
  step("health, readiness, a free login, the roles of the customer app");

  // Registration: 201, signed in at once; then the same login is taken.
  const ivan = person();
  const ivanPhone = phone();
  const email = `Ivan.${suffix}@Example.com`;
  const password = `correct horse ${digits(6)}`;
  secret(password);
  const registration = {
    second_login: login,
    phone: ivanPhone,
    email,
    password,
    group_names: ["customer"],
    interface: "customer_app" as const,
    profile: { name: "Ivan" },
  };
  const user = await ivan.register(registration);
  assert.equal(user.second_login, login);
  assert.equal(ivan.status, "signed-in");
  const taken = await problemOf(anonymous.register({ ...registration, phone: phone(), email: null }));
  assert.equal(taken.status, 409);
  assert.deepEqual(taken.errors.map((e) => e.field), ["second_login"]);
  const invalid = await problemOf(
    anonymous.register({ ...registration, second_login: `x.${suffix}`, phone: "12", email: "not an email", password: "short" }),
  );
  assert.equal(invalid.status, 422);
  assert.ok(invalid.field("phone").length > 0 && invalid.field("password").length > 0, Object.keys(invalid.byField).join());
  step("registered (201, signed in); a taken login is 409 by field, invalid fields 422 by field");

  // Log in with the phone as people write it: a second session.
  const signedIn = await ivan.login({ login: spelled(ivanPhone), password });
  assert.equal(signedIn.mfaRequired, false);
  const me: Me = await ivan.me();
  assert.equal(me.second_login, login);
  assert.deepEqual(me.roles, ["customer"]);
  assert.deepEqual(me.profile, { name: "Ivan" });
  const emailContact = me.contacts.find((c) => c.type === "email");
  assert.equal(emailContact?.value, email.toLowerCase());
  assert.equal(emailContact?.verified, false);
  step("logged in by phone (any spelling); me: login, roles, profile, an unverified email");

  const verifyToken = linkToken(email.toLowerCase(), "verify-email");
  if (componentLog) {
    // Not a secret to look for in logs: development mode writes it there.
    assert.ok(verifyToken, "no verification link in the component log");
    const verified = await ivan.verifyEmail(verifyToken);
    assert.deepEqual(verified, { email: email.toLowerCase(), verified: true });
    assert.equal((await ivan.me()).contacts.find((c) => c.type === "email")?.verified, true);
    step("the email verified by the token of its link (from the component log)");
  }

  let sessions = await ivan.sessions();
  assert.equal(sessions.length, 2);
  assert.equal(sessions.filter((s) => s.current).length, 1);
  const before = refreshCalls;
  const accessBefore = ivan.storage.getItem("auth-client.tokens");
  assert.equal(await ivan.refresh(), true);
  assert.equal(refreshCalls, before + 1);
  // Compared inside the assertion: a failure must not print the pair.
  assert.ok(
    ivan.storage.getItem("auth-client.tokens") !== accessBefore,
    "the refresh stored a new pair",
  );
  const other = sessions.find((s) => !s.current);
  assert.ok(other);
  await ivan.revokeSession(other.id);
  sessions = await ivan.sessions();
  assert.deepEqual(
    sessions.map((s) => s.current),
    [true],
  );
  step("sessions: two, one current; a refresh; the other one revoked");

  // The access token refused (as an expired one is): 20 calls at once, one refresh.
  const kept = JSON.parse(ivan.storage.getItem("auth-client.tokens") ?? "{}") as Record<string, unknown>;
  ivan.storage.setItem("auth-client.tokens", JSON.stringify({ ...kept, access_token: "eyJhbGciOiJIUzI1NiJ9.e30.expired" }));
  const refreshesBefore = refreshCalls;
  const twenty = await Promise.all(Array.from({ length: 20 }, () => ivan.me()));
  assert.equal(refreshCalls - refreshesBefore, 1, "one refresh for twenty calls");
  assert.ok(twenty.every((m) => m.id === me.id));
  step("20 concurrent calls with a refused access token: exactly one refresh, all answered");

  const added = await ivan.addContact({ type: "email", value: `ivan.${suffix}@work.example`, current_password: password });
  assert.ok("contact" in added, "an email nobody holds is added (201)");
  await ivan.removeContact(added.contact.id);
  const last = me.contacts.find((c) => c.type === "second_login");
  assert.ok(last);
  const lastLogin = await problemOf(ivan.removeContact(last.id));
  assert.equal(lastLogin.status, 409);
  step("a contact added (with the password) and removed; the only login cannot be (409)");

  const newPassword = `a brand new passphrase ${digits(4)}`;
  secret(newPassword);
  const wrong = await problemOf(ivan.changePassword({ current_password: "not the password", new_password: newPassword }));
  assert.ok(wrong.status === 401 || wrong.status === 422 || wrong.status === 403, String(wrong.status));
  await ivan.changePassword({ current_password: password, new_password: newPassword });
  await ivan.logout();
  assert.equal(ivan.status, "signed-out");
  const after = refreshCalls;
  assert.equal((await problemOf(ivan.me())).status, 401);
  assert.equal(refreshCalls, after, "nothing to refresh once signed out");
  assert.equal((await problemOf(ivan.login({ login, password }))).status, 401);
  await ivan.login({ login, password: newPassword });
  step("password changed (a wrong current one refused), signed out, in with the new one");

  // Cookie mode, as a browser: tokens only in cookies, CSRF on changes, one
  // refresh for concurrent calls whose access cookie ran out.
  const jar = new Jar();
  const browser = createAuthClient({
    baseUrl: `${BASE}/api/v1`,
    mode: "cookie",
    fetch: jar.fetch,
    cookies: jar.page,
    channel: false,
  });
  await browser.login({ login, password: newPassword });
  assert.ok(/^csrf_token=./.test(jar.page()), "the page can read its CSRF cookie");
  assert.equal((await browser.me()).id, me.id);
  jar.expireAccess();
  const cookieRefreshes = refreshCalls;
  await Promise.all(Array.from({ length: 10 }, () => browser.sessions()));
  assert.equal(refreshCalls - cookieRefreshes, 1, "one refresh for ten calls in cookie mode");
  await browser.logout();
  assert.equal(jar.page(), "");
  step("cookie mode: signed in by cookie, one refresh for 10 calls, CSRF on changes, signed out");

  // Staff: an account made superadmin by the operator (as tests/fuzz does).
  const adminUrl = process.env.AUTH_DB_ADMIN_URL;
  if (!adminUrl) throw new Error("AUTH_DB_ADMIN_URL is not set: the walk-through needs it to make a superadmin");
  const admin = person();
  const adminLogin = `admin.${suffix}`;
  const adminPassword = `the first admin passphrase ${digits(4)}`;
  secret(adminPassword);
  const adminUser = await admin.register({
    second_login: adminLogin,
    phone: phone(),
    password: adminPassword,
    group_names: ["customer"],
    interface: "customer_app",
  });
  assert.match(adminUser.id, /^[0-9a-f-]{36}$/);
  execFileSync("psql", [adminUrl, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
    `INSERT INTO accounts.memberships (user_id, group_name) VALUES ('${adminUser.id}', 'superadmin')`], { stdio: "pipe" });
  await staffSignIn(admin, adminLogin, adminPassword);
  assert.ok((await admin.roles()).some((r) => r.name === "executor_head"));
  step("a superadmin (made by the operator) signed in; the roles it may grant");

  const petrLogin = `petr.${suffix}`;
  const petrPassword = `another fine secret ${digits(4)}`;
  secret(petrPassword);
  const petrUser = await admin.users.create({
    second_login: petrLogin,
    phone: phone(),
    password: petrPassword,
    group_names: ["courier"],
  });
  assert.deepEqual(petrUser.roles, ["courier"]);
  assert.deepEqual((await admin.users.changeRoles(petrUser.id, { add: ["driver"] })).sort(), ["courier", "driver"]);
  const fleet = await admin.organizations.create({ kind: "fleet", name: `Client Fleet ${suffix}` });
  assert.equal(fleet.is_active, true);
  const headship = await admin.organizations.appointHead(fleet.id, petrUser.id);
  assert.equal(headship.is_head, true);
  const page = await admin.users.list({ second_login: petrLogin });
  assert.deepEqual(
    page.users.map((u) => u.id),
    [petrUser.id],
  );
  step("staff: a courier created and made a driver too, a fleet, its head appointed");

  // The head, signed in: its fleet, a new driver who joins at once, an
  // invitation that tells nothing, the members, and one removed.
  const petr = person();
  await petr.login({ login: petrLogin, password: petrPassword });
  const head = await petr.me();
  assert.ok(head.roles.includes("executor_head"));
  assert.deepEqual(
    head.organizations.map((o) => [o.id, o.is_head]),
    [[fleet.id, true]],
  );
  const mine = await petr.organizations.list();
  assert.deepEqual(
    mine.organizations.map((o) => o.id),
    [fleet.id],
  );
  assert.equal((await petr.organizations.get(fleet.id)).name, `Client Fleet ${suffix}`);
  const olegPassword = `yet another secret ${digits(4)}`;
  secret(olegPassword);
  const joined = await petr.organizations.addMember(fleet.id, {
    new_user: { second_login: `oleg.${suffix}`, phone: phone(), password: olegPassword, group_names: ["driver"] },
  });
  assert.ok("user" in joined && joined.user, "a new driver joins at once (201 {user})");
  const oleg = joined.user;
  const invited = await petr.organizations.addMember(fleet.id, { second_login: login });
  assert.deepEqual(invited, { status: "invited_if_eligible" });
  const members = await petr.organizations.members(fleet.id, { limit: 50 });
  assert.deepEqual(
    members.members.map((m) => m.user_id).sort(),
    [oleg.id, petrUser.id].sort(),
  );
  const theirs = await petr.users.list({ organization_id: fleet.id });
  assert.ok(theirs.users.some((u) => u.id === oleg.id));
  await petr.organizations.removeMember(fleet.id, oleg.id);
  assert.equal((await problemOf(petr.organizations.create({ kind: "fleet", name: "Not mine" }))).status, 403);
  step("the head: its fleet, a new driver (201), an invitation (202, tells nothing), members, one removed; no new fleets (403)");

  const dismissed = await admin.organizations.dismissHead(fleet.id, petrUser.id);
  assert.equal(dismissed.is_head, false);
  const inactive = await admin.organizations.update(fleet.id, { is_active: false });
  assert.equal(inactive.is_active, false);
  // Its sessions whose tokens name the fleet ended with it: the refresh is
  // refused too, and the client signs out.
  const ended = await problemOf(petr.organizations.get(fleet.id));
  assert.equal(ended.status, 401);
  assert.equal(petr.status, "signed-out");
  await petr.login({ login: petrLogin, password: petrPassword });
  assert.equal((await problemOf(petr.organizations.get(fleet.id))).status, 404);
  step("staff: the head dismissed, the fleet deactivated (its sessions ended); signed in again, it is 404 to him");

  await petr.logout(true);
  await ivan.logout();
  await admin.logout();
  assert.equal((await problemOf(admin.me())).status, 401);
  const jwks = await anonymous.api.GET("/auth/.well-known/jwks.json");
  assert.ok(Array.isArray(jwks.data?.keys));
  step("everyone signed out; the JWKS");

  const operations = contract.checked.size;
  const answers = [...contract.checked.values()].reduce((a, b) => a + b, 0);
  console.log(
    `client walk-through: ${steps} steps, ${answers} answers checked against docs/openapi.json ` +
      `(${operations} operation/status pairs), ${refreshCalls} refreshes`,
  );
}

await main();
