// The demo's page: signed out (sign in by password or by a code by SMS,
// sign up, a forgotten password), the second step of a sign-in, and signed
// in (contacts, sessions, password, second factor, sign-out). The session
// (who is signed in, in this tab and the others) is the client's, through
// AuthProvider; this page keeps only what it shows.
//
// - Forms are plain HTML forms read on submit (FormData), as a browser
//   fills them.
// - Calls made signed out (sign-in, recovery, following a link) are not
//   helped by a refresh; nor is a 401 that refuses a code the call carried
//   (a second factor's): the client refreshes only for a refused token.
// - The second factor (TOTP): a sign-in may answer `mfaRequired` with an
//   `mfaToken`: kept in memory only, for the second step. The secret and QR
//   code of an enrolment, and the recovery codes, are shown once and never
//   stored; the next action on the page takes them away.
import type { Contact, Session, SignInOutcome } from "@logistics/auth-client";
import { useAuthClient, useSession } from "@logistics/auth-client/react";
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import type { Link } from "./links.ts";
import { Messages, MessagesProvider, useMessages } from "./messages.tsx";

declare global {
  interface Window {
    /** For the browser test: load the account again, as a tab coming into view does. */
    authDemo?: { showAccount: () => Promise<void> };
  }
}

export function App({ link }: { link: Link | null }) {
  return (
    <MessagesProvider>
      <Page link={link} />
    </MessagesProvider>
  );
}

/** The second step of a sign-in in progress. */
interface SecondStep {
  mfaToken: string;
  methods: string[];
  expiresIn: number;
}

