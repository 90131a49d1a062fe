// One problem box and one notice box for the page, each shown next to what
// was done (a form or a box, by id) or else at the page's top.
import { AuthProblem } from "@logistics/auth-client";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

/** Where a message shows: the id of a form or box, or null for the top. */
export type Place = string | null;

interface Messages {
  problem: { problem: AuthProblem; near: Place } | null;
  notice: { text: string; near: Place } | null;
  showProblem: (error: unknown, near?: Place) => void;
  notify: (text: string, near?: Place) => void;
  clear: () => void;
}

const MessagesContext = createContext<Messages | null>(null);

export function MessagesProvider({ children }: { children: ReactNode }) {
  const [problem, setProblem] = useState<Messages["problem"]>(null);
  const [notice, setNotice] = useState<Messages["notice"]>(null);
  const showProblem = useCallback((error: unknown, near: Place = null) => {
    setProblem({ problem: error instanceof AuthProblem ? error : AuthProblem.network(error), near });
  }, []);
  const notify = useCallback((text: string, near: Place = null) => setNotice({ text, near }), []);
  const clear = useCallback(() => {
    setProblem(null);
    setNotice(null);
  }, []);
  const value = useMemo(
    () => ({ problem, notice, showProblem, notify, clear }),
    [problem, notice, showProblem, notify, clear],
  );
  return <MessagesContext.Provider value={value}>{children}</MessagesContext.Provider>;
}

export function useMessages(): Messages {
  const messages = useContext(MessagesContext);
  if (!messages) throw new Error("useMessages() outside a <MessagesProvider>");
  return messages;
}

/** The boxes that belong at `at`: each exists once on the page, hidden
 * when empty (at the top then). */
export function Messages({ at = null }: { at?: Place }) {
  const { problem, notice } = useMessages();
  return (
    <>
      {(problem?.near ?? null) === at && <ProblemBox problem={problem?.problem ?? null} near={at} />}
      {(notice?.near ?? null) === at && <NoticeBox text={notice?.text ?? null} near={at} />}
    </>
  );
}

// An RFC 9457 problem, shown as the API wrote it: title, detail, and each
// invalid field.
function ProblemBox({ problem, near }: { problem: AuthProblem | null; near: Place }) {
  const box = useNearest<HTMLDivElement>(problem !== null);
  return (
    <div id="problem" className="problem" role="alert" hidden={!problem} ref={near ? box : undefined}>
      {problem && (
        <>
          <strong>{problem.title || `Error ${problem.status}`}</strong> {problem.detail}
          {problem.errors.length > 0 && (
            <ul>
              {problem.errors.map((error, index) => (
                <li key={index}>
                  {error.field}: {error.message}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

function NoticeBox({ text, near }: { text: string | null; near: Place }) {
  const box = useNearest<HTMLDivElement>(text !== null);
  return (
    <div id="notice" className="notice" role="status" hidden={text === null} ref={near ? box : undefined}>
      {text}
    </div>
  );
}

/** Scrolls a message next to a form into view when it appears. */
function useNearest<T extends HTMLElement>(shown: boolean) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (shown) ref.current?.scrollIntoView({ block: "nearest" });
  }, [shown]);
  return ref;
}
