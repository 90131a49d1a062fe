"""The demo pages in headless Chromium (tests/browser/run.sh runs this):
the React app of clients/demo, built on @logistics/auth-client into
static/demo (clients/build.sh).

Arguments: the service's base URL, the file its component logs to (codes
by SMS and emails, in development mode), and the directory for
screenshots. Every step checks what a person would see; a failed check
names the step and leaves its screenshot.

After signing up, in and out, sessions, a password change, two tabs and a
sign-in by SMS code, the email is verified by its link (/verify-email#token=…)
and the password forgotten twice: set again with a code by SMS, then with
the link of an email (/reset-password#token=…). Last, the second factor:
a TOTP app enrolled (its codes computed here from the key the page shows),
the recovery codes shown once, sign-ins with a code from the app and with a
recovery code, and the second factor turned off again."""

import base64
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import tempfile
import time
import urllib.request
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

BASE, LOG, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
N = str(time.time_ns())[-4:]
LOGIN, PHONE, EMAIL = f"demo{N}", f"+7912350{N}", f"demo{N}@example.com"
PASSWORD, NEW_PASSWORD = "a demo passphrase", "a newer demo passphrase"
# Set by a recovery: with the code by SMS, then with the link of an email.
CODE_PASSWORD, LINK_PASSWORD = "a demo passphrase set by code", "a demo passphrase set by link"


def record_secrets(*values):
    """The test command checks that no log holds them."""
    if os.environ.get("AUTH_SECRETS_FILE"):
        with open(os.environ["AUTH_SECRETS_FILE"], "a", encoding="utf-8") as secrets:
            for secret in values:
                secrets.write(f"{secret}\n")


record_secrets(PASSWORD, NEW_PASSWORD, CODE_PASSWORD, LINK_PASSWORD)


def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1000,1300",
        f"--user-data-dir={tempfile.mkdtemp(prefix='auth-demo-chromium-')}",
    ]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


driver = browser()
wait = WebDriverWait(driver, 15)


def open_page(url):
    """Loads a page of the demo and waits until React has drawn it."""
    driver.get(url)
    wait.until(lambda _: driver.execute_script(
        "return !!document.getElementById('signed-out') && !!document.getElementById('problem')"))


def step(name):
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))
    print(f"  ok: {name}")


def fill(form, **values):
    for name, value in values.items():
        field = driver.find_element(By.CSS_SELECTOR, f"#{form} [name={name}]")
        field.clear()
        field.send_keys(value)


def submit(form, button=None):
    selector = f"#{form} button[name={button}]" if button else f"#{form} button[type=submit]"
    driver.find_element(By.CSS_SELECTOR, selector).click()


def visible(selector):
    return wait.until(seen.visibility_of_element_located((By.CSS_SELECTOR, selector)))


def problem_says(*words):
    box = visible("#problem")
    wait.until(lambda _: all(w in box.text for w in words))
    return box.text


def signed_in_as(login):
    visible("#signed-in")
    wait.until(lambda _: driver.find_element(By.ID, "who").text == login)


def sign_out():
    driver.find_element(By.ID, "sign-out").click()
    visible("#sign-in")


def api_login(login, password):
    """A session of the same user opened elsewhere (not in this browser)."""
    request = urllib.request.Request(
        BASE + "/api/v1/auth/login",
        data=json.dumps({"login": login, "password": password}).encode(),
        headers={"content-type": "application/json", "user-agent": "another device"},
    )
    urllib.request.urlopen(request).read()


