// The demo pages: how a browser app uses the auth service in cookie mode.
//
// - Every call sends `X-Auth-Mode: cookie`: tokens travel only in HttpOnly
//   cookies the page never sees; sign-in answers carry no token.
// - Every change (POST, PATCH, DELETE) sends `X-CSRF-Token`, a copy of the
//   readable `csrf_token` cookie (double submit); over HTTPS it is named
//   `__Host-csrf_token`, a name only this host can set.
// - A 401 is answered by one refresh, then the call is tried once more. The
//   refresh token rotates, so two tabs must never present the same one: the
//   refresh runs under a Web Lock shared by every tab of this origin, and a
//   tab whose refused call went out before another refresh sees the CSRF
//   cookie changed since (every refresh sets a new one) and does not
//   refresh again. A BroadcastChannel tells the
//   other tabs about sign-ins and sign-outs.
// - The links of emails open this page too: `/verify-email#token=…` and
//   `/reset-password#token=…`. The token rides in the fragment, which the
//   browser sends to no server (nor in a Referer); the page reads it once
//   and takes it out of the address bar and the history entry at once.
// - Calls made signed out (sign-in, recovery, following a link) cannot be
//   helped by a refresh: a 401 from them is the answer. Nor can a 401 that
//   refuses a code the call carried (a second factor's): only one that
//   refuses the token itself (`urn:auth:problem:unauthenticated`).
// - The second factor (TOTP): a sign-in may answer `mfa_required` with an
//   `mfa_token` instead of a session; the page keeps that token in memory
//   only and asks for a code from the app (or a recovery code). The secret
//   and QR code of an enrolment, and the recovery codes, are shown once and
//   never stored; the next action on the page takes them away.
"use strict";

const API = "/api/v1";
const channel = new BroadcastChannel("auth-demo");
// Refreshes this tab made (the browser test reads it).
let refreshes = 0;

function csrf() {
  const match = document.cookie.match(/(?:^|; )(?:__Host-)?csrf_token=([^;]*)/);
  return match ? match[1] : "";
}

const NO_REFRESH = [
  "/auth/login",
  "/auth/register",
  "/auth/refresh",
  "/auth/otp/request",
  "/auth/otp/verify",
  "/auth/recovery",
  "/auth/recovery/complete",
  "/auth/email/verify",
  "/auth/login/mfa",
];

async function call(method, path, body, retried = false) {
  // The tokens this call goes out with: each refresh sets a new CSRF
  // cookie along with them, so this names them.
  const sentWith = csrf();
  const headers = { "x-auth-mode": "cookie" };
  if (method !== "GET") headers["x-csrf-token"] = sentWith;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(API + path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && !retried && !NO_REFRESH.includes(path) && (await tokenRefused(response))) {
    if (await refreshOnce(sentWith)) return call(method, path, body, true);
  }
  return response;
}

// Whether a 401 refuses the access token (expired, or its session ended),
// not a code the call carried (`urn:auth:problem:invalid-code`).
async function tokenRefused(response) {
  try {
    return (await response.clone().json()).type === "urn:auth:problem:unauthenticated";
  } catch (_) {
    return true;
  }
}

// One refresh for every tab (see the top of this file): `sentWith` is the
// CSRF cookie the refused call went out with; if it has changed since,
// another tab (or call) refreshed after that call left, and its tokens are
// the ones to use.
async function refreshOnce(sentWith) {
  return navigator.locks.request("auth-demo-refresh", async () => {
    const now = csrf();
    if (now && now !== sentWith) return true;
    const response = await fetch(API + "/auth/refresh", {
      method: "POST",
      headers: { "x-auth-mode": "cookie", "x-csrf-token": now },
      credentials: "same-origin",
    });
    if (!response.ok) {
      channel.postMessage("signed-out");
      return false;
    }
    refreshes += 1;
    document.body.dataset.refreshes = String(refreshes);
    return true;
  });
}

// --- What the page shows -------------------------------------------------

const $ = (selector) => document.querySelector(selector);

function clearMessages() {
  $("#problem").hidden = true;
  $("#notice").hidden = true;
  // Shown once, until the next action.
  hideRecoveryCodes();
}

// A message of success, next to what was done (`near`: a form or a box),
// else at the page's top.
function notice(text, near = null) {
  const box = $("#notice");
  box.textContent = text;
  if (near) near.append(box);
  else $("main").before(box);
  box.hidden = false;
  if (near) box.scrollIntoView({ block: "nearest" });
}

