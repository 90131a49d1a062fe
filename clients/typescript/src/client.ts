import createClient, { type Client, type Middleware } from "openapi-fetch";
import { AuthProblem } from "./problem.js";
import type { components, operations, paths } from "./schema.js";
import { memoryStorage, readTokens, type StoredTokens, type TokenStorage } from "./storage.js";

export type Schemas = components["schemas"];
export type Me = Schemas["Me"];
export type Session = Schemas["Session"];
export type Contact = Schemas["Contact"];
export type Registration = Schemas["Registration"];
export type Credentials = Schemas["Login"];
export type CodePurpose = Schemas["CodePurpose"];
type Query<Operation extends keyof operations> = NonNullable<operations[Operation]["parameters"]["query"]>;
export type UserQuery = Query<"list_users">;
export type PageQuery = Query<"list_organizations">;

/** What a sign-in's first step gave: a session, or a second step to take
 * (`loginSecondFactor` with the `mfaToken` and a code). */
export type SignInOutcome =
  | { mfaRequired: false; expiresIn: number }
  | { mfaRequired: true; mfaToken: string; methods: string[]; expiresIn: number };

/** A second step's answer: a code from the authenticator app or a recovery code. */
export type SecondFactorCode = { code: string } | { recovery_code: string };

export type AuthStatus = "unknown" | "signed-in" | "signed-out";

/** What the client tells its listeners. `remote`: another tab did it. */
export type AuthEvent =
  | { type: "signed-in"; remote: boolean }
  | { type: "signed-out"; remote: boolean }
  | { type: "refreshed"; remote: false }
  | { type: "account-changed"; remote: boolean };

