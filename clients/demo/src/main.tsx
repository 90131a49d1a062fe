// The demo pages: how a React app uses the auth service through
// @logistics/auth-client in cookie mode (README, "From a React app").
import { createAuthClient } from "@logistics/auth-client";
import { AuthProvider } from "@logistics/auth-client/react";
import { StrictMode } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { linkInAddress } from "./links.ts";
import "./demo.css";

// Read before anything renders: the token of an email's link leaves the
// address bar (and the history entry) at once.
const link = linkInAddress();

// Cookie mode: tokens in HttpOnly cookies, X-CSRF-Token on every change,
// one refresh across this origin's tabs (the same channel as before).
const auth = createAuthClient({ baseUrl: "/api/v1", mode: "cookie", channel: "auth-demo" });

const root = createRoot(document.getElementById("root")!);
// The first render at once, so the forms are there when the page has loaded.
flushSync(() =>
  root.render(
    <StrictMode>
      <AuthProvider client={auth}>
        <App link={link} />
      </AuthProvider>
    </StrictMode>,
  ),
);
