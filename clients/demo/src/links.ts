// The links of emails open this page too: `/verify-email#token=…` and
// `/reset-password#token=…`. The token rides in the fragment, which the
// browser sends to no server (nor in a Referer).

export interface Link {
  page: "verify-email" | "reset-password";
  token: string;
}

/** The link's token, if the address carries one (then taken out of the
 * address bar and the history entry), else null. */
export function linkInAddress(): Link | null {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!token) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  const page = location.pathname.replace(/\/+$/, "");
  if (page === "/verify-email") return { page: "verify-email", token };
  if (page === "/reset-password") return { page: "reset-password", token };
  return null;
}
