"""The one call the fuzzing harness makes itself: a JSON POST to the
service at FUZZ_BASE_URL, answering the parsed JSON body."""

import json
import os
import urllib.request


def post(path, body):
    request = urllib.request.Request(
        os.environ["FUZZ_BASE_URL"] + "/api/v1" + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)
