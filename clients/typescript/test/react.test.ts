import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { createAuthClient } from "../src/index.js";
import { AuthProvider, useAuthClient, useSession } from "../src/react.js";
import { FakeService } from "./fake-service.js";

describe("React bindings", () => {
  it("AuthProvider gives its children the client and a session still loading", () => {
    const client = createAuthClient({ baseUrl: "http://auth.test/api/v1", mode: "token", fetch: new FakeService().fetch, channel: false });
    let seen: unknown = null;
    function Probe() {
      seen = useAuthClient();
      return createElement("p", null, useSession().status);
    }
    const html = renderToString(createElement(AuthProvider, { client, children: createElement(Probe) }));
    assert.equal(seen, client);
    assert.equal(html, "<p>loading</p>");
  });

  it("the hooks outside an AuthProvider say so", () => {
    function Lost() {
      useSession();
      return null;
    }
    assert.throws(() => renderToString(createElement(Lost)), /outside an <AuthProvider>/);
  });
});
