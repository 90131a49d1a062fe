"""schemathesis hooks for tests/fuzz/run.sh: every request is signed in as
the fuzzing superadmin (made by run.sh). Fuzzing ends sessions (logout,
`DELETE /auth/sessions/{id}`), so a token lives one second: cases then
signed in again keep reaching the endpoints' logic rather than a 401."""

import json
import os
import urllib.request

import schemathesis


@schemathesis.auth(refresh_interval=1)
class FuzzingSuperadmin:
    def get(self, case, context):
        body = json.dumps(
            {"login": os.environ["FUZZ_LOGIN"], "password": os.environ["FUZZ_PASSWORD"]}
        ).encode()
        request = urllib.request.Request(
            os.environ["FUZZ_BASE_URL"] + "/api/v1/auth/login",
            data=body,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            return json.load(response)["access_token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
