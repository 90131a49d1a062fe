#!/usr/bin/env bash
# The demo pages (static/demo) in a real browser: Debian's chromium and
# chromium-driver, driven by Selenium (PyPI) told to stay offline. Signs up,
# signs out, signs in (a wrong password first), lists sessions and revokes
# one, changes the password, opens two tabs whose access tokens expire
# together, signs in by SMS code, verifies an email by its link, recovers
# a forgotten password by code and by link, and turns on a second factor
# (TOTP: its codes computed from the key the page shows), signs in with a
# code from the app and with a recovery code, and turns it off; checks what
# the pages show and keeps a screenshot of each step in
# target/browser-screenshots/.
#
#   tests/browser/run.sh BASE_URL COMPONENT_LOG
#
# BASE_URL serves the component with `sms_gateway = log` and
# `email_gateway = log`; COMPONENT_LOG is where it writes its standard error
# (the codes and the emails' links, in development mode).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$here/../..
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  echo "install: apt-get install chromium chromium-driver"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
venv=$root/target/browser-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "selenium>=4.20,<5"
fi
mkdir -p "$root/target/browser-screenshots"
# Selenium Manager would look for drivers on the network: told not to.
SE_OFFLINE=true SE_AVOID_STATS=true "$venv/bin/python" "$here/demo_pages.py" "$1" "$2" "$root/target/browser-screenshots"
