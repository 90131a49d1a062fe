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
"use strict";

const API = "/api/v1";
const channel = new BroadcastChannel("auth-demo");
// Refreshes this tab made (the browser test reads it).
let refreshes = 0;

function csrf() {
  const match = document.cookie.match(/(?:^|; )(?:__Host-)?csrf_token=([^;]*)/);
  return match ? match[1] : "";
}

const NO_REFRESH = ["/auth/login", "/auth/register", "/auth/refresh", "/auth/otp/request", "/auth/otp/verify"];

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
  if (response.status === 401 && !retried && !NO_REFRESH.includes(path)) {
    if (await refreshOnce(sentWith)) return call(method, path, body, true);
  }
  return response;
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
}

function notice(text) {
  $("#notice").textContent = text;
  $("#notice").hidden = false;
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
  $("#signed-out").hidden = false;
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
  $("#signed-out").hidden = true;
  $("#signed-in").hidden = false;
  await showSessions();
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

async function signedIn(response, form) {
  if (!response.ok) return showProblem(response, form);
  channel.postMessage("signed-in");
  await showAccount();
}

$("#sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const { login, password } = fields(event.target);
  await signedIn(await call("POST", "/auth/login", { login, password }), event.target);
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
});

// Reload the account when the tab comes back into view (and at start).
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && !$("#signed-in").hidden) showAccount();
});
window.authDemo = { showAccount };
showAccount();
