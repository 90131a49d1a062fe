import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { AuthClient, Me } from "./client.js";
import { AuthProblem } from "./problem.js";

export type SessionStatus = "loading" | "signed-in" | "signed-out";

/** Who is signed in, as `GET /auth/me` last said. */
export interface SessionState {
  status: SessionStatus;
  user: Me | null;
  roles: readonly string[];
  organizations: Me["organizations"];
  /** Why the last look failed, when not for being signed out (a 503, the network). */
  problem: AuthProblem | null;
  /** Asks `/auth/me` again (after a change the client cannot know of). */
  reload: () => Promise<void>;
}

const ClientContext = createContext<AuthClient | null>(null);
const SessionContext = createContext<SessionState | null>(null);

const NONE: Me["organizations"] = [];

/**
 * Gives its children the client (`useAuthClient`) and the session
 * (`useSession`), kept current: it asks `/auth/me` at start, after every
 * sign-in and account change (here or in another tab), and forgets the user
 * on every sign-out.
 */
export function AuthProvider({ client, children }: { client: AuthClient; children: ReactNode }) {
  const [state, setState] = useState<Omit<SessionState, "reload">>({
    status: "loading",
    user: null,
    roles: [],
    organizations: NONE,
    problem: null,
  });
  // Only the newest look may set the state (an older one may answer last).
  const looks = useRef(0);

  const reload = useCallback(async () => {
    const look = ++looks.current;
    try {
      const user = await client.me();
      if (look !== looks.current) return;
      setState({ status: "signed-in", user, roles: user.roles, organizations: user.organizations, problem: null });
    } catch (error) {
      if (look !== looks.current) return;
      const problem = error instanceof AuthProblem ? error : AuthProblem.network(error);
      setState({
        status: "signed-out",
        user: null,
        roles: [],
        organizations: NONE,
        problem: problem.status === 401 ? null : problem,
      });
    }
  }, [client]);

  useEffect(() => {
    void reload();
    return client.subscribe((event) => {
      if (event.type === "signed-in" || event.type === "account-changed") void reload();
      if (event.type === "signed-out") {
        looks.current += 1;
        setState({ status: "signed-out", user: null, roles: [], organizations: NONE, problem: null });
      }
    });
  }, [client, reload]);

  const session = useMemo(() => ({ ...state, reload }), [state, reload]);
  return (
    <ClientContext.Provider value={client}>
      <SessionContext.Provider value={session}>{children}</SessionContext.Provider>
    </ClientContext.Provider>
  );
}

/** The client of the nearest `AuthProvider`. */
export function useAuthClient(): AuthClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useAuthClient() outside an <AuthProvider>");
  return client;
}

/** The session of the nearest `AuthProvider`: status, user, roles, organizations. */
export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession() outside an <AuthProvider>");
  return session;
}