/** "5 min", "24 h": how long a code or a link works. */
function duration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${seconds} s`;
}

function fields(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  new FormData(form).forEach((value, key) => {
    if (typeof value === "string") values[key] = value;
  });
  return values;
}

function Page({ link }: { link: Link | null }) {
  const auth = useAuthClient();
  const session = useSession();
  const { showProblem, notify, clear } = useMessages();
  const [secondStep, setSecondStep] = useState<SecondStep | null>(null);
  // Whether the account has a second factor on, as far as this page knows
  // (`/auth/me` does not say): null when unknown (after a reload).
  const [secondFactorOn, setSecondFactorOn] = useState<boolean | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [resetToken, setResetToken] = useState<string | null>(null);
  const [signInLogin, setSignInLogin] = useState<{ login: string; focus: "login" | "password" } | null>(null);
  const signedIn = session.status === "signed-in";

  // Refreshes this tab made (the browser test reads them).
  useEffect(
    () =>
      auth.subscribe((event) => {
        if (event.type !== "refreshed") return;
        document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes ?? 0) + 1);
      }),
    [auth],
  );

  // Signed out (here or in another tab): what was shown once goes.
  useEffect(() => {
    if (session.status === "signed-out") {
      setRecoveryCodes(null);
      setSecondFactorOn(null);
    }
    if (session.status === "signed-in") setSecondStep(null);
  }, [session.status]);

  // A failure to load the account that is not being signed out (a 503).
  useEffect(() => {
    if (session.problem) showProblem(session.problem);
  }, [session.problem, showProblem]);

  // Reload the account when the tab comes back into view.
  useEffect(() => {
    const again = () => {
      if (document.visibilityState === "visible" && signedIn) void session.reload();
    };
    document.addEventListener("visibilitychange", again);
    return () => document.removeEventListener("visibilitychange", again);
  }, [signedIn, session]);

  // An email's link, once.
  const followed = useRef(false);
  useEffect(() => {
    if (!link || followed.current) return;
    followed.current = true;
    if (link.page === "reset-password") setResetToken(link.token);
    else
      auth.verifyEmail(link.token).then(
        ({ email }) => notify(`Email ${email} verified.`),
        (error: unknown) => showProblem(error),
      );
  }, [auth, link, notify, showProblem]);

  /** A sign-in's answer: signed in, or a second step to take first. */
  const signInAnswered = useCallback(
    (outcome: SignInOutcome, form: HTMLFormElement) => {
      form.reset();
      if (outcome.mfaRequired) {
        setSecondStep({ mfaToken: outcome.mfaToken, methods: outcome.methods, expiresIn: outcome.expiresIn });
        return;
      }
      // Signed in at once: the account has no second factor.
      setSecondFactorOn(false);
    },
    [],
  );

  /** A new password is set, every session ended: back to the sign-in form. */
  const passwordSet = useCallback(
    (login = "") => {
      setResetToken(null);
      setSignInLogin({ login, focus: login ? "password" : "login" });
      notify("Password set: sign in with it.", "sign-in");
    },
    [notify],
  );

  const showSecondStep = !signedIn && secondStep !== null;
  return (
    <>
      <header>
        <h1>Auth service</h1>
        <p>
          The reference for the React app: a React app on <code>@logistics/auth-client</code> in cookie mode (tokens in
          HttpOnly cookies, a CSRF header on every change), refreshing once across tabs. The API itself:{" "}
          <a href="/api/v1/docs">reference</a>.
        </p>
      </header>

      <Messages />

      <main>
        <ResetByLink token={resetToken} onDone={() => passwordSet()} />
        <SecondStepForm
          step={showSecondStep ? secondStep : null}
          onSignedIn={() => {
            setSecondStep(null);
            setSecondFactorOn(true);
          }}
          onCancel={() => {
            clear();
            setSecondStep(null);
            setSignInLogin({ login: "", focus: "login" });
          }}
          onExpired={() => {
            setSecondStep(null);
            notify("The second step timed out: sign in again.", "sign-in");
          }}
        />
        <SignedOut
          hidden={signedIn || showSecondStep}
          signInLogin={signInLogin}
          onSignIn={signInAnswered}
          onPasswordSet={passwordSet}
        />
        <SignedIn
          hidden={!signedIn}
          secondFactorOn={secondFactorOn}
          setSecondFactorOn={setSecondFactorOn}
          recoveryCodes={recoveryCodes}
          setRecoveryCodes={setRecoveryCodes}
        />
      </main>
    </>
  );
}

// --- Signed out ------------------------------------------------------------------

function SignedOut({
  hidden,
  signInLogin,
  onSignIn,
  onPasswordSet,
}: {
  hidden: boolean;
  signInLogin: { login: string; focus: "login" | "password" } | null;
  onSignIn: (outcome: SignInOutcome, form: HTMLFormElement) => void;
  onPasswordSet: (login?: string) => void;
}) {
  const auth = useAuthClient();
  const { showProblem, notify, clear } = useMessages();
  const [recoveryOpen, setRecoveryOpen] = useState(false);
  const [byCodeShown, setByCodeShown] = useState(false);
  const signIn = useRef<HTMLFormElement>(null);
  const recoveryRequest = useRef<HTMLFormElement>(null);
  const recoveryByCode = useRef<HTMLFormElement>(null);

  // After a password is set: the sign-in form, with the login filled in.
  useEffect(() => {
    if (!signInLogin || !signIn.current) return;
    for (const form of [recoveryRequest.current, recoveryByCode.current]) form?.reset();
    setRecoveryOpen(false);
    setByCodeShown(false);
    const form = signIn.current;
    form.reset();
    const login = form.elements.namedItem("login") as HTMLInputElement;
    login.value = signInLogin.login;
    (form.elements.namedItem(signInLogin.focus) as HTMLInputElement).focus();
  }, [signInLogin]);

  const submit =
    (handler: (form: HTMLFormElement, values: Record<string, string>, submitter: string) => Promise<void>) =>
    async (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      clear();
      const form = event.currentTarget;
      const submitter = (event.nativeEvent as SubmitEvent).submitter?.getAttribute("name") ?? "";
      try {
        await handler(form, fields(form), submitter);
      } catch (error) {
        showProblem(error, form.id);
      }
    };

  const looksLikePhone = (text: string) => /^\+?[\d\s()-]{6,}$/.test(text.trim());

  return (
    <section id="signed-out" hidden={hidden}>
      <form
        id="sign-in"
        ref={signIn}
        onSubmit={submit(async (form, { login = "", password = "" }) => {
          onSignIn(await auth.login({ login, password }), form);
        })}
      >
        <h2>Sign in</h2>
        <label>
          Login, phone or email <input name="login" autoComplete="username" required />
        </label>
        <label>
          Password <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit">Sign in</button>
        <button
          type="button"
          id="forgot"
          className="link"
          aria-controls="recovery"
          aria-expanded={recoveryOpen}
          onClick={() => {
            const opening = !recoveryOpen;
            setRecoveryOpen(opening);
            if (!opening) return;
            const login = recoveryRequest.current?.elements.namedItem("login") as HTMLInputElement | null;
            const typed = (signIn.current?.elements.namedItem("login") as HTMLInputElement | null)?.value ?? "";
            if (login && !login.value) login.value = typed;
            // Focus once the form is shown.
            setTimeout(() => login?.focus());
          }}
        >
          Forgot your password?
        </button>
        <Messages at="sign-in" />
      </form>

      <div id="recovery" hidden={!recoveryOpen}>
        {/* The same answer for any login, known or not: the page cannot tell either. */}
        <form
          id="recovery-request"
          ref={recoveryRequest}
          onSubmit={submit(async (form, { login = "" }) => {
            const sent = await auth.requestRecovery(login);
            setByCodeShown(true);
            const phone = recoveryByCode.current?.elements.namedItem("phone") as HTMLInputElement | null;
            if (phone && looksLikePhone(login) && !phone.value) phone.value = login;
            notify(
              "If this login belongs to an account with a verified phone or email, a code or a link is on its way " +
                `(the code works for ${duration(sent.code_expires_in)}, the link for ${duration(sent.link_expires_in)}).`,
              form.id,
            );
          })}
        >
          <h2>Forgot your password?</h2>
          <p className="hint">
            A code goes by SMS to your account's verified phone, and a link to each of its verified emails. Either sets
            a new password.
          </p>
          <label>
            Login, phone or email <input name="login" autoComplete="username" required />
          </label>
          <button type="submit">Send me a code or a link</button>
          <Messages at="recovery-request" />
        </form>

        <form
          id="recovery-by-code"
          ref={recoveryByCode}
          hidden={!byCodeShown}
          onSubmit={submit(async (_form, { phone = "", code = "", new_password = "" }) => {
            await auth.completeRecovery({ phone, code, new_password });
            onPasswordSet(phone);
          })}
        >
          <h2>Set a new password with the code by SMS</h2>
          <label>
            Phone <input name="phone" autoComplete="tel" required />
          </label>
          <label>
            Code <input name="code" inputMode="numeric" autoComplete="one-time-code" required />
          </label>
          <label>
            New password <input name="new_password" type="password" autoComplete="new-password" required />
          </label>
          <button type="submit">Set my new password</button>
          <Messages at="recovery-by-code" />
        </form>
      </div>

      <form
        id="sign-in-by-code"
        onSubmit={submit(async (form, { phone = "", code = "" }, submitter) => {
          if (submitter === "send") {
            const sent = await auth.requestCode({ phone, purpose: "login" });
            notify(`If this phone has an account, a code is on its way. You can ask again in ${sent.resend_after} s.`);
          } else {
            onSignIn(await auth.loginWithCode(phone, code), form);
          }
        })}
      >
        <h2>Sign in with a code by SMS</h2>
        <label>
          Phone <input name="phone" autoComplete="tel" required />
        </label>
        <button type="submit" name="send">
          Send me a code
        </button>
        <label>
          Code <input name="code" inputMode="numeric" autoComplete="one-time-code" />
        </label>
        <button type="submit" name="verify">
          Sign in with the code
        </button>
        <Messages at="sign-in-by-code" />
      </form>

      <form
        id="sign-up"
        onSubmit={submit(async (form, values) => {
          await auth.register({
            second_login: values.second_login ?? "",
            phone: values.phone ?? "",
            password: values.password ?? "",
            group_names: ["customer"],
            interface: "customer_app",
            ...(values.email ? { email: values.email } : {}),
          });
          onSignIn({ mfaRequired: false, expiresIn: 0 }, form);
        })}
      >
        <h2>Sign up</h2>
        <label>
          Login <input name="second_login" autoComplete="username" required />
        </label>
        <label>
          Phone <input name="phone" autoComplete="tel" required />
        </label>
        <label>
          Email (optional) <input name="email" type="email" autoComplete="email" />
        </label>
        <label>
          Password <input name="password" type="password" autoComplete="new-password" required />
        </label>
        <button type="submit">Create my account</button>
        <Messages at="sign-up" />
      </form>
    </section>
  );
}

/** Opened by the link of a recovery email: `{base}/reset-password#token=…`. */
function ResetByLink({ token, onDone }: { token: string | null; onDone: () => void }) {
  const auth = useAuthClient();
  const { showProblem, clear } = useMessages();
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (token) (form.current?.elements.namedItem("new_password") as HTMLInputElement | null)?.focus();
  }, [token]);
  return (
    <section id="reset-by-link" hidden={token === null}>
      <form
        id="new-password-by-link"
        ref={form}
        onSubmit={async (event) => {
          event.preventDefault();
          clear();
          const target = event.currentTarget;
          const { new_password = "" } = fields(target);
          try {
            await auth.completeRecovery({ token: token ?? "", new_password });
            target.reset();
            onDone();
          } catch (error) {
            showProblem(error, target.id);
          }
        }}
      >
        <h2>Set a new password</h2>
        <p className="hint">
          From the link in your email: it works once, for a limited time. Every session of your account ends; then sign
          in with the new password.
        </p>
        <label>
          New password <input name="new_password" type="password" autoComplete="new-password" required />
        </label>
        <button type="submit">Set my new password</button>
        <Messages at="new-password-by-link" />
      </form>
    </section>
  );
}