def api_post(path, body, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(BASE + "/api/v1" + path, data=json.dumps(body).encode(), headers=headers)
    return json.loads(urllib.request.urlopen(request).read() or b"null")


def verify_phone_through_the_api(login, password, phone):
    """Only a verified phone receives login codes: prove it (a verify_phone
    code, read from the development log) and add it as the account's."""
    token = api_post("/auth/login", {"login": login, "password": password})["access_token"]
    api_post("/auth/otp/request", {"phone": phone, "purpose": "verify_phone"}, token)
    proof = api_post("/auth/otp/verify",
                     {"phone": phone, "purpose": "verify_phone", "code": code_from_log(phone)},
                     token)["phone_proof"]
    api_post("/auth/contacts", {"type": "phone", "value": phone, "phone_proof": proof}, token)


def contact_state(kind, value):
    """What the signed-in part says of one contact ("verified",
    "unverified"), or None while it does not show it."""
    try:
        for item in driver.find_elements(By.CSS_SELECTOR, f"#contacts li[data-type={kind}]"):
            if item.get_attribute("data-value") == value:
                return item.find_element(By.CLASS_NAME, "state").text
    except StaleElementReferenceException:  # the list was drawn again
        pass
    return None


def contact_is(kind, value, state):
    wait.until(lambda _: contact_state(kind, value) == state)


def notice_says(*words):
    box = visible("#notice")
    wait.until(lambda _: all(w in box.text for w in words))
    return box.text


def read_log():
    with open(LOG, encoding="utf-8", errors="replace") as log:
        return log.read()


def recovery_code_from_log(phone, seen=()):
    """The code of the newest recovery SMS to `phone` ("… для сброса
    пароля …") not among `seen`."""
    for _ in range(50):
        texts = re.findall(re.escape(phone) + r" would read: ([^\n]*)", read_log())
        codes = [m.group() for t in texts if "сброса пароля" in t for m in [re.search(r"\d{6}", t)] if m]
        fresh = [c for c in codes if c not in seen]
        if fresh:
            return fresh[-1]
        time.sleep(0.2)
    raise AssertionError(f"no recovery code to {phone} in the log")


def link_tokens_in_log(email, page):
    """The tokens of the links to `page` (verify-email, reset-password) in
    the emails to `email`, oldest first. An email's text may run over
    several lines; it ends where the next message begins."""
    pattern = re.compile(
        re.escape(email) + r" would read: (?:(?!would read: ).)*?" + page + r"#token=([A-Za-z0-9_-]{43})",
        re.S,
    )
    return pattern.findall(read_log())


def link_token_from_log(email, page, seen=()):
    for _ in range(50):
        fresh = [t for t in link_tokens_in_log(email, page) if t not in seen]
        if fresh:
            return fresh[-1]
        time.sleep(0.2)
    raise AssertionError(f"no {page} link to {email} in the log")


def open_link(page, token):
    """Opens the link of an email as its reader would, on this BASE (the
    log's link may name another base). A page first elsewhere, so that the
    same path with a fragment is a new load, not a jump within the page."""
    driver.get("about:blank")
    open_page(f"{BASE}/{page}#token={token}")
    # The page takes the token out of the address bar as it reads it.
    wait.until(lambda _: urlsplit(driver.current_url).fragment == "")
    assert token not in driver.current_url, driver.current_url
    assert urlsplit(driver.current_url).path == f"/{page}", driver.current_url


def code_from_log(phone):
    for _ in range(50):
        with open(LOG, encoding="utf-8", errors="replace") as log:
            codes = re.findall(re.escape(phone) + r" would read: \D*(\d{6})", log.read())
        if codes:
            return codes[-1]
        time.sleep(0.2)
    raise AssertionError("no code in the log")


TOTP_STEP = 30


def totp_code(secret, step):
    """RFC 6238 (HMAC-SHA-1, 6 digits) for time step `step`, from the
    base32 key the page shows (without padding)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def now_step():
    return int(time.time()) // TOTP_STEP


def fresh_code(secret, spent):
    """(step, code): a code the service takes now for a user whose last
    accepted step is `spent`. It takes a step once, and only past the last
    one, within one step of its clock either way: the current step, else
    the next one; further ahead, wait for the step after `spent` to begin."""
    step = max(spent + 1, now_step())
    if step > now_step() + 1:
        wait_for = TOTP_STEP - time.time() % TOTP_STEP + 0.5
        print(f"  (waiting {wait_for:.0f} s for a time step not yet used)")
        time.sleep(wait_for)
    assert now_step() + 1 >= step >= now_step() - 1
    return step, totp_code(secret, step)


def wrong_code(secret):
    """Six digits that no step near now gives."""
    near = {totp_code(secret, now_step() + d) for d in (-1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def shown(selector):
    return driver.find_element(By.CSS_SELECTOR, selector).is_displayed()


def cookie_names():
    return {c["name"] for c in driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]}


try:
    # Sign up: signed in at once, in cookie mode (no token reaches the page).
    # With an email: it stays unverified until its link is followed, and so
    # does the phone until a code proves it.
    open_page(BASE + "/")
    fill("sign-up", second_login=LOGIN, phone=PHONE, email=EMAIL, password=PASSWORD)
    submit("sign-up")
    signed_in_as(LOGIN)
    cookies = {c["name"]: c for c in driver.get_cookies()}
    assert "csrf_token" in cookies, cookies.keys()
    assert "access_token" not in driver.execute_script("return document.cookie")
    contact_is("email", EMAIL, "unverified")
    contact_is("phone", PHONE, "unverified")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#contacts button.resend-link")) == 1
    step("01-signed-up")

    # The link went out with the sign-up: another one so soon is refused
    # (429, the resend delay), and the page says when to ask again.
    driver.find_element(By.CSS_SELECTOR, "#contacts button.resend-link").click()
    problem_says("Too many requests", "try again in")
    step("01b-link-asked-again-too-soon")

    # Sign out; a second sign-up with the same login says it is taken.
    sign_out()
    fill("sign-up", second_login=LOGIN, phone=f"+7912351{N}", email="", password=PASSWORD)
    submit("sign-up")
    problem_says("Already taken", "second_login")
    step("02-a-taken-login")

    # A wrong password, then the right one.
    fill("sign-in", login=LOGIN, password="not the password")
    submit("sign-in")
    problem_says("Invalid credentials", "wrong")
    step("03-a-wrong-password")
    fill("sign-in", login=LOGIN, password=PASSWORD)
    submit("sign-in")
    signed_in_as(LOGIN)
    assert not driver.find_element(By.ID, "problem").is_displayed()

    # My sessions: this one and one from another device, which I revoke.
    api_login(LOGIN, PASSWORD)
    driver.execute_script("window.authDemo.showAccount()")
    wait.until(lambda _: len(driver.find_elements(By.CSS_SELECTOR, "#sessions tbody tr")) == 2)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#sessions tr.current")) == 1
    step("04-two-sessions")
    driver.find_element(By.CSS_SELECTOR, "#sessions button.revoke").click()
    wait.until(lambda _: len(driver.find_elements(By.CSS_SELECTOR, "#sessions tbody tr")) == 1)
    visible("#notice")
    step("05-one-revoked")

    # Change the password: a wrong current one is refused, the right one works.
    fill("change-password", current_password="not it either", new_password=NEW_PASSWORD)
    submit("change-password")
    problem_says("current_password")
    step("06-a-wrong-current-password")
    fill("change-password", current_password=PASSWORD, new_password=NEW_PASSWORD)
    submit("change-password")
    wait.until(lambda _: "password is changed" in driver.find_element(By.ID, "notice").text)
    step("07-password-changed")

    # Two tabs whose access tokens expire together: one refresh between them,
    # and both stay signed in (a second refresh with the same token would be
    # taken for a stolen one and end the session).
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    open_page(BASE + "/")
    signed_in_as(LOGIN)
    second = driver.current_window_handle
    # The access cookie's Max-Age runs out in both tabs at once (they share
    # the cookie jar); as the browser would, drop it.
    driver.execute_cdp_cmd(
        "Network.deleteCookies", {"name": "access_token", "url": BASE + "/api/v1/auth/me"}
    )
    assert "refresh_token" in {c["name"] for c in driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]}
    for tab in (first, second):
        driver.switch_to.window(tab)
        driver.execute_script("window.authDemo.showAccount()")

    def refreshes():
        total = 0
        for tab in (first, second):
            driver.switch_to.window(tab)
            total += int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-refreshes") or 0)
        return total

    deadline = time.time() + 10
    while refreshes() == 0 and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # time for a second refresh, were there one
    assert refreshes() == 1, f"{refreshes()} refreshes for two tabs"
    cookies = driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
    assert "access_token" in {c["name"] for c in cookies}, "no new access cookie"
    for tab, name in ((first, "a"), (second, "b")):
        driver.switch_to.window(tab)
        signed_in_as(LOGIN)
        assert not driver.find_element(By.ID, "problem").is_displayed()
        step(f"08-tab-{name}-after-expiry")
    driver.close()
    driver.switch_to.window(first)

    # Sign out, then in by a code by SMS (the development log has it), once
    # the phone is verified (signed up with a password, it is not yet).
    sign_out()
    verify_phone_through_the_api(LOGIN, NEW_PASSWORD, PHONE)
    fill("sign-in-by-code", phone=PHONE)
    submit("sign-in-by-code", "send")
    wait.until(lambda _: "code is on its way" in driver.find_element(By.ID, "notice").text)
    fill("sign-in-by-code", code="000000")
    submit("sign-in-by-code", "verify")
    problem_says("Invalid code")
    step("09-a-wrong-code")
    fill("sign-in-by-code", code=code_from_log(PHONE))
    submit("sign-in-by-code", "verify")
    signed_in_as(LOGIN)
    contact_is("phone", PHONE, "verified")
    contact_is("email", EMAIL, "unverified")
    step("10-signed-in-by-code")

    # The email's link (from the sign-up, in the log) opens /verify-email:
    # the page verifies it, says so, and shows it verified.
    verify_token = link_token_from_log(EMAIL, "verify-email")
    open_link("verify-email", verify_token)
    notice_says(f"Email {EMAIL} verified")
    signed_in_as(LOGIN)
    contact_is("email", EMAIL, "verified")
    assert not driver.find_elements(By.CSS_SELECTOR, "#contacts button.resend-link")
    step("11-email-verified")

    # A link works once.
    open_link("verify-email", verify_token)
    problem_says("Invalid link", "ask for a new one")
    signed_in_as(LOGIN)
    step("12-a-used-verify-link")

    # Forgot the password: the same neutral answer for any login; here a
    # code goes to the verified phone and a link to the verified email.
    sign_out()
    reset_links_before = link_tokens_in_log(EMAIL, "reset-password")
    driver.find_element(By.ID, "forgot").click()
    fill("recovery-request", login=LOGIN)
    submit("recovery-request")
    notice_says("If this login belongs to an account with a verified phone or email",
                "a code or a link is on its way")
    visible("#recovery-by-code")
    step("13-recovery-asked")

    # Set it with the code by SMS: a password too short and a wrong code
    # are refused, field by field and as an invalid code.
    fill("recovery-by-code", phone=PHONE, code="000000", new_password="short")
    submit("recovery-by-code")
    problem_says("Invalid request", "new_password")
    step("14-a-short-new-password")
    fill("recovery-by-code", new_password=CODE_PASSWORD)
    submit("recovery-by-code")
    problem_says("Invalid code")
    step("15-a-wrong-recovery-code")
    fill("recovery-by-code", code=recovery_code_from_log(PHONE))
    submit("recovery-by-code")
    notice_says("Password set: sign in with it")
    visible("#sign-in")
    assert not driver.find_element(By.ID, "recovery").is_displayed()
    assert not driver.find_element(By.ID, "problem").is_displayed()
    step("16-password-set-by-code")

    # The old password no longer works; the new one does.
    fill("sign-in", login=LOGIN, password=NEW_PASSWORD)
    submit("sign-in")
    problem_says("Invalid credentials")
    fill("sign-in", login=LOGIN, password=CODE_PASSWORD)
    submit("sign-in")
    signed_in_as(LOGIN)
    step("17-signed-in-with-the-code-password")

    # Forgot again, and set it with the email's link this time: it opens
    # /reset-password, which asks for the new password.
    sign_out()
    reset_links_before += link_tokens_in_log(EMAIL, "reset-password")
    driver.find_element(By.ID, "forgot").click()
    fill("recovery-request", login=LOGIN)
    submit("recovery-request")
    notice_says("a code or a link is on its way")
    reset_token = link_token_from_log(EMAIL, "reset-password", seen=reset_links_before)
    open_link("reset-password", reset_token)
    visible("#new-password-by-link")
    assert not driver.find_element(By.ID, "signed-in").is_displayed()
    step("18-reset-link-opened")
    fill("new-password-by-link", new_password=LINK_PASSWORD)
    submit("new-password-by-link")
    notice_says("Password set: sign in with it")
    visible("#sign-in")
    assert not driver.find_element(By.ID, "reset-by-link").is_displayed()
    step("19-password-set-by-link")
    fill("sign-in", login=LOGIN, password=LINK_PASSWORD)
    submit("sign-in")
    signed_in_as(LOGIN)
    step("20-signed-in-with-the-link-password")

    # The link worked once: opened again, it is refused.
    sign_out()
    open_link("reset-password", reset_token)
    fill("new-password-by-link", new_password=CODE_PASSWORD)
    submit("new-password-by-link")
    problem_says("Invalid link")
    step("21-a-used-reset-link")

    # The second factor. Signed in by password alone, the page knows it is
    # off: it offers to turn it on, which takes the password (a wrong one
    # is refused, field by field).
    open_page(BASE + "/")
    fill("sign-in", login=LOGIN, password=LINK_PASSWORD)
    submit("sign-in")
    signed_in_as(LOGIN)
    wait.until(lambda _: driver.find_element(By.ID, "second-factor-state").text.startswith("Off"))
    assert shown("#mfa-enrol") and not shown("#mfa-off")
    fill("mfa-enrol", current_password="not my password")
    submit("mfa-enrol")
    problem_says("current_password")
    step("22-enrol-with-a-wrong-password")

    # The right one: the QR code and the key, shown this once.
    fill("mfa-enrol", current_password=LINK_PASSWORD)
    submit("mfa-enrol")
    visible("#mfa-setup")
    wait.until(lambda _: driver.find_elements(By.CSS_SELECTOR, "#mfa-qr svg rect, #mfa-qr svg path"))
    secret = driver.find_element(By.ID, "mfa-secret").text.strip()
    record_secrets(secret)
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), "the key shown is not base32"
    assert not shown("#mfa-enrol") and not shown("#mfa-off")
    step("23-second-factor-qr-code")

    # A wrong code does not turn it on (401, and the page neither refreshes
    # its tokens for it nor signs out).
    fill("mfa-confirm", code=wrong_code(secret))
    submit("mfa-confirm")
    problem_says("Invalid code")
    assert driver.find_element(By.TAG_NAME, "body").get_attribute("data-refreshes") is None
    assert shown("#mfa-setup")
    step("24-a-wrong-confirmation-code")

    # The app's code turns it on: ten recovery codes, shown once.
    spent, code = fresh_code(secret, now_step() - 1)
    fill("mfa-confirm", code=code)
    submit("mfa-confirm")
    box = visible("#recovery-codes")
    wait.until(lambda _: len(driver.find_elements(By.CSS_SELECTOR, "#recovery-codes li")) == 10)
    recovery_codes = [e.text.strip() for e in driver.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
    record_secrets(*recovery_codes)
    assert all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c) for c in recovery_codes), "not recovery codes"
    assert len(set(recovery_codes)) == 10
    assert "not shown again" in box.text
    notice_says("second factor is on")
    assert not shown("#mfa-setup") and driver.find_element(By.ID, "mfa-secret").text == ""
    assert not shown("#mfa-enrol") and shown("#mfa-off")
    step("25-recovery-codes-shown-once")

    # Gone after a reload, and kept in no storage.
    driver.refresh()
    signed_in_as(LOGIN)
    assert not shown("#recovery-codes")
    kept = driver.page_source + driver.execute_script(
        "return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert not any(c in kept for c in recovery_codes), "a recovery code is still on the page"
    assert secret not in kept, "the key is still on the page"
    step("26-codes-gone-after-a-reload")

    # Signing in with the password now leads to a second step, with no
    # session yet (no token cookie).
    sign_out()
    fill("sign-in", login=LOGIN, password=LINK_PASSWORD)
    submit("sign-in")
    visible("#second-step")
    assert not shown("#signed-out") and not shown("#signed-in")
    assert not cookie_names() & {"access_token", "refresh_token"}, cookie_names()
    step("27-second-step")

    # A wrong code is refused and the form stays.
    fill("second-step-form", code=wrong_code(secret))
    submit("second-step-form")
    problem_says("Invalid code")
    assert shown("#second-step")
    step("28-a-wrong-second-step-code")

    # The app's code (of a step not yet used: the confirmation's is spent).
    spent, code = fresh_code(secret, spent)
    fill("second-step-form", code=code)
    submit("second-step-form")
    signed_in_as(LOGIN)
    assert not shown("#second-step")
    assert "access_token" in cookie_names()
    wait.until(lambda _: driver.find_element(By.ID, "second-factor-state").text.startswith("On"))
    assert shown("#mfa-off") and not shown("#mfa-enrol")
    step("29-signed-in-with-the-app-code")

    # Again, with a recovery code instead.
    sign_out()
    fill("sign-in", login=LOGIN, password=LINK_PASSWORD)
    submit("sign-in")
    visible("#second-step")
    driver.find_element(By.CSS_SELECTOR, "#second-step-form .switch-code").click()
    visible("#second-step-form [name=recovery_code]")
    assert not shown("#second-step-form [name=code]")
    fill("second-step-form", recovery_code=recovery_codes[0])
    step("30-a-recovery-code-instead")
    submit("second-step-form")
    signed_in_as(LOGIN)
    step("31-signed-in-with-a-recovery-code")

    # Turning it off takes the password and a code: the recovery code
    # just used is refused (each works once), a fresh app code works.
    driver.find_element(By.CSS_SELECTOR, "#mfa-off .switch-code").click()
    fill("mfa-off", current_password=LINK_PASSWORD, recovery_code=recovery_codes[0])
    submit("mfa-off")
    problem_says("Invalid code")
    signed_in_as(LOGIN)
    step("32-a-used-recovery-code")
    driver.find_element(By.CSS_SELECTOR, "#mfa-off .switch-code").click()
    spent, code = fresh_code(secret, spent)
    fill("mfa-off", current_password=LINK_PASSWORD, code=code)
    submit("mfa-off")
    notice_says("second factor is off")
    assert shown("#mfa-enrol") and not shown("#mfa-off")
    step("33-second-factor-off")

    # The password alone signs in again.
    sign_out()
    fill("sign-in", login=LOGIN, password=LINK_PASSWORD)
    submit("sign-in")
    signed_in_as(LOGIN)
    assert not shown("#second-step")
    wait.until(lambda _: driver.find_element(By.ID, "second-factor-state").text.startswith("Off"))
    step("34-signed-in-without-a-second-step")
    print("demo pages: every step as expected; screenshots in", SHOTS)
except Exception:
    driver.save_screenshot(os.path.join(SHOTS, "failed.png"))
    raise
finally:
    driver.quit()