// "5 min", "24 h": how long a code or a link works.
function duration(seconds) {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${seconds} s`;
}

// An RFC 9457 problem, shown as the API wrote it — title, detail, and each
// invalid field — next to what was done (the form, else the page's top).
async function showProblem(response, near = null) {
  let problem = {};
  try {
    problem = await response.json();
  } catch (_) {
    problem = { title: "Something went wrong", detail: `The service answered ${response.status}.` };
  }
  const box = $("#problem");
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = problem.title || `Error ${response.status}`;
  box.append(title, document.createTextNode(" " + (problem.detail || "")));
  if (Array.isArray(problem.errors) && problem.errors.length) {
    const list = document.createElement("ul");
    for (const error of problem.errors) {
      const item = document.createElement("li");
      item.textContent = `${error.field}: ${error.message}`;
      list.append(item);
    }
    box.append(list);
  }
  if (near) near.append(box);
  else $("main").before(box);
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

function showSignedOut() {
  $("#signed-in").hidden = true;
  hideEnrolment();
  hideRecoveryCodes();
  secondFactorOn = null;
  // A second step in progress stays on screen (another tab signing out
  // does not end it).
  $("#second-step").hidden = mfaToken === null;
  $("#signed-out").hidden = mfaToken !== null;
}

async function showAccount() {
  const me = await call("GET", "/auth/me");
  if (!me.ok) {
    if (me.status !== 401) await showProblem(me);
    showSignedOut();
    return;
  }
  const account = await me.json();
  $("#who").textContent = account.second_login;
  $("#roles").textContent = "Roles: " + account.roles.join(", ");
  showContacts(account.contacts || []);
  showSecondFactor();
  forgetSecondStep();
  $("#second-step").hidden = true;
  $("#signed-out").hidden = true;
  $("#signed-in").hidden = false;
  await showSessions();
}

const KINDS = { second_login: "Login", phone: "Phone", email: "Email" };

// The account's contacts, phones and emails verified or not: only verified
// ones receive sign-in codes and the way back from a forgotten password.
// An unverified email can ask for its link again.
function showContacts(contacts) {
  const items = contacts.map((contact) => {
    const item = document.createElement("li");
    item.dataset.type = contact.type;
    item.dataset.value = contact.value;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = KINDS[contact.type] || contact.type;
    item.append(kind, document.createTextNode(contact.value));
    if (contact.type === "phone" || contact.type === "email") {
      const state = document.createElement("span");
      state.className = "state " + (contact.verified ? "verified" : "unverified");
      state.textContent = contact.verified ? "verified" : "unverified";
      item.append(state);
    }
    if (contact.type === "email" && !contact.verified) {
      const resend = document.createElement("button");
      resend.className = "resend-link";
      resend.textContent = "Send the link again";
      resend.addEventListener("click", () => resendLink(contact.value));
      item.append(resend);
    }
    return item;
  });
  $("#contacts").replaceChildren(...items);
}

async function resendLink(email) {
  clearMessages();
  const answer = await call("POST", "/auth/email/verification", { email });
  if (!answer.ok) return showProblem(answer, $("#contacts-box"));
  const { expires_in } = await answer.json();
  notice(`A new link is on its way to ${email}: it works for ${duration(expires_in)}.`, $("#contacts-box"));
}

async function showSessions() {
  const response = await call("GET", "/auth/sessions");
  if (!response.ok) return showProblem(response);
  const { sessions } = await response.json();
  const rows = sessions.map((session) => {
    const row = document.createElement("tr");
    row.className = session.current ? "current" : "";
    row.dataset.session = session.id;
    for (const text of [
      new Date(session.created_at).toLocaleString(),
      new Date(session.last_used_at).toLocaleString(),
      session.user_agent || "",
      session.ip || "",
    ]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    const cell = document.createElement("td");
    if (session.current) {
      cell.textContent = "this one";
    } else {
      const revoke = document.createElement("button");
      revoke.textContent = "Revoke";
      revoke.className = "revoke";
      revoke.addEventListener("click", async () => {
        clearMessages();
        const answer = await call("DELETE", `/auth/sessions/${session.id}`);
        if (!answer.ok) return showProblem(answer);
        notice("That session has ended.");
        await showSessions();
      });
      cell.append(revoke);
    }
    row.append(cell);
    return row;
  });
  $("#sessions tbody").replaceChildren(...rows);
}

function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// --- The forms -------------------------------------------------------------

// A sign-in's answer: signed in, or (for an account with a second factor)
// a second step to take first. Signed in at once, the account has no
// second factor; after the second step, it has one.
async function signedIn(response, form, secondFactor = false) {
  if (!response.ok) return showProblem(response, form);
  let answer = {};
  try {
    answer = await response.json();
  } catch (_) {
    // A sign-in's body says nothing the page needs.
  }
  if (answer.mfa_required) return askSecondStep(answer, form);
  form.reset();
  secondFactorOn = secondFactor;
  channel.postMessage("signed-in");
  await showAccount();
}

$("#sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const { login, password } = fields(event.target);
  await signedIn(await call("POST", "/auth/login", { login, password }), event.target);
});

// --- The second step of a sign-in ---------------------------------------------

// Its `mfa_token`, in memory only (never in storage): gone with the tab.
let mfaToken = null;
let mfaTokenExpiry = null;

function askSecondStep(challenge, firstStep) {
  forgetSecondStep();
  mfaToken = challenge.mfa_token;
  // Past its lifetime the token is refused: back to the first step then.
  mfaTokenExpiry = setTimeout(() => {
    if ($("#second-step").hidden) return;
    forgetSecondStep();
    showSignedOut();
    notice("The second step timed out: sign in again.", $("#sign-in"));
  }, challenge.expires_in * 1000);
  const form = $("#second-step-form");
  form.reset();
  useRecoveryCode(form, false);
  const methods = challenge.methods || [];
  form.querySelector(".switch-code").hidden = !methods.includes("recovery_code");
  $("#second-step-hint").textContent =
    "Your account has a second factor: enter the code your authenticator app shows" +
    (methods.includes("recovery_code") ? ", or one of your recovery codes" : "") +
    ` (this step works for ${duration(challenge.expires_in)}).`;
  firstStep.reset();
  showSignedOut();
  form.elements.code.focus();
}

function forgetSecondStep() {
  mfaToken = null;
  clearTimeout(mfaTokenExpiry);
  mfaTokenExpiry = null;
}

// A form that takes a code from the app or, switched, a recovery code:
// the other field is disabled (and so neither required nor sent).
function useRecoveryCode(form, recovery) {
  form.querySelector(".by-app").hidden = recovery;
  form.querySelector(".by-recovery-code").hidden = !recovery;
  form.elements.code.disabled = recovery;
  form.elements.recovery_code.disabled = !recovery;
  form.elements.recovery_code.required = recovery;
  form.querySelector(".switch-code").textContent = recovery
    ? "Use a code from the app instead"
    : "Use a recovery code instead";
  form.dataset.using = recovery ? "recovery_code" : "code";
}

for (const form of [$("#second-step-form"), $("#mfa-off")]) {
  form.querySelector(".switch-code").addEventListener("click", () => {
    const recovery = form.dataset.using !== "recovery_code";
    useRecoveryCode(form, recovery);
    (recovery ? form.elements.recovery_code : form.elements.code).focus();
  });
}

// `{code}` or `{recovery_code}`, as the form is switched.
function secondAnswer(form) {
  const { code, recovery_code } = fields(form);
  return form.dataset.using === "recovery_code"
    ? { recovery_code: recovery_code.trim() }
    : { code: code.trim() };
}

// A wrong code is refused (401) and the form stays; too many (429) say
// when to try again.
$("#second-step-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const form = event.target;
  const answer = await call("POST", "/auth/login/mfa", { mfa_token: mfaToken, ...secondAnswer(form) });
  if (!answer.ok) return showProblem(answer, form);
  forgetSecondStep();
  await signedIn(answer, form, true);
});

$("#second-step-cancel").addEventListener("click", () => {
  clearMessages();
  forgetSecondStep();
  showSignedOut();
  $("#sign-in").elements.login.focus();
});

// --- The second factor, signed in ---------------------------------------------

// Whether the account has a second factor on, as far as this page knows
// (`/auth/me` does not say): true, false, or null when unknown (after a
// reload), when both the way on and the way off are shown, and the service
// says which does not apply.
let secondFactorOn = null;

function showSecondFactor() {
  $("#second-factor-state").textContent =
    secondFactorOn === true
      ? "On: signing in asks for a code from your authenticator app after your password or SMS code."
      : secondFactorOn === false
        ? "Off: your password or a code by SMS alone signs you in."
        : "Turn it on or off below; if that does not apply, the service says so.";
  const enrolling = !$("#mfa-setup").hidden;
  $("#mfa-enrol").hidden = secondFactorOn === true || enrolling;
  $("#mfa-off").hidden = secondFactorOn === false || enrolling;
}

// The enrolment's secret and QR code leave the page.
function hideEnrolment() {
  $("#mfa-setup").hidden = true;
  $("#mfa-qr").replaceChildren();
  $("#mfa-secret").textContent = "";
  $("#mfa-confirm").reset();
}

function hideRecoveryCodes() {
  $("#recovery-codes").hidden = true;
  $("#recovery-codes ol").replaceChildren();
}

// The QR code comes from this service as SVG markup: parsed as an image,
// never as HTML of this page.
function showQr(markup) {
  const svg = new DOMParser().parseFromString(markup, "image/svg+xml").documentElement;
  if (svg.nodeName !== "svg") return;
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "QR code for your authenticator app");
  $("#mfa-qr").replaceChildren(document.importNode(svg, true));
}

$("#mfa-enrol").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  hideEnrolment();
  const { current_password } = fields(event.target);
  const body = current_password ? { current_password } : {};
  const answer = await call("POST", "/auth/mfa/totp", body);
  if (!answer.ok) return showProblem(answer, event.target);
  const { secret, qr_svg } = await answer.json();
  event.target.reset();
  showQr(qr_svg);
  $("#mfa-secret").textContent = secret;
  $("#mfa-setup").hidden = false;
  showSecondFactor();
  $("#mfa-setup").scrollIntoView({ block: "nearest" });
  $("#mfa-confirm").elements.code.focus();
});

$("#mfa-cancel").addEventListener("click", () => {
  clearMessages();
  hideEnrolment();
  showSecondFactor();
});

// On with a code from the app: the recovery codes, shown this once; the
// account's other sessions end.
$("#mfa-confirm").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const { code } = fields(event.target);
  const answer = await call("POST", "/auth/mfa/totp/confirm", { code: code.trim() });
  if (!answer.ok) return showProblem(answer, event.target);
  const { recovery_codes } = await answer.json();
  hideEnrolment();
  secondFactorOn = true;
  showSecondFactor();
  const items = recovery_codes.map((text) => {
    const item = document.createElement("li");
    const shown = document.createElement("code");
    shown.textContent = text;
    item.append(shown);
    return item;
  });
  $("#recovery-codes ol").replaceChildren(...items);
  $("#recovery-codes").hidden = false;
  notice("The second factor is on; your other sessions have ended.", $("#second-factor"));
  $("#recovery-codes").scrollIntoView({ block: "nearest" });
  await showSessions();
});

// Off with the password and a code (or a recovery code); the account's
// other sessions end.
$("#mfa-off").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const form = event.target;
  const { current_password } = fields(form);
  const body = secondAnswer(form);
  if (current_password) body.current_password = current_password;
  const answer = await call("DELETE", "/auth/mfa/totp", body);
  if (!answer.ok) return showProblem(answer, form);
  form.reset();
  useRecoveryCode(form, false);
  secondFactorOn = false;
  showSecondFactor();
  notice("The second factor is off; your other sessions have ended.", $("#second-factor"));
  await showSessions();
});

$("#sign-up").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const form = fields(event.target);
  const body = {
    second_login: form.second_login,
    phone: form.phone,
    password: form.password,
    group_names: ["customer"],
    interface: "customer_app",
  };
  if (form.email) body.email = form.email;
  await signedIn(await call("POST", "/auth/register", body), event.target);
});

$("#sign-in-by-code").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const { phone, code } = fields(event.target);
  if (event.submitter && event.submitter.name === "send") {
    const sent = await call("POST", "/auth/otp/request", { phone, purpose: "login" });
    if (!sent.ok) return showProblem(sent, event.target);
    const { resend_after } = await sent.json();
    notice(`If this phone has an account, a code is on its way. You can ask again in ${resend_after} s.`);
  } else {
    await signedIn(await call("POST", "/auth/otp/verify", { phone, code, purpose: "login" }), event.target);
  }
});

$("#change-password").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const form = fields(event.target);
  const body = { new_password: form.new_password };
  if (form.current_password) body.current_password = form.current_password;
  const answer = await call("POST", "/auth/password", body);
  if (!answer.ok) return showProblem(answer, event.target);
  event.target.reset();
  notice("Your password is changed; your other sessions have ended.");
  await showSessions();
});

// --- A forgotten password ----------------------------------------------------

$("#forgot").addEventListener("click", () => {
  const opening = $("#recovery").hidden;
  $("#recovery").hidden = !opening;
  $("#forgot").setAttribute("aria-expanded", String(opening));
  if (!opening) return;
  const login = $("#recovery-request").elements.login;
  if (!login.value) login.value = $("#sign-in").elements.login.value;
  login.focus();
});

const looksLikePhone = (text) => /^\+?[\d\s()-]{6,}$/.test(text.trim());

// The same answer for any login, known or not: the page cannot tell either.
$("#recovery-request").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const { login } = fields(event.target);
  const sent = await call("POST", "/auth/recovery", { login });
  if (!sent.ok) return showProblem(sent, event.target);
  const { code_expires_in, link_expires_in } = await sent.json();
  const byCode = $("#recovery-by-code");
  byCode.hidden = false;
  if (looksLikePhone(login) && !byCode.elements.phone.value) byCode.elements.phone.value = login;
  notice(
    "If this login belongs to an account with a verified phone or email, a code or a link is on its way " +
      `(the code works for ${duration(code_expires_in)}, the link for ${duration(link_expires_in)}).`,
    event.target,
  );
});

$("#recovery-by-code").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const { phone, code, new_password } = fields(event.target);
  const answer = await call("POST", "/auth/recovery/complete", { phone, code, new_password });
  if (!answer.ok) return showProblem(answer, event.target);
  passwordSet(phone);
});

// The token of the recovery link this page was opened with, once read.
let resetToken = null;

$("#new-password-by-link").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const { new_password } = fields(event.target);
  const answer = await call("POST", "/auth/recovery/complete", { token: resetToken, new_password });
  if (!answer.ok) return showProblem(answer, event.target);
  resetToken = null;
  passwordSet();
});

// A new password is set, and every session of the account has ended:
// back to the sign-in form.
function passwordSet(login = "") {
  for (const form of ["#recovery-request", "#recovery-by-code", "#new-password-by-link"]) $(form).reset();
  $("#recovery-by-code").hidden = true;
  $("#recovery").hidden = true;
  $("#forgot").setAttribute("aria-expanded", "false");
  $("#reset-by-link").hidden = true;
  showSignedOut();
  const signIn = $("#sign-in");
  signIn.reset();
  if (login) signIn.elements.login.value = login;
  notice("Password set: sign in with it.", signIn);
  (login ? signIn.elements.password : signIn.elements.login).focus();
}

// --- The links of emails ------------------------------------------------------

// `{page, token}` if the address carries a link's token (then taken out of
// the address bar and the history), else null.
function linkInAddress() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!token) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  return { page: location.pathname.replace(/\/+$/, ""), token };
}

async function verifyEmail(token) {
  const answer = await call("POST", "/auth/email/verify", { token });
  if (!answer.ok) return showProblem(answer);
  const { email } = await answer.json();
  notice(`Email ${email} verified.`);
  channel.postMessage("account-changed");
}

function askForNewPassword(token) {
  resetToken = token;
  $("#reset-by-link").hidden = false;
  $("#new-password-by-link").elements.new_password.focus();
}

async function signOut(all) {
  clearMessages();
  const answer = await call("POST", "/auth/logout", { all });
  if (!answer.ok && answer.status !== 401) return showProblem(answer);
  channel.postMessage("signed-out");
  showSignedOut();
  notice(all ? "Signed out everywhere." : "Signed out.");
}

$("#sign-out").addEventListener("click", () => signOut(false));
$("#sign-out-everywhere").addEventListener("click", () => signOut(true));

channel.addEventListener("message", (event) => {
  if (event.data === "signed-out") showSignedOut();
  if (event.data === "signed-in") showAccount();
  if (event.data === "account-changed" && !$("#signed-in").hidden) showAccount();
});

// Reload the account when the tab comes back into view (and at start).
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && !$("#signed-in").hidden) showAccount();
});
window.authDemo = { showAccount };

async function start() {
  const link = linkInAddress();
  if (link && link.page === "/verify-email") await verifyEmail(link.token);
  if (link && link.page === "/reset-password") askForNewPassword(link.token);
  await showAccount();
}
start();