// --- Codes from the app, or recovery codes -------------------------------------------

/** The fields of a form that takes a code from the app or, switched, a
 * recovery code: the other field is disabled (so neither required nor sent). */
function CodeFields({ recovery }: { recovery: boolean }) {
  return (
    <>
      <label className="by-app" hidden={recovery}>
        Code from the app{" "}
        <input
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          required
          disabled={recovery}
        />
      </label>
      <label className="by-recovery-code" hidden={!recovery}>
        Recovery code{" "}
        <input name="recovery_code" autoComplete="off" spellCheck={false} disabled={!recovery} required={recovery} />
      </label>
    </>
  );
}

/** Switches a form between the two fields of `CodeFields`. */
function SwitchCode({ recovery, hidden = false, onSwitch }: { recovery: boolean; hidden?: boolean; onSwitch: () => void }) {
  return (
    <button type="button" className="link switch-code" hidden={hidden} onClick={onSwitch}>
      {recovery ? "Use a code from the app instead" : "Use a recovery code instead"}
    </button>
  );
}

/** `{code}` or `{recovery_code}`, as the form is switched. */
function secondAnswer(values: Record<string, string>, recovery: boolean) {
  return recovery ? { recovery_code: (values.recovery_code ?? "").trim() } : { code: (values.code ?? "").trim() };
}