/** The part of `navigator.locks` the client uses. */
export interface Locks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export interface AuthClientOptions {
  /** The API's base, e.g. `/api/v1` (same origin) or `https://auth.example.com/api/v1`. */
  baseUrl: string;
  /**
   * `cookie` (browsers): tokens in HttpOnly cookies the page never reads,
   * `X-CSRF-Token` on every change. `token`: the pair in `storage`, the
   * access token as a bearer.
   */
  mode: "cookie" | "token";
  /** Token mode: where the pair lives (default: memory). Web Storage works. */
  storage?: TokenStorage;
  /** The key of the pair in `storage` (default `auth-client.tokens`). */
  storageKey?: string;
  /** The name of the BroadcastChannel and of the refresh lock shared by the
   * tabs of this origin (default `auth-client`); `false`: this tab alone. */
  channel?: string | false;
  /** Defaults to `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>;
  /** Defaults to `navigator.locks` where there is one. */
  locks?: Locks;
  /** The page's cookies (default `document.cookie`): cookie mode reads the CSRF token. */
  cookies?: () => string;
  /** Default `include` in cookie mode (a same-site API on another origin), else `same-origin`. */
  credentials?: RequestCredentials;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Calls that are not helped by a refresh: a 401 from them is the answer. */
const SIGNED_OUT = { retry: false } as const;
const SIGNED_IN = { retry: true } as const;

export type AuthClient = ReturnType<typeof createAuthClient>;

/**
 * A client of the auth service: one method per flow, each returning the
 * typed answer or throwing an `AuthProblem`. A call refused because its
 * access token expired refreshes once — once for every concurrent call of
 * this page (single flight) and every tab of this origin (a Web Lock), since
 * the refresh token rotates and a second refresh with the same one is taken
 * for a stolen token — and is tried again; a 401 after that signs out, in
 * every tab (a BroadcastChannel), once.
 */
export function createAuthClient(options: AuthClientOptions) {
  const mode = options.mode;
  const storage = options.storage ?? memoryStorage();
  const storageKey = options.storageKey ?? "auth-client.tokens";
  const channelName = options.channel === undefined ? "auth-client" : options.channel;
  const readCookies = options.cookies ?? (() => (typeof document === "undefined" ? "" : document.cookie));
  const locks = options.locks ?? (typeof navigator === "undefined" ? undefined : navigator.locks);
  const listeners = new Set<(event: AuthEvent) => void>();
  let status: AuthStatus = "unknown";
  let refreshing: Promise<boolean> | null = null;
  // What a refused refresh went out with: never presented again.
  let refusedCredentials: string | null = null;

  const channel =
    channelName !== false && typeof BroadcastChannel !== "undefined" ? new BroadcastChannel(channelName) : null;
  // Node keeps a process alive for an open channel; a page never ends anyway.
  (channel as { unref?: () => void } | null)?.unref?.();
  channel?.addEventListener("message", (event: MessageEvent) => {
    const type: unknown = event.data;
    if (type === "signed-in") setStatus("signed-in", true);
    else if (type === "signed-out") signedOut(true);
    else if (type === "account-changed") emit({ type: "account-changed", remote: true });
  });

  function emit(event: AuthEvent) {
    for (const listener of [...listeners]) listener(event);
  }

  function setStatus(next: "signed-in", remote: boolean) {
    status = next;
    emit({ type: "signed-in", remote });
  }

  /** Signed out here and, when it happened here, in the other tabs: once. */
  function signedOut(remote: boolean, tell = true) {
    const was = status;
    status = "signed-out";
    if (mode === "token") storage.removeItem(storageKey);
    if (was === "signed-out") return;
    if (!remote && tell) channel?.postMessage("signed-out");
    emit({ type: "signed-out", remote });
  }

  function signedIn() {
    status = "signed-in";
    channel?.postMessage("signed-in");
    emit({ type: "signed-in", remote: false });
  }

  /** The CSRF cookie's value, as the service compares it (unescaped). Over
   * HTTPS the service reads only `__Host-csrf_token`: that one first, since
   * a sibling subdomain may plant a plain `csrf_token`. */
  function csrfToken(): string {
    const cookies = new Map<string, string>();
    for (const pair of readCookies().split(";")) {
      const [name = "", value = ""] = pair.trim().split(/=(.*)/s);
      if (!cookies.has(name)) cookies.set(name, value);
    }
    return cookies.get("__Host-csrf_token") || cookies.get("csrf_token") || "";
  }

  function tokens(): StoredTokens | null {
    return readTokens(storage, storageKey);
  }

  /** What a call goes out with: every refresh changes it (a new CSRF cookie
   * comes with new token cookies; a new pair in storage). */
  function credentialsNow(): string {
    return mode === "cookie" ? csrfToken() : (tokens()?.access_token ?? "");
  }

  function keep(pair: { access_token?: string | null; refresh_token?: string | null; expires_in: number }) {
    if (mode !== "token") return;
    if (!pair.access_token || !pair.refresh_token) {
      throw new AuthProblem({
        title: "No tokens",
        status: 0,
        detail: "Token mode got no token pair: is cookie_mode on for every client?",
      });
    }
    const kept: StoredTokens = {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_at: Date.now() + pair.expires_in * 1000,
    };
    storage.setItem(storageKey, JSON.stringify(kept));
  }

  /** Cookie mode's headers, or the bearer token: the one place that says
   * how a request authenticates. */
  const authentication: Middleware = {
    onRequest({ request }) {
      if (mode === "cookie") {
        request.headers.set("x-auth-mode", "cookie");
        if (isStateChanging(request.method)) {
          const csrf = csrfToken();
          if (csrf) request.headers.set("x-csrf-token", csrf);
        }
      } else {
        const access = tokens()?.access_token;
        if (access && !request.headers.has("authorization")) request.headers.set("authorization", `Bearer ${access}`);
      }
      return request;
    },
  };

  const api: Client<paths> = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    credentials: options.credentials ?? (mode === "cookie" ? "include" : "same-origin"),
    // Looked up at call time, so a fetch replaced later (tests, polyfills) is used.
    fetch: options.fetch ?? ((request: Request) => globalThis.fetch(request)),
  });
  api.use(authentication);

  async function attempt<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
    try {
      return await call();
    } catch (cause) {
      throw cause instanceof AuthProblem ? cause : AuthProblem.network(cause);
    }
  }

  function refused(result: Result<unknown>): boolean {
    return result.response.status === 401 && AuthProblem.fromResponse(result.response, result.error).isUnauthenticated;
  }

  /**
   * One call, with one refresh and one more try when its access token was
   * refused. `retry: false` for calls made signed out (sign-in, recovery,
   * links): nothing to refresh.
   */
  async function send<T>(call: () => Promise<Result<T>>, how: { retry: boolean }): Promise<T> {
    const sentWith = credentialsNow();
    let result = await attempt(call);
    if (how.retry && refused(result)) {
      if (await refreshOnce(sentWith)) {
        result = await attempt(call);
        if (refused(result)) signedOut(false);
      }
    }
    if (!result.response.ok) throw AuthProblem.fromResponse(result.response, result.error);
    return result.data as T;
  }

  /**
   * One refresh for every concurrent call here (single flight) and every
   * tab (a Web Lock). `sentWith` is what the refused call went out with: if
   * it has changed since, another call or tab refreshed after it left, and
   * its tokens are the ones to use. True when there are fresh tokens.
   */
  function refreshOnce(sentWith: string): Promise<boolean> {
    if (refreshing) return refreshing;
    const run = async () => {
      const now = credentialsNow();
      if (now && now !== sentWith) return true;
      return refreshNow();
    };
    refreshing = (locks ? locks.request(`${channelName || "auth-client"}:refresh`, run) : run()).finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function refreshNow(): Promise<boolean> {
    const refreshToken = mode === "token" ? tokens()?.refresh_token : undefined;
    // Nothing to refresh with: never signed in here (no CSRF cookie comes
    // without a refresh cookie), so nothing to tell the other tabs either.
    if (mode === "token" ? !refreshToken : !csrfToken()) {
      signedOut(false, false);
      return false;
    }
    const presented = credentialsNow();
    if (presented === refusedCredentials) {
      signedOut(false);
      return false;
    }
    // Cookie mode sends no body: the refresh cookie carries the token (the
    // service also takes `{}` then; no body is the smaller request).
    const result = await attempt(() =>
      api.POST("/auth/refresh", refreshToken ? { body: { refresh_token: refreshToken } } : {}),
    );
    if (!result.response.ok) {
      const problem = AuthProblem.fromResponse(result.response, result.error);
      // Refused: the session is over, everywhere. Anything else (503, the
      // network) may pass: keep the session and say why.
      if (problem.status === 401 || problem.status === 403) {
        refusedCredentials = presented;
        signedOut(false);
        return false;
      }
      throw problem;
    }
    keep(result.data!);
    status = "signed-in";
    emit({ type: "refreshed", remote: false });
    return true;
  }

  /** A sign-in's first step, read into a session or a second step. */
  function signInOutcome(answer: Schemas["SignedIn"] | Schemas["CodeVerified"]): SignInOutcome {
    if (answer.mfa_required && answer.mfa_token) {
      return {
        mfaRequired: true,
        mfaToken: answer.mfa_token,
        methods: answer.methods ?? [],
        expiresIn: answer.expires_in,
      };
    }
    keep(answer);
    signedIn();
    return { mfaRequired: false, expiresIn: answer.expires_in };
  }

  const id = (value: string) => ({ params: { path: { id: value } } });
  const member = (organization: string, user: string) => ({
    params: { path: { id: organization, user_id: user } },
  });

  return {
    /** The typed openapi-fetch client underneath (with the same middleware),
     * for what has no method here. It neither refreshes nor throws. */
    api,
    mode,

    /** As far as this page knows: `unknown` until a call or a sign-in says. */
    get status(): AuthStatus {
      return status;
    },

    /** Listen to sign-ins, sign-outs (here or in another tab), refreshes. */
    subscribe(listener: (event: AuthEvent) => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },

    /** Stop listening to the other tabs. */
    close() {
      channel?.close();
      listeners.clear();
    },

    // --- Signing up, in and out ---------------------------------------------

    /** `POST /auth/register`: signed in at once (201). */
    async register(body: Registration): Promise<Schemas["RegisteredUser"]> {
      const answer = await send(() => api.POST("/auth/register", { body }), SIGNED_OUT);
      keep(answer);
      signedIn();
      return answer.user;
    },

    /** `POST /auth/login` with a second_login, phone or email and the password. */
    async login(body: Credentials): Promise<SignInOutcome> {
      return signInOutcome(await send(() => api.POST("/auth/login", { body }), SIGNED_OUT));
    },

    /** `POST /auth/login/mfa`: the second step, with the first step's `mfaToken`. */
    async loginSecondFactor(mfaToken: string, code: SecondFactorCode): Promise<void> {
      const answer = await send(() => api.POST("/auth/login/mfa", { body: { mfa_token: mfaToken, ...code } }), SIGNED_OUT);
      keep(answer);
      signedIn();
    },

    /** `POST /auth/otp/request`: a code by SMS (202 whether or not the phone is known). */
    async requestCode(body: Schemas["CodeRequest"]): Promise<Schemas["CodeSent"]> {
      return send(() => api.POST("/auth/otp/request", { body }), body.purpose === "reauth" ? SIGNED_IN : SIGNED_OUT);
    },

    /** `POST /auth/otp/verify` with purpose `login`: signed in by the code. */
    async loginWithCode(phone: string, code: string): Promise<SignInOutcome> {
      const body = { phone, code, purpose: "login" as const };
      return signInOutcome(await send(() => api.POST("/auth/otp/verify", { body }), SIGNED_OUT));
    },

    /** `POST /auth/otp/verify` for a proof: `register`, `verify_phone` (signed
     * in) → `phone_proof`; `reauth` (signed in) → `reauth_proof`. */
    async verifyCode(body: Schemas["CodeVerification"]): Promise<Schemas["CodeVerified"]> {
      return send(() => api.POST("/auth/otp/verify", { body }), SIGNED_OUT);
    },

    /** `POST /auth/refresh` now (calls refresh by themselves when they must). */
    async refresh(): Promise<boolean> {
      return refreshOnce(credentialsNow());
    },

    /** `POST /auth/logout`: this session, or (`all`) every one; signed out in every tab. */
    async logout(all = false): Promise<void> {
      try {
        await send(() => api.POST("/auth/logout", { body: { all } }), SIGNED_IN);
      } catch (problem) {
        // Already over (401): signed out all the same.
        if (!(problem instanceof AuthProblem && problem.status === 401)) throw problem;
      }
      signedOut(false);
    },

    // --- My account -----------------------------------------------------------

    /** `GET /auth/me`. */
    async me(): Promise<Me> {
      const answer = await send(() => api.GET("/auth/me"), SIGNED_IN);
      status = "signed-in";
      return answer;
    },

    /** `GET /auth/sessions`. */
    async sessions(): Promise<Session[]> {
      return (await send(() => api.GET("/auth/sessions"), SIGNED_IN)).sessions;
    },

    /** `DELETE /auth/sessions/{id}`. */
    async revokeSession(session: string): Promise<void> {
      await send(() => api.DELETE("/auth/sessions/{id}", id(session)), SIGNED_IN);
    },

    /** `POST /auth/contacts` (with `current_password` or `reauth_proof`):
     * the contact (201), or an email claimed from another account (202). */
    async addContact(body: Schemas["NewContact"]): Promise<Schemas["ContactAdded"] | Schemas["ContactPending"]> {
      return send(() => api.POST("/auth/contacts", { body }), SIGNED_IN);
    },

    /** `DELETE /auth/contacts/{id}`. */
    async removeContact(contact: string): Promise<void> {
      await send(() => api.DELETE("/auth/contacts/{id}", id(contact)), SIGNED_IN);
    },

    /** `POST /auth/password`: the other sessions end. */
    async changePassword(body: Schemas["PasswordChange"]): Promise<void> {
      await send(() => api.POST("/auth/password", { body }), SIGNED_IN);
    },

    /** `POST /auth/email/verify` with the token of a link (`#token=…`). */
    async verifyEmail(token: string): Promise<Schemas["EmailVerified"]> {
      const answer = await send(() => api.POST("/auth/email/verify", { body: { token } }), SIGNED_OUT);
      channel?.postMessage("account-changed");
      emit({ type: "account-changed", remote: false });
      return answer;
    },

    /** `POST /auth/email/verification`: a new link for an unverified email. */
    async requestEmailVerification(email: string): Promise<Schemas["VerificationSent"]> {
      return send(() => api.POST("/auth/email/verification", { body: { email } }), SIGNED_IN);
    },

    /** `GET /auth/invitations`. */
    async invitations(): Promise<Schemas["Invitation"][]> {
      return (await send(() => api.GET("/auth/invitations"), SIGNED_IN)).invitations;
    },

    /** `POST /auth/invitations/{id}/accept`. */
    async acceptInvitation(invitation: string): Promise<Schemas["Membership"]> {
      return (await send(() => api.POST("/auth/invitations/{id}/accept", id(invitation)), SIGNED_IN)).membership;
    },

    /** `POST /auth/invitations/{id}/decline`. */
    async declineInvitation(invitation: string): Promise<void> {
      await send(() => api.POST("/auth/invitations/{id}/decline", id(invitation)), SIGNED_IN);
    },

    // --- A forgotten password ---------------------------------------------------

    /** `POST /auth/recovery`: the same answer for any login. */
    async requestRecovery(login: string): Promise<Schemas["RecoverySent"]> {
      return send(() => api.POST("/auth/recovery", { body: { login } }), SIGNED_OUT);
    },

    /** `POST /auth/recovery/complete` with `{phone, code}` or a link's `{token}`:
     * every session ends. */
    async completeRecovery(body: Schemas["RecoveryCompletion"]): Promise<void> {
      await send(() => api.POST("/auth/recovery/complete", { body }), SIGNED_OUT);
      signedOut(false);
    },

    // --- The second factor --------------------------------------------------------

    /** `POST /auth/mfa/totp`: the secret, its URI and QR code (nothing on yet). */
    async enrolTotp(proof: Schemas["AccountProof"]): Promise<Schemas["TotpEnrolment"]> {
      return send(() => api.POST("/auth/mfa/totp", { body: proof }), SIGNED_IN);
    },

    /** `POST /auth/mfa/totp/confirm`: on; the ten recovery codes, shown once. */
    async confirmTotp(code: string): Promise<string[]> {
      return (await send(() => api.POST("/auth/mfa/totp/confirm", { body: { code } }), SIGNED_IN)).recovery_codes;
    },

    /** `DELETE /auth/mfa/totp`: off, with a proof and a code. */
    async removeTotp(body: Schemas["TotpRemoval"]): Promise<void> {
      await send(() => api.DELETE("/auth/mfa/totp", { body }), SIGNED_IN);
    },

    // --- Roles, organizations (staff and heads), users (staff) -----------------

    /** `GET /auth/roles`: signed out, with an interface, the roles it registers;
     * signed in, the roles I may grant. */
    async roles(query?: Query<"roles">): Promise<Schemas["Role"][]> {
      const how = query?.interface ? SIGNED_OUT : SIGNED_IN;
      return (await send(() => api.GET("/auth/roles", { params: { query: query ?? {} } }), how)).roles;
    },

    /** `GET /auth/availability?second_login=` (or `phone`, `email`). */
    async available(query: Query<"availability">): Promise<boolean> {
      return (await send(() => api.GET("/auth/availability", { params: { query } }), SIGNED_OUT)).available;
    },

    organizations: {
      /** `GET /organizations`: staff all, a head the ones it heads. */
      list: (query: PageQuery = {}) =>
        send(() => api.GET("/organizations", { params: { query } }), SIGNED_IN),
      get: async (organization: string) =>
        (await send(() => api.GET("/organizations/{id}", id(organization)), SIGNED_IN)).organization,
      create: async (body: Schemas["OrganizationRequest"]) =>
        (await send(() => api.POST("/organizations", { body }), SIGNED_IN)).organization,
      update: async (organization: string, body: Schemas["OrganizationPatch"]) =>
        (await send(() => api.PATCH("/organizations/{id}", { ...id(organization), body }), SIGNED_IN)).organization,
      members: (organization: string, query: Query<"members"> = {}) =>
        send(() => api.GET("/organizations/{id}/members", { params: { path: { id: organization }, query } }), SIGNED_IN),
      /** A new user joins at once (`user`); staff add an existing one
       * (`membership`); a head's existing user is invited (`status`). */
      addMember: (organization: string, body: Schemas["MemberRequest"]) =>
        send(() => api.POST("/organizations/{id}/members", { ...id(organization), body }), SIGNED_IN) as Promise<
          Schemas["MemberAdded"] | Schemas["MaybeInvited"]
        >,
      removeMember: async (organization: string, user: string) => {
        await send(() => api.DELETE("/organizations/{id}/members/{user_id}", member(organization, user)), SIGNED_IN);
      },
      appointHead: async (organization: string, user: string) =>
        (
          await send(
            () => api.POST("/organizations/{id}/heads", { ...id(organization), body: { user_id: user } }),
            SIGNED_IN,
          )
        ).membership,
      dismissHead: async (organization: string, user: string) =>
        (await send(() => api.DELETE("/organizations/{id}/heads/{user_id}", member(organization, user)), SIGNED_IN))
          .membership,
    },

    users: {
      /** `GET /users`: keyset pages (`next_cursor`). */
      list: (query: UserQuery = {}) => send(() => api.GET("/users", { params: { query } }), SIGNED_IN),
      create: async (body: Schemas["NewUser"]) =>
        (await send(() => api.POST("/users", { body }), SIGNED_IN)).user,
      changeRoles: async (user: string, body: Schemas["RoleChange"]) =>
        (await send(() => api.POST("/users/{id}/roles", { ...id(user), body }), SIGNED_IN)).roles,
      setActive: (user: string, isActive: boolean) =>
        send(() => api.PATCH("/users/{id}", { ...id(user), body: { is_active: isActive } }), SIGNED_IN),
    },
  };
}

function isStateChanging(method: string): boolean {
  return !["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase());
}
