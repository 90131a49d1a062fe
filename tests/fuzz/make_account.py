"""Registers the fuzzing account (run.sh makes it a superadmin) and prints
its user id. Login and password come from the environment."""

import os

from service import post

login = os.environ["FUZZ_LOGIN"]
registered = post(
    "/auth/register",
    {
        "second_login": login,
        "phone": "+7999" + login[4:].rjust(7, "0")[-7:],
        "password": os.environ["FUZZ_PASSWORD"],
        "group_names": ["customer"],
        "interface": "customer_app",
    },
)
print(registered["user"]["id"])