function focusCode(form: HTMLFormElement | null, recovery: boolean) {
  setTimeout(() => (form?.elements.namedItem(recovery ? "recovery_code" : "code") as HTMLInputElement | null)?.focus());
}

// --- The second step of a sign-in ------------------------------------------------------

function SecondStepForm({
  step,
  onSignedIn,
  onCancel,
  onExpired,
}: {
  step: SecondStep | null;
  onSignedIn: () => void;
  onCancel: () => void;
  onExpired: () => void;
}) {
  const auth = useAuthClient();
  const { showProblem, clear } = useMessages();
  const [recovery, setRecovery] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const offersRecoveryCodes = step?.methods.includes("recovery_code") ?? false;

  // A new second step (and only that): the form afresh, and its time limit
  // (past it the token is refused: back to the first step then).
  const expired = useRef(onExpired);
  useEffect(() => {
    expired.current = onExpired;
  });
  useEffect(() => {
    if (!step) return;
    form.current?.reset();
    setRecovery(false);
    focusCode(form.current, false);
    const timer = setTimeout(() => expired.current(), step.expiresIn * 1000);
    return () => clearTimeout(timer);
  }, [step]);

  return (
    <section id="second-step" hidden={step === null}>
      <form
        id="second-step-form"
        ref={form}
        data-using={recovery ? "recovery_code" : "code"}
        onSubmit={async (event) => {
          event.preventDefault();
          clear();
          if (!step) return;
          const target = event.currentTarget;
          try {
            await auth.loginSecondFactor(step.mfaToken, secondAnswer(fields(target), recovery));
            target.reset();
            onSignedIn();
          } catch (error) {
            // A wrong code is refused (401) and the form stays; too many (429) say when to try again.
            showProblem(error, target.id);
          }
        }}
      >
        <h2>Second step</h2>
        <p className="hint" id="second-step-hint">
          {step &&
            "Your account has a second factor: enter the code your authenticator app shows" +
              (offersRecoveryCodes ? ", or one of your recovery codes" : "") +
              ` (this step works for ${duration(step.expiresIn)}).`}
        </p>
        <CodeFields recovery={recovery} />
        <button type="submit">Sign in</button>
        <SwitchCode
          recovery={recovery}
          hidden={!offersRecoveryCodes}
          onSwitch={() => {
            setRecovery(!recovery);
            focusCode(form.current, !recovery);
          }}
        />
        <button type="button" id="second-step-cancel" className="link" onClick={onCancel}>
          Back to sign in
        </button>
        <Messages at="second-step-form" />
      </form>
    </section>
  );
}

