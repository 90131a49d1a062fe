"""Registers the fuzzing account (run.sh makes it a superadmin) and prints
its user id. Login and password come from the environment."""

import json
import os
import urllib.request

login = os.environ["FUZZ_LOGIN"]
body = json.dumps(
    {
        "second_login": login,
        "phone": "+7999" + login[4:].rjust(7, "0")[-7:],
        "password": os.environ["FUZZ_PASSWORD"],
        "group_names": ["customer"],
        "interface": "customer_app",
    }
).encode()
request = urllib.request.Request(
    os.environ["FUZZ_BASE_URL"] + "/api/v1/auth/register",
    data=body,
    headers={"content-type": "application/json"},
)
with urllib.request.urlopen(request) as response:
    print(json.load(response)["user"]["id"])
