"""schemathesis hooks for tests/fuzz/run.sh: every request is signed in as
the fuzzing superadmin (made by run.sh). Fuzzing ends sessions (logout,
`DELETE /auth/sessions/{id}`), so a token lives one second: cases then
signed in again keep reaching the endpoints' logic rather than a 401."""

import os

import schemathesis
from service import post


@schemathesis.auth(refresh_interval=1)
class FuzzingSuperadmin:
    def get(self, case, context):
        signed_in = post(
            "/auth/login",
            {"login": os.environ["FUZZ_LOGIN"], "password": os.environ["FUZZ_PASSWORD"]},
        )
        return signed_in["access_token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