// --- Signed in -------------------------------------------------------------------

const KINDS: Record<string, string> = { second_login: "Login", phone: "Phone", email: "Email" };

function SignedIn({
  hidden,
  secondFactorOn,
  setSecondFactorOn,
  recoveryCodes,
  setRecoveryCodes,
}: {
  hidden: boolean;
  secondFactorOn: boolean | null;
  setSecondFactorOn: (on: boolean) => void;
  recoveryCodes: string[] | null;
  setRecoveryCodes: (codes: string[] | null) => void;
}) {
  const auth = useAuthClient();
  const { user, status, reload } = useSession();
  const { showProblem, notify, clear } = useMessages();
  const [sessions, setSessions] = useState<Session[]>([]);

  const showSessions = useCallback(async () => {
    try {
      setSessions(await auth.sessions());
    } catch (error) {
      showProblem(error);
    }
  }, [auth, showProblem]);

  // The sessions, each time the account is (re)loaded.
  useEffect(() => {
    if (status === "signed-in" && user) void showSessions();
  }, [status, user, showSessions]);

  useEffect(() => {
    window.authDemo = { showAccount: reload };
  }, [reload]);

  /** An action of the signed-in part: messages cleared first (and the
   * recovery codes, shown until the next action); a problem shown `near`. */
  const act = (near: string | null, action: () => Promise<void>) => async () => {
    clear();
    setRecoveryCodes(null);
    try {
      await action();
    } catch (error) {
      showProblem(error, near);
    }
  };

  const signOut = (all: boolean) =>
    act(null, async () => {
      await auth.logout(all);
      notify(all ? "Signed out everywhere." : "Signed out.");
    });

  const contacts: Contact[] = user?.contacts ?? [];
  return (
    <section id="signed-in" hidden={hidden}>
      <h2>
        Signed in as <span id="who">{user?.second_login ?? ""}</span>
      </h2>
      <p id="roles">{user ? `Roles: ${user.roles.join(", ")}` : ""}</p>
      <button id="sign-out" onClick={signOut(false)}>
        Sign out
      </button>
      <button id="sign-out-everywhere" onClick={signOut(true)}>
        Sign out everywhere
      </button>

      <div id="contacts-box">
        <h3>My contacts</h3>
        {/* Only verified phones and emails receive sign-in codes and the way
            back from a forgotten password; an unverified email can ask for
            its link again. */}
        <ul id="contacts">
          {contacts.map((contact) => (
            <li key={contact.id} data-type={contact.type} data-value={contact.value}>
              <span className="kind">{KINDS[contact.type] ?? contact.type}</span>
              {contact.value}
              {(contact.type === "phone" || contact.type === "email") && (
                <span className={`state ${contact.verified ? "verified" : "unverified"}`}>
                  {contact.verified ? "verified" : "unverified"}
                </span>
              )}
              {contact.type === "email" && !contact.verified && (
                <button
                  className="resend-link"
                  onClick={act("contacts-box", async () => {
                    const { expires_in } = await auth.requestEmailVerification(contact.value);
                    notify(`A new link is on its way to ${contact.value}: it works for ${duration(expires_in)}.`, "contacts-box");
                  })}
                >
                  Send the link again
                </button>
              )}
            </li>
          ))}
        </ul>
        <Messages at="contacts-box" />
      </div>

      <h3>My sessions</h3>
      <table id="sessions">
        <thead>
          <tr>
            <th>Started</th>
            <th>Last used</th>
            <th>Device</th>
            <th>IP</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id} className={s.current ? "current" : ""} data-session={s.id}>
              <td>{new Date(s.created_at).toLocaleString()}</td>
              <td>{new Date(s.last_used_at).toLocaleString()}</td>
              <td>{s.user_agent ?? ""}</td>
              <td>{s.ip ?? ""}</td>
              <td>
                {s.current ? (
                  "this one"
                ) : (
                  <button
                    className="revoke"
                    onClick={act(null, async () => {
                      await auth.revokeSession(s.id);
                      notify("That session has ended.");
                      await showSessions();
                    })}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <form
        id="change-password"
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const { current_password, new_password = "" } = fields(form);
          void act(form.id, async () => {
            await auth.changePassword({ new_password, ...(current_password ? { current_password } : {}) });
            form.reset();
            notify("Your password is changed; your other sessions have ended.");
            await showSessions();
          })();
        }}
      >
        <h3>Change my password</h3>
        <label>
          Current password <input name="current_password" type="password" autoComplete="current-password" />
        </label>
        <label>
          New password <input name="new_password" type="password" autoComplete="new-password" required />
        </label>
        <button type="submit">Change it</button>
        <Messages at="change-password" />
      </form>

      <SecondFactor
        on={secondFactorOn}
        setOn={setSecondFactorOn}
        recoveryCodes={recoveryCodes}
        setRecoveryCodes={setRecoveryCodes}
        signedIn={!hidden}
        onChanged={showSessions}
      />
    </section>
  );
}

