"""The operators' console in a real browser (Debian's chromium and chromedriver, through
Selenium), against the app served by `county-host serve`.

Each test has a county of its own, on a fresh store whose first start created its admin, and
makes the state it starts from through the API (accounts, the standard of 4-03-02-01 level 5
from 2020-01-01, a platform key, reported trainings, registry entries, claims, approvals,
payments, invoices); no test depends on another or on their order. Where a test needs the app
later than now (reconcile waits 60 s before judging a submission abandoned), the same store is
served again with the app's clock moved (`county-host serve --clock-offset`), never slept for.

At 1366×768: a wrong password is refused beside the form; a reviewer opens a claim from the
queue, is refused a rejection without a reason, approves it, and bulk-approves the verified
queue; finance sees both approved claims on its desk (240.00 in all), pays one, and sees the
other left; one finance officer approves a platform's invoice, is refused its payment (four
eyes) and downloads it as CSV and as an Excel workbook, another pays it. An admin sets a
standard from a day, is asked for the reason when a later change would reprice days already
priced, gives it, sees both periods (the earlier replaced, the later in force), and is refused a
bad amount beside its field; uploads a registry file of 3 rows, then one whose bad row is named
by its line (a village named for two of the 3 and a phone for one, kept; the one who had
passed a training told of its offer). Five wrong passwords lock an account. An admin issues a platform key (its secret
shown once, and working), revokes it (no longer working), rotates another, creates an account (a
short password refused beside its field) and disables it, and resets a locked account's password
(its lock goes); adds a platform to the register and suspends it from a past day, the reason
asked for and given. A reviewer reads the report: its headline, its charts by key group, month
and platform, its CSV, and a month filter that leaves nothing. On a 390×844 phone screen the
sign-in, finance's desk, a claim and an invoice with its lines fit without sideways scrolling,
and signing in works by keyboard alone.

Claims are paid only after their 公示: the tests' approvals publish them in a notice ten days
back (the app served with its clock moved back, then forward again). A reviewer publishes two
approved claims from the 公示 screen and reads the day's notice (names masked, the platform's
name); an objection sent through the public endpoint puts one back in the review queue, where
the reviewer reads it (reason and contact) beside the claim's notice and approves the claim
again. A reviewer's 政策找人 screen finds a registered trainee's April record not yet
claimed (name, phone, registry source, 120.00) under its village's heading, downloads it as CSV, and
finds nobody for another village.

A reviewer opens a claim made on a platform (yuntai) and reads its completion record, the verdict
it was accepted with and the recheck ("still eligible"); the platform is suspended from before
the assessment, and the recheck and the refused approval both give the API's reason; the
reviewer rejects it. Finance downloads the payable page as the bank's batch, uploads the bank's
result file (2 lines: one applied, one for no such claim, named by its line), records the bank
returning that payment; the officer who recorded the return is not offered the next payment;
the trainee gives a new account, and another officer finds the claim back on the desk and pays
it again, starts a recovery of 50.00 (a bad
amount refused beside its field) and records it repaid. Finance previews April 2020 (1 line
billable at 200.00, 1 held with its reasons), cancels the invoice the platform then issues (a
missing reason refused; its line billable again), and recovers 40.00 of a paid March invoice's
line. An admin changes an account's roles (none refused), reads the account log, adds a policy
version (a window that ends before it starts refused beside its end) and withdraws it; the
account holder changes her own password (a wrong current one refused) and signs in with the new
one. A row of March's report is set one claim behind in the store's SQLite file (what an
instance killed between storing a claim and counting it leaves): the admin's reconcile check
finds it, changing nothing, and the repair sets it back; a row is set one claim too many, and
the admin's recount finds and corrects it. Finance narrows the report to one platform (only its
rejected claim), to a key group and a platform, and to a key group with no claims.

Screenshots of every screen go to target/browser-test/ (each screen checked first for controls
without a label), and of the screen each test ended on as `last-<test>.png`.
"""

import datetime
import hashlib
import hmac
import json
import os
import pathlib
import re
import secrets
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import zipfile

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / "target" / "browser-test"
VARIABLES = {
    "SPIN_VARIABLE_COUNTY_CODE": "370902",
    "SPIN_VARIABLE_COUNTY_NAME": "泰山区",
    "SPIN_VARIABLE_OPERATOR_TOKEN_SECRET": "browser-operator-secret-0123456789abcdef",
    "SPIN_VARIABLE_TRAINEE_TOKEN_SECRET": "browser-trainee-secret-0123456789abcdefg",
    "SPIN_VARIABLE_PERSON_KEY_SECRET": "browser-person-key-secret-0123456789abc",
}
TRAINEE = "370902199003071231"


def resident_id(first17):
    """A resident ID with its check character (GB 11643)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return first17 + "10X98765432"[total % 11]


REGISTERED = resident_id("37090219850101123")


def completion(record_id, resident, month="03"):
    """A passed online training of 24 hours (4-03-02-01, level 5), assessed on the 15th of
    `month` of 2020."""
    started = {"03": ("2020-02-20", "2020-03-10"), "04": ("2020-03-20", "2020-04-10")}[month]
    return {
        "record_id": record_id,
        "trainee": {"resident_id": resident, "name": "张三", "hukou_county": "370902"},
        "occupation": "4-03-02-01", "level": "5", "study_hours": 24, "mode": "online",
        "started_on": started[0], "ended_on": started[1],
        "assessment": {"result": "pass", "score": 86, "date": f"2020-{month}-15"},
        "certificate_number": "CERT-" + record_id,
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class County:
    """`county-host serve` on a fresh store of its own, and requests to it."""

    def __init__(self):
        # `--bin`, not `-p`: features resolved for the whole workspace, as `cargo test
        # --workspace` resolved them, so its build is reused rather than made again.
        subprocess.run(["cargo", "build", "-q", "--bin", "county-host", "--bin", "county-ops"],
                       cwd=ROOT, check=True)
        self.folder = tempfile.TemporaryDirectory()
        self.store = str(pathlib.Path(self.folder.name) / "kv.db")
        self.process = None
        self.serve()
        self.admin_password = re.search(r"`admin` with password (\w+)", self.read_log()).group(1)

    def serve(self, clock_offset=0):
        """Serves the store; the app's clock `clock_offset` seconds ahead of the machine's."""
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = open(pathlib.Path(self.folder.name) / "serve.log", "a+")
        self.process = subprocess.Popen(
            [str(ROOT / "target/debug/county-host"), "serve", "--listen", self.base[7:],
             "--store", self.store, "--clock-offset", str(clock_offset)],
            cwd=ROOT, env={**os.environ, **VARIABLES}, stderr=self.log, stdout=self.log)
        deadline = time.time() + 300
        while f"serving on {self.base}" not in self.read_log():
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError("county-host did not start:\n" + self.read_log())
            time.sleep(0.1)

    def move_clock(self, seconds):
        """The same store served again, the app's clock `seconds` later."""
        self.process.terminate()
        self.process.wait()
        self.log.close()
        self.serve(clock_offset=seconds)

    def read_log(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.log.close()
        self.folder.cleanup()

    def request(self, method, path, body=None, token=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def signed(self, method, path, body, key_id, secret):
        """A platform's request, signed as docs/api.md and scripts/platform-request.sh say."""
        raw = json.dumps(body, separators=(",", ":"))
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        digest = hashlib.sha256(raw.encode()).hexdigest()
        to_sign = "\n".join([method, path, "", timestamp, nonce, digest])
        signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        headers = {"X-Key-Id": key_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
                   "X-Signature": signature}
        data = raw.encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={**headers, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def trainee_token(self, resident):
        minted = subprocess.run(
            [str(ROOT / "target/debug/county-ops"), "mint-token", "--role", "trainee",
             "--sub", resident], env={**os.environ, **VARIABLES}, capture_output=True,
            text=True, check=True)
        return minted.stdout.strip()


# The county's operators the tests sign in as, each created by the test that needs them.
ACCOUNTS = {
    "zhao.reviewer": ("赵审核", "reviewer"),
    "li.finance": ("李财务", "finance"),
    "qian.finance": ("钱财务", "finance"),
    "sun.locked": ("孙锁定", "reviewer"),
    "zhou.new": ("周新", "reviewer"),
}
PASSWORD = "console password 1"


class ConsoleTest(unittest.TestCase):
    """One browser for all the tests; each test its own county on a fresh store, and the
    state it starts from made through the API."""

    @classmethod
    def setUpClass(cls):
        SHOTS.mkdir(parents=True, exist_ok=True)
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--window-size=1366,768", "--lang=zh-CN"]:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        cls.downloads = tempfile.TemporaryDirectory()
        options.add_experimental_option("prefs", {
            "download.default_directory": cls.downloads.name,
            "download.prompt_for_download": False})
        service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
        cls.browser = webdriver.Chrome(options=options, service=service)
        cls.browser.execute_cdp_cmd("Page.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": cls.downloads.name})
        cls.wait = WebDriverWait(cls.browser, 20)

    def setUp(self):
        self.county = County()
        self.addCleanup(self.county.stop)
        self.admin_token = self.token("admin", self.county.admin_password)

    # The state a test starts from, through the API.

    def ok(self, reply, status=200):
        self.assertEqual(reply[0], status, reply[1])
        return reply[1]

    def token(self, login, password=PASSWORD):
        body = self.ok(self.county.request("POST", "/api/accounts/sign-in",
                                           {"login": login, "password": password}))
        return body["token"]

    def accounts(self, *logins):
        for login in logins:
            name, role = ACCOUNTS[login]
            self.ok(self.county.request("POST", "/api/accounts", {
                "login": login, "display_name": name, "roles": [role], "password": PASSWORD},
                self.admin_token), 201)

    def lock(self, login):
        """Five wrong passwords in a row."""
        for _ in range(5):
            self.county.request("POST", "/api/accounts/sign-in",
                                {"login": login, "password": "not the password"})

    def standard(self):
        """The county's standard for 4-03-02-01 level 5: 1000.00, from before any training."""
        self.ok(self.county.request("PUT", "/api/policy/standards/4-03-02-01/5",
                                    {"standard": "1000", "valid_from": "2020-01-01"},
                                    self.admin_token))

    def platform_key(self, platform_id="wljnpx"):
        key = self.ok(self.county.request("POST", "/api/platform/credentials",
                                          {"platform_id": platform_id}, self.admin_token), 201)
        return key["key_id"], key["secret"]

    def report(self, key, *records):
        self.ok(self.county.signed("POST", "/api/platform/completions", {"records": list(records)},
                                   *key))

    def register(self, *residents, community=None, phone=None):
        """Residents in the key-group registry as migrant workers: their claims are verified.
        The same period again with a village or community (and a phone number) names where
        the list has them."""
        extra = {"community": community} if community else {}
        extra.update({"phone": phone} if phone else {})
        self.ok(self.county.request("POST", "/api/eligibility/registry", {"entries": [
            {"resident_id": r, "group": "migrant_worker", "source": "实名登记",
             "valid_from": "2020-01-01", **extra} for r in residents]}, self.admin_token))

    def claim(self, resident, record_id, platform_id="wljnpx", account="6217001234567890123"):
        body = self.ok(self.county.request("POST", "/api/claims", {
            "platform_id": platform_id, "record_id": record_id, "group": "migrant_worker",
            "payee": {"kind": "social_security_card", "account": account},
            "consent": True}, self.county.trainee_token(resident)), 201)
        return body["claim"]["id"]

    def two_claims(self):
        """wljnpx reports two trainees' passed trainings of March 2020 and each claims: one a
        migrant worker not in the registry (`claim`, waiting for a reviewer), one in it
        (`verified`). The platform's key."""
        self.standard()
        key = self.platform_key()
        self.report(key, completion("r1", TRAINEE), completion("r2", REGISTERED))
        self.register(REGISTERED)
        self.claim_id, self.verified = self.claim(TRAINEE, "r1"), self.claim(REGISTERED, "r2")
        return key

    def act(self, login, claim, action, body=None):
        return self.ok(self.county.request("POST", f"/api/claims/{claim}/{action}", body or {},
                                           self.token(login)))

    def approve(self, *claims):
        """Approved, then published (公示) on a day ten days ago: their notice is over and
        finance may pay them."""
        for claim in claims:
            self.act("zhao.reviewer", claim, "approve")
        self.publish_ten_days_ago()

    def publish_ten_days_ago(self):
        """The approved claims published in the notice of ten days ago, counted on a calendar
        of weekends only for the years involved (the built-in one ends with 2021); the app's
        clock moved back for it, then forward again."""
        today = datetime.date.today()
        for year in sorted({today.year, (today - datetime.timedelta(days=10)).year}):
            self.ok(self.county.request("PUT", f"/api/policy/calendar/{year}", {
                "source": "测试日历：周末休息", "holidays": [], "working_weekends": []},
                self.admin_token))
        self.county.move_clock(-10 * 86400)
        reviewer = self.token("zhao.reviewer")
        while not self.ok(self.county.request("POST", "/api/claims/publicity", None,
                                              reviewer))["done"]:
            pass
        self.county.move_clock(0)

    def pay(self, claim, login="li.finance", reference="SB-2020-04-0001"):
        self.act(login, claim, "pay", {"reference": reference, "paid_on": "2020-04-20"})

    def march_invoice(self, key):
        """The platform bills March: the registered trainee's line (20% of 1000.00)."""
        body = self.ok(self.county.signed("POST", "/api/platform/invoices", {"month": "2020-03"},
                                          *key), 201)
        return body["invoice"]["number"]

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.downloads.cleanup()

    def tearDown(self):
        # What the browser showed when a test ended: for a failure, the first thing to look at.
        self.browser.save_screenshot(str(SHOTS / f"last-{self._testMethodName}.png"))

    def shot(self, name):
        """Saves the screen, after checking that every control on it has a label."""
        unlabelled = self.browser.execute_script("""
            return [...document.querySelectorAll("input, select, textarea")]
              .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label"))
              .map((e) => e.outerHTML);""")
        self.assertEqual(unlabelled, [], f"controls without a label on screen {name}")
        self.browser.save_screenshot(str(SHOTS / f"{name}.png"))

    def downloaded(self, click, suffix="csv"):
        """The file a click downloads: a CSV file's text, or the path of another."""
        folder = pathlib.Path(self.downloads.name)
        before = set(folder.glob("*." + suffix))
        click()
        deadline = time.time() + 20
        while not set(folder.glob("*." + suffix)) - before:
            self.assertLess(time.time(), deadline, "nothing was downloaded")
            time.sleep(0.2)
        [new] = set(folder.glob("*." + suffix)) - before
        return new.read_text(encoding="utf-8-sig") if suffix == "csv" else new

    def sign_in(self, login, password, role=None):
        self.browser.get(self.county.base + "/console/")
        # Whatever an earlier test left signed in (a failed one does not sign out).
        self.browser.execute_script("sessionStorage.clear()")
        self.browser.refresh()
        self.wait.until(ready.element_to_be_clickable((By.ID, "sign-in")))
        self.browser.find_element(By.ID, "f-login").send_keys(login)
        self.browser.find_element(By.ID, "f-password").send_keys(password)
        if role:
            Select(self.browser.find_element(By.ID, "f-role")).select_by_value(role)
        self.browser.find_element(By.ID, "sign-in").click()

    def set_value(self, element_id, value):
        """Sets a date or month input as the page would (typing one follows the browser's locale)."""
        self.browser.execute_script(
            "document.getElementById(arguments[0]).value = arguments[1]", element_id, value)

    def sign_out(self):
        self.browser.find_element(By.ID, "sign-out").click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "sign-in")))

    def test_a_wrong_password_is_refused_beside_the_form(self):
        self.accounts("zhao.reviewer")
        self.sign_in("zhao.reviewer", "not the password")
        error = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, ".error[data-field='form']")))
        self.wait.until(lambda _: error.text)
        self.assertEqual(error.text, "登录名或密码不正确")
        self.shot("1-sign-in-refused")

    def test_a_reviewer_approves_a_claim_from_the_queue_and_the_verified_queue_in_bulk(self):
        self.accounts("zhao.reviewer")
        self.two_claims()
        self.sign_in("zhao.reviewer", PASSWORD)
        row = self.wait.until(ready.element_to_be_clickable(
            (By.CSS_SELECTOR, f"button[aria-label='查看申领 {self.claim_id}']")))
        self.assertIn("赵审核（审核员）", self.browser.find_element(By.ID, "who-name").text)
        self.assertEqual(self.browser.find_elements(By.ID, "view-payable"), [],
                         "a reviewer sees no finance screen")
        self.assertEqual(self.browser.find_elements(By.ID, "view-invoices"), [])
        self.shot("2-review-queue")
        row.click()
        approve = self.wait.until(ready.element_to_be_clickable((By.ID, "approve")))
        page = self.browser.find_element(By.ID, "app").text
        self.assertIn("农民工", page)
        self.assertIn("120.00 元", page, "24 hours at 5 CNY")
        self.shot("3-claim")
        # Rejecting without a reason is refused, the API's message beside the reason.
        self.browser.find_element(By.ID, "reject").click()
        error = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, ".error[data-field='reason']")))
        self.wait.until(lambda _: error.text)
        self.shot("4-reject-without-reason")
        approve.click()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, f"申领 {self.claim_id} 已审核通过。")
        self.wait.until(ready.visibility_of_element_located((By.ID, "queue-empty")))
        self.shot("5-queue-after-approval")
        # The registry-verified queue, approved a page at once.
        self.browser.find_element(By.ID, "tab-verified").click()
        bulk = self.wait.until(ready.element_to_be_clickable((By.ID, "bulk-approve")))
        self.assertIn(self.verified, self.browser.find_element(By.ID, "queue").text)
        self.assertEqual(bulk.text, "批量通过本页 1 件")
        self.shot("6-verified-queue")
        bulk.click()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, "已批量通过 1 件申领。")
        self.wait.until(ready.visibility_of_element_located((By.ID, "queue-empty")))
        self.sign_out()

    def test_a_reviewer_publishes_approved_claims_and_resolves_an_objection_from_the_queue(self):
        self.accounts("zhao.reviewer")
        self.two_claims()
        for claim in (self.claim_id, self.verified):
            self.act("zhao.reviewer", claim, "approve")
        year = datetime.date.today().year
        self.ok(self.county.request("PUT", f"/api/policy/calendar/{year}", {
            "source": "测试日历：周末休息", "holidays": [], "working_weekends": []}, self.admin_token))
        self.sign_in("zhao.reviewer", PASSWORD)
        self.wait.until(ready.element_to_be_clickable((By.ID, "view-notices"))).click()
        self.wait.until(ready.visibility_of_element_located((By.ID, "notices-empty")))
        self.browser.find_element(By.ID, "publish").click()
        today = datetime.date.today().isoformat()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, f"已将 2 件申领列入 {today} 的公示。")
        self.browser.find_element(By.ID, "notice-" + today).click()
        table = self.wait.until(ready.visibility_of_element_located((By.ID, "notice-entries")))
        self.assertIn("张*", table.text)
        self.assertNotIn("张三", table.text)
        self.assertIn("互联网+职业技能培训网", table.text)
        self.assertTrue(self.text("notice-period").endswith("共 2 件。"))
        self.shot("38-notice")
        # Someone objects through the public endpoint: the claim is back in the review queue.
        self.ok(self.county.request("POST", f"/api/notices/{today}/objections", {
            "claim_id": self.claim_id, "reason": "申领人已在企业就业", "contact": "13800000000"}), 201)
        self.browser.find_element(By.ID, "view-review").click()
        # The notice's rows open claims too: wait for the queue to replace them.
        self.wait.until(ready.staleness_of(table))
        self.wait.until(ready.element_to_be_clickable(
            (By.CSS_SELECTOR, f"button[aria-label='查看申领 {self.claim_id}']"))).click()
        objections = self.wait.until(ready.visibility_of_element_located((By.ID, "objections")))
        self.assertIn("申领人已在企业就业（联系方式：13800000000）", objections.text)
        self.assertIn(f"{today} 公示", self.text("claim-notice"))
        self.shot("39-objection")
        self.wait.until(ready.element_to_be_clickable((By.ID, "approve"))).click()
        done = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(done.text, f"申领 {self.claim_id} 已审核通过。")
        self.sign_out()

    def test_a_reviewer_finds_the_trainees_to_tell_of_their_allowance_by_village_and_downloads_them(self):
        self.accounts("zhao.reviewer")
        key = self.two_claims()
        # April: a registered trainee's second training, reported and not claimed; the county's
        # list places them in 东关村.
        self.report(key, completion("r3", REGISTERED, month="04"))
        self.register(REGISTERED, community="东关村", phone="13800138000")
        self.sign_in("zhao.reviewer", PASSWORD)
        self.wait.until(ready.element_to_be_clickable((By.ID, "view-outreach"))).click()
        Select(self.wait.until(ready.element_to_be_clickable((By.NAME, "platform_id")))).select_by_value("wljnpx")
        self.wait.until(ready.visibility_of_element_located((By.ID, "outreach-empty")))
        month = self.browser.find_element(By.ID, "f-outreach-month")
        self.browser.execute_script(
            "arguments[0].value = '2020-04'; arguments[0].dispatchEvent(new Event('change'))", month)
        table = self.wait.until(ready.visibility_of_element_located((By.ID, "outreach")))
        self.assertIn("张三", table.text)
        self.assertIn("实名登记", table.text)
        self.assertIn("120.00 元", table.text)
        self.assertIn("13800138000", table.text)
        heading = table.find_element(By.CSS_SELECTOR, "tr.group th")
        self.assertEqual(heading.text, "东关村")
        self.shot("40-outreach")
        rows = self.downloaded(lambda: self.browser.find_element(By.ID, "outreach-csv").click())
        self.assertIn("wljnpx,r3,张三", rows)
        self.assertIn("实名登记,东关村,13800138000,120.00", rows)
        self.assertIn("TOTAL,1", rows)
        # Another village's officer asks for theirs: nobody to tell there.
        village = self.browser.find_element(By.ID, "f-outreach-community")
        self.browser.execute_script(
            "arguments[0].value = '西街社区'; arguments[0].dispatchEvent(new Event('change'))", village)
        self.wait.until(ready.visibility_of_element_located((By.ID, "outreach-empty")))
        self.assertEqual(self.browser.find_element(By.ID, "f-outreach-community").get_attribute("value"),
                         "西街社区")
        self.sign_out()

    def test_finance_pays_an_approved_claim(self):
        self.accounts("zhao.reviewer", "li.finance")
        self.two_claims()
        self.approve(self.claim_id, self.verified)
        self.sign_in("li.finance", PASSWORD)
        pay = self.wait.until(ready.element_to_be_clickable(
            (By.CSS_SELECTOR, f"button[aria-label='支付申领 {self.claim_id}']")))
        self.assertEqual(self.browser.find_element(By.ID, "payable-total").text, "本页 2 件，合计 240.00 元")
        self.assertEqual(self.browser.find_elements(By.ID, "tab-review"), [],
                         "finance sees no review queue")
        self.shot("7-payable")
        pay.click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "pay")))
        # Finance pays to the whole account, which it alone sees.
        self.assertIn("6217001234567890123", self.browser.find_element(By.ID, "claim-facts").text)
        self.browser.find_element(By.ID, "f-pay-reference").send_keys("SB-2020-04-0001")
        # A date input takes the date as typed in the browser's locale: set it as the page would.
        self.set_value("f-pay-paid_on", "2020-04-20")
        self.shot("8-pay")
        self.browser.find_element(By.ID, "pay").click()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, f"申领 {self.claim_id} 已记录支付。")
        self.wait.until(ready.text_to_be_present_in_element((By.ID, "payable"), self.verified))
        self.assertNotIn(self.claim_id, self.browser.find_element(By.ID, "payable").text)
        self.assertEqual(self.browser.find_element(By.ID, "payable-total").text, "本页 1 件，合计 120.00 元")
        self.shot("9-paid")
        self.sign_out()
        status, claim = self.county.request("GET", f"/api/claims/{self.claim_id}",
                                            token=self.admin_token)
        self.assertEqual((status, claim["status"]), (200, "paid"))
        self.assertEqual([t["changed"]["by"] for t in claim["transitions"][1:]],
                         ["zhao.reviewer", "li.finance"])

    def choose_platform(self, view):
        """Opens a screen that lists by platform, and chooses wljnpx (the screen is drawn again)."""
        drawn = self.browser.find_elements(By.ID, "f-platform_id")
        self.wait.until(ready.element_to_be_clickable((By.ID, view))).click()
        if drawn:
            self.wait.until(ready.staleness_of(drawn[0]))
        platform = self.wait.until(ready.element_to_be_clickable((By.ID, "f-platform_id")))
        if Select(platform).first_selected_option.get_attribute("value") == "wljnpx":
            return
        Select(platform).select_by_value("wljnpx")
        self.wait.until(ready.staleness_of(platform))
        self.wait.until(ready.element_to_be_clickable((By.ID, "f-platform_id")))

    def open_invoices(self):
        self.choose_platform("view-invoices")

    def open_invoice(self, number):
        self.open_invoices()
        self.wait.until(ready.element_to_be_clickable((By.ID, f"open-{number}"))).click()
        self.wait.until(ready.visibility_of_element_located((By.ID, "invoice-facts")))

    def test_finance_approves_pays_and_downloads_an_invoice_four_eyes_apart(self):
        self.accounts("li.finance", "qian.finance")
        number = self.march_invoice(self.two_claims())
        self.sign_in("li.finance", PASSWORD)
        self.open_invoices()
        self.assertIn("200.00 元", self.wait.until(ready.visibility_of_element_located(
            (By.ID, f"invoice-{number}"))).text)
        self.shot("12-invoices")
        self.open_invoice(number)
        self.assertIn("200.00 元", self.browser.find_element(By.ID, "invoice-lines").text)
        self.assertIn("20%", self.browser.find_element(By.ID, "invoice-lines").text)
        self.browser.find_element(By.ID, f"approve-{number}").click()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, f"发票 {number} 已审批。")
        # Whoever approved it may not pay it: the API's reason shows beside the payment.
        self.wait.until(ready.element_to_be_clickable((By.ID, f"reference-{number}"))).send_keys("BANK-1")
        self.set_value(f"paid-on-{number}", "2020-04-20")
        self.browser.find_element(By.ID, f"pay-{number}").click()
        error = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, "form[aria-label='支付'] .error[data-field='form']")))
        self.wait.until(lambda _: error.text)
        self.assertIn("审批发票的人员不能同时办理支付", error.text)
        self.shot("13-invoice-four-eyes")
        text = self.downloaded(
            lambda: self.browser.find_element(By.ID, f"csv-{number}").click())
        self.assertIn("TOTAL", text)
        self.assertIn("200.00", text)
        workbook = self.downloaded(
            lambda: self.browser.find_element(By.ID, f"xlsx-{number}").click(), "xlsx")
        with zipfile.ZipFile(workbook) as xlsx:
            sheet = xlsx.read("xl/worksheets/sheet1.xml").decode()
        self.assertIn('s="1"><v>200.00</v>', sheet, "the line's amount, as a money cell")
        self.sign_out()
        self.sign_in("qian.finance", PASSWORD)
        self.open_invoice(number)
        self.wait.until(ready.element_to_be_clickable((By.ID, f"reference-{number}"))).send_keys("BANK-1")
        self.set_value(f"paid-on-{number}", "2020-04-20")
        self.browser.find_element(By.ID, f"pay-{number}").click()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, f"发票 {number} 已记录支付。")
        self.assertIn("已支付", self.browser.find_element(By.ID, "invoice-facts").text)
        self.shot("14-invoice-paid")
        self.sign_out()

    def test_an_admin_sets_a_standard_corrects_it_with_a_reason_and_uploads_the_registry(self):
        self.sign_in("admin", self.county.admin_password)
        self.wait.until(ready.element_to_be_clickable((By.ID, "view-standards"))).click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "save-standard")))
        self.browser.find_element(By.ID, "f-occupation").send_keys("4-03-02-02")
        self.browser.find_element(By.ID, "f-occupation_name").send_keys("西式烹调师")
        self.browser.find_element(By.ID, "f-standard").send_keys("800")
        self.set_value("f-valid_from", "2020-01-01")
        self.browser.find_element(By.ID, "save-standard").click()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, "已保存 4-03-02-02 五级/初级工：800 元，自 2020-01-01 起。")
        row = self.browser.find_element(By.ID, "standards").text
        self.assertIn("西式烹调师", row)
        self.assertIn("800.00 2020-01-01 现行 admin", row, "its day, in force, who set it")
        # From June 2020 at 900: days priced at 800 would change, so the reason is asked for.
        self.browser.find_element(By.ID, "f-occupation").send_keys("4-03-02-02")
        self.browser.find_element(By.ID, "f-standard").send_keys("900")
        self.set_value("f-valid_from", "2020-06-01")
        self.browser.find_element(By.ID, "save-standard").click()
        error = self.wait.until(ready.visibility_of_element_located((By.ID, "f-reason-error")))
        self.wait.until(lambda _: error.text)
        self.assertIn("请填写更正原因", error.text)
        self.shot("15a-standard-correction-needs-reason")
        self.browser.find_element(By.ID, "f-reason").send_keys("市局文件更正")
        self.browser.find_element(By.ID, "save-standard").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), "已保存 4-03-02-02 五级/初级工：900 元，自 2020-06-01 起。"))
        rows = [r.text for r in self.browser.find_elements(By.CSS_SELECTOR, "#standards tbody tr")]
        self.assertTrue(any("800.00 2020-01-01 已停用或被替代" in r for r in rows), rows)
        self.assertTrue(any("900.00 2020-06-01 现行" in r for r in rows), rows)
        # A bad amount: the API's message beside the field.
        self.browser.find_element(By.ID, "f-occupation").send_keys("4-03-02-03")
        self.browser.find_element(By.ID, "f-standard").send_keys("-5")
        self.browser.find_element(By.ID, "save-standard").click()
        error = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, ".error[data-field='standard']")))
        self.wait.until(lambda _: error.text)
        self.shot("15-standards")

        self.browser.find_element(By.ID, "view-registry").click()
        upload = self.wait.until(ready.element_to_be_clickable((By.ID, "upload")))
        good = [resident_id(f"37090219860201{i:03d}") for i in range(3)]
        # The first already passed a training: the upload finds it and offers it (政策找人).
        self.report(self.platform_key(), completion("g0", good[0]))
        files = pathlib.Path(self.downloads.name)
        (files / "good.csv").write_text(
            "\ufeff身份证号,人群类别,来源,起始日期,截止日期,村/社区,电话\r\n"
            # Days as Excel writes them (the API takes 2020-01-01; the console converts); a
            # village named for two, none for the third; a phone for the first.
            + "".join(f"{r},migrant_worker,农民工实名制登记,2020/1/1,2020/12/31,"
                      f"{'东关村' if i < 2 else ''},{'138-0013-8000' if i == 0 else ''}\r\n"
                      for i, r in enumerate(good)),
            encoding="utf-8")
        self.browser.find_element(By.ID, "f-file").send_keys(str(files / "good.csv"))
        upload.click()
        stored = self.wait.until(ready.visibility_of_element_located((By.ID, "registry-stored")))
        self.assertEqual(stored.text, "已保存 3 条，共 3 条。")
        found = [self.ok(self.county.request("POST", "/api/eligibility/registry/lookup",
                                             {"resident_id": r}, self.admin_token))["entries"][0]
                 for r in good]
        self.assertEqual([e.get("community") for e in found], ["东关村", "东关村", None])
        self.assertEqual([e.get("phone") for e in found], ["13800138000", None, None])
        self.assertEqual(self.text("registry-offers"),
                         "名单中的人员有 1 条已考核合格、尚未申领的培训记录，已在小程序中通知其领取（政策找人）。")
        events = self.ok(self.county.request("GET", "/api/claims/events", None,
                                             self.county.trainee_token(good[0])))["events"]
        self.assertEqual([e["type"] for e in events], ["completion.reported", "offer.made"])
        (files / "bad.csv").write_text(
            "身份证号,人群类别,来源,起始日期\n"
            f"{good[0]},migrant_worker,登记,2020-01-01\n"
            "370902198602020000,migrant_worker,登记,2020-01-01\n",
            encoding="utf-8")
        self.browser.find_element(By.ID, "f-file").clear()
        self.browser.find_element(By.ID, "f-file").send_keys(str(files / "bad.csv"))
        self.browser.find_element(By.ID, "upload").click()
        problems = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, "#registry-results ul.problems")))
        self.assertIn("第 3 行", problems.text, "the bad row, counted as in the file")
        self.assertEqual(self.browser.find_element(By.ID, "registry-stored").text,
                         "已保存 0 条，共 2 条。")
        self.shot("16-registry-upload")
        self.sign_out()

    def test_five_wrong_passwords_lock_the_account(self):
        self.accounts("sun.locked")
        for _ in range(5):
            self.sign_in("sun.locked", "not the password")
            error = self.wait.until(ready.visibility_of_element_located(
                (By.CSS_SELECTOR, ".error[data-field='form']")))
            self.wait.until(lambda _: error.text)
        self.assertTrue(error.text.startswith("连续登录失败次数过多，账户已锁定至"), error.text)
        self.sign_in("sun.locked", PASSWORD)
        error = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, ".error[data-field='form']")))
        self.wait.until(lambda _: error.text)
        self.assertTrue(error.text.startswith("连续登录失败次数过多"), "even the right password")
        self.shot("17-locked")

    def test_the_report_charts_amounts_and_filters_by_month(self):
        self.accounts("zhao.reviewer", "li.finance")
        self.two_claims()
        self.approve(self.claim_id, self.verified)
        self.pay(self.claim_id)
        self.sign_in("zhao.reviewer", PASSWORD)
        self.wait.until(ready.element_to_be_clickable((By.ID, "view-report"))).click()
        headline = self.wait.until(ready.visibility_of_element_located((By.ID, "report-headline")))
        self.assertEqual(headline.text,
                         "申领 2 件；已支付 120.00 元，追回 0.00 元，净支付 120.00 元。")
        group = self.browser.find_element(By.ID, "chart-group")
        self.assertIn("农民工", group.text)
        self.assertIn("240.00 元（2 件）", group.text)
        self.assertIn("2020-03", self.browser.find_element(By.ID, "chart-month").text)
        self.assertIn("wljnpx", self.browser.find_element(By.ID, "chart-platform").text)
        self.browser.execute_script(
            "document.getElementById('chart-month').scrollIntoView()")
        self.shot("18-report-charts")
        text = self.downloaded(lambda: self.browser.find_element(By.ID, "report-csv").click())
        self.assertIn("370902,PAID_MINUS_RECOVERED,,,,,,120.00", text)
        self.set_value("f-from", "2020-04")
        self.browser.find_element(By.ID, "report-filter").click()
        self.wait.until(ready.text_to_be_present_in_element((By.ID, "report-headline"),
                                                            "申领 0 件"))
        self.shot("19-report-from-april")
        self.sign_out()

    def test_an_admin_issues_and_revokes_a_platform_key_and_manages_accounts(self):
        self.platform_key()
        self.accounts("sun.locked")
        self.lock("sun.locked")
        self.sign_in("admin", self.county.admin_password)
        self.choose_platform("view-keys")
        self.wait.until(ready.element_to_be_clickable((By.ID, "issue-key"))).click()
        secret = self.wait.until(ready.visibility_of_element_located((By.ID, "secret"))).text
        self.assertTrue(secret.startswith("ps_"), secret)
        rows = self.browser.find_elements(By.CSS_SELECTOR, "#keys tbody tr")
        self.assertEqual(len(rows), 2, "the key the test began with and the new one")
        first, key_id = (r.get_attribute("id").removeprefix("key-") for r in rows)
        self.shot("20-key-issued")
        # The new key signs a platform's request (an empty batch: refused, but not its key).
        status, body = self.county.signed("POST", "/api/platform/completions",
                                          {"records": []}, key_id, secret)
        self.assertEqual(status, 422, body)
        self.browser.find_element(By.ID, "revoke-" + key_id).click()
        self.wait.until(ready.text_to_be_present_in_element((By.ID, "key-" + key_id), "已吊销"))
        self.assertEqual(self.browser.find_elements(By.ID, "secret"), [], "shown once only")
        status, body = self.county.signed("POST", "/api/platform/completions",
                                          {"records": []}, key_id, secret)
        self.assertEqual(status, 401, body)
        # The first key rotated: a new key, its secret shown once; the old one overlaps.
        self.browser.find_element(By.ID, "rotate-" + first).click()
        rotated = self.wait.until(ready.visibility_of_element_located((By.ID, "secret"))).text
        self.assertTrue(rotated.startswith("ps_") and rotated != secret)
        self.assertEqual(len(self.browser.find_elements(By.CSS_SELECTOR, "#keys tbody tr")), 3)
        self.assertIn("轮换中", self.browser.find_element(By.ID, "key-" + first).text)

        self.browser.find_element(By.ID, "view-accounts").click()
        create = self.wait.until(ready.element_to_be_clickable((By.ID, "create-account")))
        self.browser.find_element(By.ID, "f-login").send_keys("zhou.new")
        self.browser.find_element(By.ID, "f-display_name").send_keys("周新")
        self.browser.find_element(By.ID, "f-password").send_keys("short")
        self.browser.find_element(By.ID, "role-reviewer").click()
        create.click()
        error = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, ".error[data-field='password']")))
        self.wait.until(lambda _: error.text)
        self.assertEqual(error.text, "密码应为10至128个字符")
        self.browser.find_element(By.ID, "f-password").send_keys(" enough now")
        create.click()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, "账户 zhou.new 已创建。")
        self.assertIn("审核员", self.browser.find_element(By.ID, "account-zhou.new").text)
        self.browser.find_element(By.ID, "disable-zhou.new").click()
        self.wait.until(ready.text_to_be_present_in_element((By.ID, "account-zhou.new"), "已停用"))
        self.assertIn("锁定至", self.browser.find_element(By.ID, "account-sun.locked").text)
        self.shot("21-accounts")
        # The locked account's password reset by the admin: the lock goes, the new one works.
        Select(self.browser.find_element(By.ID, "f-reset_login")).select_by_value("sun.locked")
        self.browser.find_element(By.ID, "f-reset-password").send_keys("reset password 22")
        self.browser.find_element(By.ID, "reset-password").click()
        # (The notice of the disabling is on screen until the page is drawn again.)
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), "账户 sun.locked 的密码已重置。"))
        self.assertIn("正常", self.browser.find_element(By.ID, "account-sun.locked").text)
        status, _ = self.county.request("POST", "/api/accounts/sign-in",
                                        {"login": "sun.locked", "password": "reset password 22"})
        self.assertEqual(status, 200)
        status, body = self.county.request("POST", "/api/accounts/sign-in",
                                           {"login": "zhou.new", "password": "short enough now"})
        self.assertEqual((status, body["error"]["code"]), (403, "account_disabled"))
        self.sign_out()

    def test_an_admin_adds_a_platform_to_the_register_and_suspends_it_with_a_reason(self):
        self.sign_in("admin", self.county.admin_password)
        self.wait.until(ready.element_to_be_clickable((By.ID, "view-platforms"))).click()
        save = self.wait.until(ready.element_to_be_clickable((By.ID, "save-platform")))
        self.browser.find_element(By.ID, "f-id").send_keys("xinpingtai")
        self.browser.find_element(By.ID, "f-name").send_keys("新职业技能平台")
        self.set_value("f-recorded_on", "2020-03-01")
        save.click()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, "已保存平台 xinpingtai。")
        row = self.browser.find_element(By.ID, "platform-xinpingtai").text
        self.assertIn("已认定", row)
        self.assertIn("2020-03-01", row)
        # Suspended from June 2020, days it was approved: a correction, its reason asked for.
        self.browser.find_element(By.ID, "edit-xinpingtai").click()
        Select(self.browser.find_element(By.ID, "f-status")).select_by_value("suspended")
        self.set_value("f-effective_from", "2020-06-01")
        self.browser.find_element(By.ID, "save-platform").click()
        error = self.wait.until(ready.visibility_of_element_located((By.ID, "f-reason-error")))
        self.wait.until(lambda _: error.text)
        self.assertIn("请填写更正原因", error.text)
        self.browser.find_element(By.ID, "f-reason").send_keys("省厅撤销认定")
        self.browser.find_element(By.ID, "save-platform").click()
        self.wait.until(ready.text_to_be_present_in_element((By.ID, "platform-xinpingtai"),
                                                            "已暂停"))
        self.shot("22-platforms")
        self.sign_out()

    def assert_no_sideways_scrolling(self):
        width = self.browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        self.assertLessEqual(width[0], width[1], "no sideways scrolling")

    def test_on_a_phone_the_sign_in_claim_and_invoice_fit_the_screen_and_sign_in_works_by_keyboard(self):
        self.accounts("zhao.reviewer", "li.finance")
        number = self.march_invoice(self.two_claims())
        self.approve(self.claim_id, self.verified)
        self.browser.set_window_size(390, 844)
        try:
            self.browser.get(self.county.base + "/console/")
            login = self.wait.until(ready.element_to_be_clickable((By.ID, "f-login")))
            self.assert_no_sideways_scrolling()
            self.shot("10-phone-sign-in")
            login.send_keys("li.finance")
            # Tab to the password, type it, Enter submits.
            self.browser.switch_to.active_element.send_keys("\t")
            self.browser.switch_to.active_element.send_keys("console password 1\n")
            self.wait.until(ready.visibility_of_element_located((By.ID, "payable")))
            self.assert_no_sideways_scrolling()
            self.shot("11-phone-payable")
            # The widest screens: a claim in full, and an invoice's lines (10 columns).
            self.look_up(self.claim_id)
            self.assert_no_sideways_scrolling()
            self.shot("11b-phone-claim")
            self.open_invoice(number)
            self.assert_no_sideways_scrolling()
            self.shot("11c-phone-invoice")
            self.sign_out()
        finally:
            self.browser.set_window_size(1366, 768)

    def text(self, element_id):
        return self.browser.find_element(By.ID, element_id).text

    def test_a_reviewer_reads_a_claims_record_and_recheck_and_cannot_approve_it_once_its_platform_is_suspended(self):
        self.accounts("zhao.reviewer")
        self.standard()
        platform = {"name": "云泰职业培训平台", "recorded_on": "2020-02-01", "status": "approved"}
        status, body = self.county.request("PUT", "/api/policy/platforms/yuntai", platform,
                                           self.admin_token)
        self.assertEqual(status, 200, body)
        status, key = self.county.request("POST", "/api/platform/credentials",
                                          {"platform_id": "yuntai"}, self.admin_token)
        self.assertEqual(status, 201, key)
        trainee = resident_id("37090219920202123")
        status, body = self.county.signed("POST", "/api/platform/completions",
                                          {"records": [completion("r3", trainee)]},
                                          key["key_id"], key["secret"])
        self.assertEqual(status, 200, body)
        status, body = self.county.request("POST", "/api/claims", {
            "platform_id": "yuntai", "record_id": "r3", "group": "migrant_worker",
            "payee": {"kind": "social_security_card", "account": "6217001234567890999"},
            "consent": True}, self.county.trainee_token(trainee))
        self.assertEqual(status, 201, body)
        claim = body["claim"]["id"]
        self.sign_in("zhao.reviewer", PASSWORD)
        self.wait.until(ready.element_to_be_clickable(
            (By.CSS_SELECTOR, f"button[aria-label='查看申领 {claim}']"))).click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "approve")))
        record = self.text("record")
        for shown in ["CERT-r3", "线上", "2020-02-20 至 2020-03-10", "合格，86 分，2020-03-15",
                      "已申领"]:
            self.assertIn(shown, record)
        self.assertIn("仅本人申报，待人工核实", self.text("claim-facts"))
        self.assertIn("生活费补贴 120.00 元", self.text("verdict"))
        self.assertEqual(self.text("recheck"), "按现在的情况复核：仍符合条件。")
        self.shot("23-claim-record-and-recheck")
        # The province suspends the platform from before the assessment: the recheck, and
        # approval, now give the reason.
        status, body = self.county.request("PUT", "/api/policy/platforms/yuntai", {
            **platform, "status": "suspended", "effective_from": "2020-03-01",
            "reason": "省厅撤销认定"}, self.admin_token)
        self.assertEqual(status, 200, body)
        status, recheck = self.county.request("GET", f"/api/claims/{claim}/recheck",
                                              token=self.admin_token)
        self.assertEqual((status, recheck["eligible"]), (200, False))
        self.browser.find_element(By.ID, "back").click()
        self.wait.until(ready.element_to_be_clickable(
            (By.CSS_SELECTOR, f"button[aria-label='查看申领 {claim}']"))).click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "approve")))
        self.assertIn("不再符合条件（1 项）", self.text("recheck"))
        self.assertIn(recheck["reasons"][0]["message_zh"], self.text("recheck"))
        self.browser.find_element(By.ID, "approve").click()
        error = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, "form[aria-label='审核通过'] .error[data-field='form']")))
        self.wait.until(lambda _: error.text)
        self.assertIn(recheck["reasons"][0]["message_zh"], error.text)
        self.shot("24-claim-platform-suspended")
        self.browser.find_element(By.ID, "f-reject-reason").send_keys("平台已被暂停认定")
        self.browser.find_element(By.ID, "reject").click()
        notice = self.wait.until(ready.visibility_of_element_located((By.ID, "notice")))
        self.assertEqual(notice.text, f"申领 {claim} 已驳回。")
        self.sign_out()

    def look_up(self, claim):
        self.wait.until(ready.element_to_be_clickable((By.ID, "view-lookup"))).click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "f-claim_id"))).send_keys(claim)
        self.browser.find_element(By.ID, "lookup").click()
        self.wait.until(ready.visibility_of_element_located((By.ID, "claim-facts")))

    def test_finance_records_the_banks_results_a_return_a_second_payment_and_a_recovery(self):
        self.accounts("zhao.reviewer", "li.finance", "qian.finance")
        self.two_claims()
        self.approve(self.verified)
        self.sign_in("li.finance", PASSWORD)
        self.wait.until(ready.visibility_of_element_located((By.ID, "payable")))
        self.assertEqual(self.text("payable-total"), "本页 1 件，合计 120.00 元")
        batch = self.downloaded(lambda: self.browser.find_element(By.ID, "payment-batch").click())
        self.assertIn(self.verified, batch)
        self.assertIn("120.00", batch)
        # The bank's result file as Excel saves it: one line paid, one for no such claim.
        results = pathlib.Path(self.downloads.name) / "bank-results.txt"
        results.write_text("\ufeff申领编号,结果,凭证号,支付日期,退回原因\r\n"
                           f"{self.verified},成功,SB-2020-05-0002,2020/5/6,\r\n"
                           "c-0000000000000000,成功,SB-2020-05-0003,2020/5/6,\r\n",
                           encoding="utf-8")
        self.browser.find_element(By.ID, "view-bank").click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "f-file"))).send_keys(str(results))
        self.browser.find_element(By.ID, "bank-upload").click()
        applied = self.wait.until(ready.visibility_of_element_located((By.ID, "bank-applied")))
        self.assertEqual(applied.text, "已登记 1 行，共 2 行。")
        lines = self.text("bank-lines")
        self.assertIn(f"第 2 行，申领 {self.verified}：已登记（已支付）", lines)
        self.assertIn("第 3 行，申领 c-0000000000000000：请求的资源不存在", lines)
        self.shot("25-bank-results")
        # The bank sends the payment back: recorded, then paid again.
        self.look_up(self.verified)
        self.assertIn("2020-05-06 支付（凭证 SB-2020-05-0002", self.text("payments"))
        self.browser.find_element(By.ID, "f-returned-reason").send_keys("账户已销户")
        self.browser.find_element(By.ID, "payment-returned").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), f"申领 {self.verified} 已记录银行退回。"))
        self.assertIn("支付退回", self.text("claim-facts"))
        self.assertIn("被银行退回：账户已销户", self.text("payments"))
        # Four eyes: who recorded the return is not offered the next payment; another is.
        self.assertEqual(self.browser.find_elements(By.ID, "pay"), [])
        self.sign_out()
        # The trainee gives a new account (in the mini-program): the claim is back on the desk.
        self.ok(self.county.request(
            "PUT", f"/api/claims/{self.verified}/payee",
            {"kind": "social_security_card", "account": "6217001234567890456"},
            self.county.trainee_token(REGISTERED)))
        self.sign_in("qian.finance", PASSWORD)
        self.wait.until(ready.visibility_of_element_located((By.ID, "payable")))
        self.assertIn(self.verified, self.text("payable"))
        self.look_up(self.verified)
        self.browser.find_element(By.ID, "f-pay-reference").send_keys("SB-2020-05-0009")
        self.set_value("f-pay-paid_on", "2020-05-12")
        self.shot("26-payment-returned")
        self.browser.find_element(By.ID, "pay").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), f"申领 {self.verified} 已记录支付。"))
        # Found wrongly paid: a recovery (a bad amount refused beside its field), then repaid.
        self.look_up(self.verified)
        amount = self.browser.find_element(By.ID, "f-recovery-amount")
        amount.clear()
        amount.send_keys("五十")
        self.browser.find_element(By.ID, "f-recovery-reason").send_keys("重复享受补贴")
        self.browser.find_element(By.ID, "start-recovery").click()
        error = self.wait.until(ready.visibility_of_element_located(
            (By.ID, "f-recovery-amount-error")))
        self.wait.until(lambda _: error.text)
        amount.clear()
        amount.send_keys("50.00")
        self.browser.find_element(By.ID, "start-recovery").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), f"申领 {self.verified} 已开始追回。"))
        self.assertIn("追回中", self.text("claim-facts"))
        self.browser.find_element(By.ID, "f-recovered-reference").send_keys("HK-2020-06-01")
        self.set_value("f-recovered-paid_on", "2020-06-01")
        self.browser.find_element(By.ID, "recovered").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), f"申领 {self.verified} 已记录追回。"))
        self.assertIn("追回 50.00 元：重复享受补贴；2020-06-01 已缴回（凭证 HK-2020-06-01）",
                      self.text("payments"))
        self.shot("27-recovered")
        self.sign_out()
        status, claim = self.county.request("GET", f"/api/claims/{self.verified}",
                                            token=self.admin_token)
        self.assertEqual((status, claim["status"]), (200, "recovered"))
        self.assertEqual([t["to"] for t in claim["transitions"][2:]],
                         ["paid", "payment_returned", "payment_returned", "paid", "recovering",
                          "recovered"], "the second payment_returned: the payee corrected")

    def test_finance_previews_a_month_cancels_an_invoice_and_recovers_a_line(self):
        self.accounts("li.finance", "qian.finance")
        key = self.two_claims()
        march = self.march_invoice(key)
        for login, step, body in [("li.finance", "approve", {}), ("qian.finance", "pay", {
                "reference": "BANK-1", "paid_on": "2020-04-20"})]:
            self.ok(self.county.request("POST", f"/api/platform/invoices/{march}/{step}", body,
                                        self.token(login)))
        registered, declared = resident_id("37090219880808123"), resident_id("37090219770707123")
        status, body = self.county.request("POST", "/api/eligibility/registry", {"entries": [
            {"resident_id": registered, "group": "migrant_worker", "source": "实名登记",
             "valid_from": "2020-01-01"}]}, self.admin_token)
        self.assertEqual(status, 200, body)
        status, body = self.county.signed("POST", "/api/platform/completions", {"records": [
            completion("r4", registered, "04"), completion("r5", declared, "04")]}, *key)
        self.assertEqual(status, 200, body)
        self.sign_in("li.finance", PASSWORD)
        self.open_invoices()
        self.set_value("f-preview-month", "2020-04")
        self.browser.find_element(By.ID, "preview").click()
        total = self.wait.until(ready.visibility_of_element_located((By.ID, "preview-total")))
        self.assertEqual(total.text, "2020-04：可开票 1 行，合计 200.00 元；暂不能开票 1 行。")
        self.assertIn("r5", self.text("preview-held"))
        self.shot("28-invoice-preview")
        status, body = self.county.signed("POST", "/api/platform/invoices", {"month": "2020-04"},
                                          *key)
        self.assertEqual(status, 201, body)
        number = body["invoice"]["number"]
        self.open_invoice(number)
        self.browser.find_element(By.ID, f"cancel-{number}").click()
        error = self.wait.until(ready.visibility_of_element_located(
            (By.ID, f"cancel-reason-{number}-error")))
        self.wait.until(lambda _: error.text)
        self.browser.find_element(By.ID, f"cancel-reason-{number}").send_keys("平台申请重开")
        self.browser.find_element(By.ID, f"cancel-{number}").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), f"发票 {number} 已作废，1 行明细可重新开票。"))
        self.assertIn("已作废", self.text("invoice-facts"))
        self.assertIn("1 / 1", self.text("invoice-facts"))
        self.assertIn("平台申请重开", self.text("invoice-history"))
        self.shot("29-invoice-cancelled")
        status, preview = self.county.request(
            "GET", "/api/platform/invoices/preview?platform_id=wljnpx&month=2020-04",
            token=self.admin_token)
        self.assertEqual([line["record_id"] for line in preview["lines"]], ["r4"],
                         "the cancelled invoice's line can be billed again")
        # A line of the paid March invoice found wrongly paid, and its money returned.
        self.browser.find_element(By.ID, "back").click()
        self.wait.until(ready.element_to_be_clickable((By.ID, f"open-{march}"))).click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "recover-r2"))).click()
        amount = self.wait.until(ready.element_to_be_clickable((By.ID, "f-line-amount")))
        amount.clear()
        amount.send_keys("40.00")
        self.browser.find_element(By.ID, "f-line-reason").send_keys("学员未实际参训")
        self.browser.find_element(By.ID, "start-line-recovery").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), "明细 r2 已开始追回。"))
        self.assertIn("r2：追回 40.00 元（学员未实际参训", self.text("recoveries"))
        self.browser.find_element(By.ID, "recovered-reference-r2").send_keys("HK-PLAT-1")
        self.set_value("recovered-paid-on-r2", "2020-06-02")
        self.browser.find_element(By.ID, "recovered-r2").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), "明细 r2 的追回款已到账。"))
        self.assertIn("2020-06-02 已缴回（凭证 HK-PLAT-1）", self.text("recoveries"))
        self.shot("30-invoice-line-recovered")
        self.sign_out()

    def test_an_admin_changes_roles_reads_the_log_and_adds_a_policy_version(self):
        # The account events the log shows: created, signed in, wrong passwords and the lock,
        # a reset by the admin, a disabling.
        self.accounts("qian.finance", "sun.locked", "zhou.new")
        self.token("qian.finance")
        self.lock("sun.locked")
        self.ok(self.county.request("POST", "/api/accounts/sun.locked/password",
                                    {"password": "reset password 22"}, self.admin_token))
        self.ok(self.county.request("POST", "/api/accounts/zhou.new/disable", {},
                                    self.admin_token))
        self.sign_in("admin", self.county.admin_password)
        self.wait.until(ready.element_to_be_clickable((By.ID, "view-accounts"))).click()
        roles = Select(self.wait.until(ready.element_to_be_clickable((By.ID, "f-roles-login"))))
        roles.select_by_value("qian.finance")
        self.assertTrue(self.browser.find_element(By.ID, "new-role-finance").is_selected())
        self.browser.find_element(By.ID, "new-role-finance").click()
        self.browser.find_element(By.ID, "change-roles").click()
        error = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, "form[aria-labelledby='roles-title'] .error[data-field='roles']")))
        self.wait.until(lambda _: error.text)
        self.browser.find_element(By.ID, "new-role-finance").click()
        self.browser.find_element(By.ID, "new-role-reviewer").click()
        self.browser.find_element(By.ID, "change-roles").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), "账户 qian.finance 的角色已更改"))
        self.assertIn("审核员、财务", self.text("account-qian.finance"))
        self.browser.find_element(By.ID, "account-log").click()
        log = self.wait.until(ready.visibility_of_element_located((By.ID, "log"))).text
        newest = self.browser.find_element(By.CSS_SELECTOR, "#log tbody tr").text
        self.assertIn("qian.finance 更改角色 admin", newest, "the latest event first")
        for event in ["创建账户", "登录", "密码错误", "连续失败，已锁定", "管理员重置密码",
                      "停用", "更改角色"]:
            self.assertIn(event, log)
        self.shot("31-account-log")
        self.browser.find_element(By.ID, "view-policy").click()
        current = self.wait.until(ready.visibility_of_element_located((By.ID, "policy-current")))
        self.assertIn("平台补贴为地方标准的 20%", current.text)
        add = self.browser.find_element(By.ID, "add-version")
        self.browser.find_element(By.ID, "f-version-id").send_keys("tsq-2027")
        self.browser.find_element(By.ID, "f-title_zh").send_keys("泰山区2027年线上培训补贴")
        self.set_value("f-issued_on", "2026-11-01")
        self.set_value("f-from", "2027-12-31")
        self.set_value("f-to", "2027-01-01")
        add.click()
        error = self.wait.until(ready.visibility_of_element_located((By.ID, "f-to-error")))
        self.wait.until(lambda _: error.text)
        self.assertEqual(error.text, "政策期限的结束日期早于开始日期")
        self.shot("32-policy-version-refused")
        self.set_value("f-from", "2027-01-01")
        self.set_value("f-to", "2027-12-31")
        add.click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), "版本 tsq-2027 已新增。"))
        self.assertIn("本县区新增", self.text("version-tsq-2027"))
        status, version = self.county.request("GET", "/api/policy/versions/tsq-2027")
        self.assertEqual((status, version["window"]), (200, {"from": "2027-01-01", "to": "2027-12-31"}))
        self.shot("33-policy-versions")
        self.browser.find_element(By.ID, "withdraw-tsq-2027").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "notice"), "版本 tsq-2027 已撤回。"))
        self.assertEqual(self.browser.find_elements(By.ID, "version-tsq-2027"), [])
        self.sign_out()
        # A holder changes their own password: a wrong current one refused beside its field.
        # (Holding two roles now, she signs in as one of them.)
        self.sign_in("qian.finance", PASSWORD, "reviewer")
        self.wait.until(ready.text_to_be_present_in_element((By.ID, "who-name"), "钱财务（审核员）"))
        self.browser.find_element(By.ID, "own-password").click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "f-current_password"))).send_keys("wrong one")
        self.browser.find_element(By.ID, "f-new_password").send_keys("a new password 3")
        self.browser.find_element(By.ID, "change-own-password").click()
        error = self.wait.until(ready.visibility_of_element_located(
            (By.CSS_SELECTOR, "form[aria-label='修改本人密码'] .error")))
        self.wait.until(lambda _: error.text)
        current = self.browser.find_element(By.ID, "f-current_password")
        current.clear()
        current.send_keys(PASSWORD)
        self.browser.find_element(By.ID, "change-own-password").click()
        self.wait.until(ready.text_to_be_present_in_element((By.ID, "notice"), "密码已修改。"))
        self.sign_out()
        self.sign_in("qian.finance", "a new password 3", "finance")
        self.wait.until(ready.text_to_be_present_in_element((By.ID, "who-name"), "钱财务（财务）"))
        self.sign_out()

    def test_an_admin_finds_and_repairs_report_rows_a_crash_left_behind(self):
        self.two_claims()
        # What an instance killed between storing a claim and counting it leaves: its row of
        # March's report one claim behind. Written into the store's SQLite file as such a death
        # would leave it (a row's count and fen are one counter of 8 bytes, little-endian, the
        # count in units of 2^40 fen; a claim here is 120.00).
        with sqlite3.connect(self.county.store) as db:
            [(row, value)] = db.execute(
                "SELECT key, value FROM spin_key_value WHERE key LIKE"
                " '370902:report:2020-03:cell:%:tally' ORDER BY key LIMIT 1").fetchall()
            tally = int.from_bytes(value, "little", signed=True)
            behind = tally - (1 << 40) - 12000
            db.execute("UPDATE spin_key_value SET value = ? WHERE key = ?",
                       (behind.to_bytes(8, "little", signed=True), row))
        self.sign_in("admin", self.county.admin_password)
        self.wait.until(ready.element_to_be_clickable((By.ID, "view-reconcile"))).click()
        self.wait.until(ready.element_to_be_clickable((By.ID, "reconcile-check"))).click()
        summary = self.wait.until(ready.visibility_of_element_located((By.ID, "reconcile-summary")))
        self.assertIn("发现 1 个问题", summary.text)
        finding = self.text("reconcile-findings")
        self.assertIn("统计报表的计数与申领不符", finding)
        self.assertIn("month=2020-03", finding)
        self.assertNotIn("已修复", finding, "a check changes nothing")
        self.shot("34-reconcile-found")
        self.browser.find_element(By.ID, "reconcile-repair").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "reconcile-summary"), "发现 1 个问题，已修复 1 个。"))
        with sqlite3.connect(self.county.store) as db:
            [(value,)] = db.execute("SELECT value FROM spin_key_value WHERE key = ?", (row,))
            self.assertEqual(int.from_bytes(value, "little", signed=True), tally)
        self.browser.find_element(By.ID, "reconcile-check").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "reconcile-summary"), "发现 0 个问题。"))
        self.shot("35-reconcile-repaired")
        # A row of March's report counted one claim too many: the recount finds it, then sets
        # it to what the claims say.
        with sqlite3.connect(self.county.store) as db:
            [(row, value)] = db.execute(
                "SELECT key, value FROM spin_key_value WHERE key LIKE"
                " '370902:report:2020-03:cell:%:tally' ORDER BY key LIMIT 1").fetchall()
            tally = int.from_bytes(value, "little", signed=True)
            kept = (tally + (1 << 39)) >> 40
            db.execute("UPDATE spin_key_value SET value = ? WHERE key = ?",
                       ((tally + (1 << 40)).to_bytes(8, "little", signed=True), row))
        self.set_value("f-recount-month", "2020-03")
        self.browser.find_element(By.ID, "recount-check").click()
        summary = self.wait.until(ready.visibility_of_element_located((By.ID, "recount-summary")))
        self.assertIn("1 处不一致。", summary.text)
        self.assertIn(f"件数 {kept + 1} → {kept}", self.text("recount-differences"))
        self.browser.find_element(By.ID, "recount-repair").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "recount-summary"), "1 处不一致，已修正。"))
        self.browser.find_element(By.ID, "recount-check").click()
        self.wait.until(ready.text_to_be_present_in_element(
            (By.ID, "recount-summary"), "报表计数与申领一致。"))
        self.shot("36-report-recounted")
        self.sign_out()

    def test_the_report_narrows_to_a_platform_and_a_key_group(self):
        # Two claims on wljnpx (one paid, one paid and recovered) and one rejected on yuntai.
        self.accounts("zhao.reviewer", "li.finance", "qian.finance")
        self.two_claims()
        self.approve(self.claim_id, self.verified)
        self.pay(self.claim_id)
        self.pay(self.verified, reference="SB-2020-04-0002")
        self.act("qian.finance", self.verified, "recovery",
                 {"amount": "120.00", "reason": "重复享受补贴"})
        self.act("qian.finance", self.verified, "recovered",
                 {"reference": "HK-2020-06-01", "paid_on": "2020-06-01"})
        self.ok(self.county.request("PUT", "/api/policy/platforms/yuntai", {
            "name": "云泰职业培训平台", "recorded_on": "2020-02-01", "status": "approved"},
            self.admin_token))
        trainee = resident_id("37090219920202123")
        self.report(self.platform_key("yuntai"), completion("r3", trainee))
        rejected = self.claim(trainee, "r3", "yuntai")
        self.act("zhao.reviewer", rejected, "reject", {"reason": "平台已被暂停认定"})
        self.sign_in("li.finance", PASSWORD)
        self.wait.until(ready.element_to_be_clickable((By.ID, "view-report"))).click()
        platform = Select(self.wait.until(ready.element_to_be_clickable((By.ID, "f-platform"))))
        self.assertEqual([o.get_attribute("value") for o in platform.options],
                         ["", "wljnpx", "yuntai"])
        platform.select_by_value("yuntai")
        headline = self.browser.find_element(By.ID, "report-headline")
        self.browser.find_element(By.ID, "report-filter").click()
        self.wait.until(ready.staleness_of(headline))
        self.assertEqual(self.text("report-narrowed"), "其中平台 yuntai：")
        self.assertTrue(self.text("report-headline").startswith("全县区：申领 3 件；"))
        rows = self.browser.find_elements(By.CSS_SELECTOR, "#report-status tbody tr")
        self.assertEqual([r.text for r in rows], ["已驳回 1 120.00 元"])
        self.assertEqual(self.text("chart-platform"), "没有可统计的金额。",
                         "a rejected claim is not among the amounts charted")
        self.shot("37-report-one-platform")
        Select(self.browser.find_element(By.ID, "f-platform")).select_by_value("wljnpx")
        Select(self.browser.find_element(By.ID, "f-key_group")).select_by_value("migrant_worker")
        headline = self.browser.find_element(By.ID, "report-headline")
        self.browser.find_element(By.ID, "report-filter").click()
        self.wait.until(ready.staleness_of(headline))
        self.assertEqual(self.text("report-narrowed"), "其中农民工、平台 wljnpx：")
        rows = self.browser.find_elements(By.CSS_SELECTOR, "#report-status tbody tr")
        self.assertEqual([r.text for r in rows], ["已支付 1 120.00 元", "已追回 1 120.00 元"])
        Select(self.browser.find_element(By.ID, "f-platform")).select_by_value("")
        Select(self.browser.find_element(By.ID, "f-key_group")).select_by_value(
            "poor_family_child")
        headline = self.browser.find_element(By.ID, "report-headline")
        self.browser.find_element(By.ID, "report-filter").click()
        self.wait.until(ready.staleness_of(headline))
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "#report-status tbody tr"), [])
        self.sign_out()


if __name__ == "__main__":
    unittest.main()