// --- The second factor, signed in -----------------------------------------------------

function SecondFactor({
  on,
  setOn,
  recoveryCodes,
  setRecoveryCodes,
  signedIn,
  onChanged,
}: {
  on: boolean | null;
  setOn: (on: boolean) => void;
  recoveryCodes: string[] | null;
  setRecoveryCodes: (codes: string[] | null) => void;
  signedIn: boolean;
  onChanged: () => Promise<void>;
}) {
  const auth = useAuthClient();
  const { showProblem, notify, clear } = useMessages();
  const [enrolment, setEnrolment] = useState<{ secret: string; qr: string } | null>(null);
  const [offByRecoveryCode, setOffByRecoveryCode] = useState(false);
  const confirm = useRef<HTMLFormElement>(null);
  const off = useRef<HTMLFormElement>(null);
  const setup = useRef<HTMLDivElement>(null);
  const codes = useRef<HTMLDivElement>(null);

  // Signed out: the enrolment's secret and QR code leave the page.
  useEffect(() => {
    if (!signedIn) setEnrolment(null);
  }, [signedIn]);

  useEffect(() => {
    if (enrolment) {
      setup.current?.scrollIntoView({ block: "nearest" });
      focusCode(confirm.current, false);
    }
  }, [enrolment]);
  useEffect(() => {
    if (recoveryCodes) codes.current?.scrollIntoView({ block: "nearest" });
  }, [recoveryCodes]);

  const enrolling = enrolment !== null;
  const submit =
    (handler: (form: HTMLFormElement, values: Record<string, string>) => Promise<void>) =>
    async (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      clear();
      setRecoveryCodes(null);
      const form = event.currentTarget;
      try {
        await handler(form, fields(form));
      } catch (error) {
        showProblem(error, form.id);
      }
    };

  return (
    <div id="second-factor">
      <h3>Second factor</h3>
      <p className="hint" id="second-factor-state">
        {on === true
          ? "On: signing in asks for a code from your authenticator app after your password or SMS code."
          : on === false
            ? "Off: your password or a code by SMS alone signs you in."
            : "Turn it on or off below; if that does not apply, the service says so."}
      </p>

      <form
        id="mfa-enrol"
        hidden={on === true || enrolling}
        onSubmit={submit(async (form, { current_password }) => {
          setEnrolment(null);
          const { secret, qr_svg } = await auth.enrolTotp(current_password ? { current_password } : {});
          form.reset();
          setEnrolment({ secret, qr: qr_svg });
        })}
      >
        <h3>Turn on a second factor</h3>
        <p className="hint">
          An authenticator app shows a new 6-digit code every 30 s: signing in then asks for it after your password or
          SMS code.
        </p>
        <label>
          Current password <input name="current_password" type="password" autoComplete="current-password" />
        </label>
        <button type="submit">Set up an authenticator app</button>
        <Messages at="mfa-enrol" />
      </form>

      <div id="mfa-setup" className="box" hidden={!enrolling} ref={setup}>
        <h3>Add this account to your authenticator app</h3>
        <p className="hint">Scan the QR code, or type the key in. Then enter the code the app shows.</p>
        <QrCode markup={enrolment?.qr ?? null} />
        <p>
          Key: <code id="mfa-secret">{enrolment?.secret ?? ""}</code>
        </p>
        <form
          id="mfa-confirm"
          ref={confirm}
          onSubmit={submit(async (form, { code = "" }) => {
            // On: the recovery codes, shown this once; the other sessions end.
            const recovery = await auth.confirmTotp(code.trim());
            form.reset();
            setEnrolment(null);
            setOn(true);
            setRecoveryCodes(recovery);
            notify("The second factor is on; your other sessions have ended.", "second-factor");
            await onChanged();
          })}
        >
          <label>
            Code from the app{" "}
            <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
          </label>
          <button type="submit">Turn it on</button>
          <button
            type="button"
            id="mfa-cancel"
            className="link"
            onClick={() => {
              clear();
              setEnrolment(null);
            }}
          >
            Cancel
          </button>
          <Messages at="mfa-confirm" />
        </form>
      </div>

      <div id="recovery-codes" className="box" hidden={recoveryCodes === null} ref={codes}>
        <h3>Your recovery codes</h3>
        <p>
          <strong>Store them now, they are not shown again.</strong> Each one signs you in once in place of a code from
          the app, should you lose it.
        </p>
        <ol>
          {(recoveryCodes ?? []).map((code) => (
            <li key={code}>
              <code>{code}</code>
            </li>
          ))}
        </ol>
      </div>

      <form
        id="mfa-off"
        ref={off}
        hidden={on === false || enrolling}
        data-using={offByRecoveryCode ? "recovery_code" : "code"}
        onSubmit={submit(async (form, values) => {
          // Off with the password and a code (or a recovery code); the other sessions end.
          const { current_password } = values;
          await auth.removeTotp({
            ...secondAnswer(values, offByRecoveryCode),
            ...(current_password ? { current_password } : {}),
          });
          form.reset();
          setOffByRecoveryCode(false);
          setOn(false);
          notify("The second factor is off; your other sessions have ended.", "second-factor");
          await onChanged();
        })}
      >
        <h3>Turn off the second factor</h3>
        <label>
          Current password <input name="current_password" type="password" autoComplete="current-password" />
        </label>
        <CodeFields recovery={offByRecoveryCode} />
        <button type="submit">Turn it off</button>
        <SwitchCode
          recovery={offByRecoveryCode}
          onSwitch={() => {
            setOffByRecoveryCode(!offByRecoveryCode);
            focusCode(off.current, !offByRecoveryCode);
          }}
        />
        <Messages at="mfa-off" />
      </form>
      <Messages at="second-factor" />
    </div>
  );
}

/** The QR code comes from this service as SVG markup: parsed as an image,
 * never as HTML of this page. */
function QrCode({ markup }: { markup: string | null }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = box.current;
    if (!target) return;
    target.replaceChildren();
    if (!markup) return;
    const svg = new DOMParser().parseFromString(markup, "image/svg+xml").documentElement;
    if (svg.nodeName !== "svg") return;
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "QR code for your authenticator app");
    target.replaceChildren(document.importNode(svg, true));
  }, [markup]);
  return <div id="mfa-qr" ref={box} />;
}

