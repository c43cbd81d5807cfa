"""Runs the worked clients (platform_client.py, miniprogram_flow.py) against `county-host serve`
(the app's components in the in-process Spin host, on a SQLite file), as a platform engineer
and a mini-program developer would: the county sets a standard and the registry, issues the
platform's key; the platform reports, invoices, downloads and follows its feed; the trainee
checks, accepts their offer (政策找人) twice with one key and follows theirs. Run:
python3 -m unittest discover -s examples -p 'test_*.py' -v (scripts/test.sh does)."""

import base64
import hashlib
import hmac
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
OPERATOR_SECRET = "examples-operator-secret-0123456789abcdef"
TRAINEE_SECRET = "examples-trainee-secret-0123456789abcdefg"
VARIABLES = {
    "SPIN_VARIABLE_COUNTY_CODE": "370902",
    "SPIN_VARIABLE_COUNTY_NAME": "泰山区",
    "SPIN_VARIABLE_OPERATOR_TOKEN_SECRET": OPERATOR_SECRET,
    "SPIN_VARIABLE_TRAINEE_TOKEN_SECRET": TRAINEE_SECRET,
    "SPIN_VARIABLE_PERSON_KEY_SECRET": "examples-person-key-secret-0123456789abc",
}
TRAINEE = "370902199003071231"


def token(secret, role, sub):
    """An HS256 bearer token, as the county's login service mints one."""
    encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=")
    now = int(time.time())
    claims = {"sub": sub, "role": role, "iat": now, "exp": now + 600, "aud": "370902"}
    head = encode(b'{"alg":"HS256","typ":"JWT"}') + b"." + encode(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), head, hashlib.sha256).digest()
    return (head + b"." + encode(mac)).decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorkedClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        folder = pathlib.Path(cls.folder.name)
        subprocess.run(["cargo", "build", "-q", "--bin", "county-host"], cwd=ROOT, check=True)
        port = free_port()
        cls.log = open(folder / "app.log", "a+")
        cls.app = subprocess.Popen(
            [str(ROOT / "target/debug/county-host"), "serve", "--listen", f"127.0.0.1:{port}",
             "--store", str(folder / "kv.db")],
            cwd=ROOT, env={**os.environ, **VARIABLES}, stdout=cls.log, stderr=cls.log)
        cls.base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 300
        while "serving on" not in cls.read_log():
            if time.time() > deadline or cls.app.poll() is not None:
                raise RuntimeError(cls.read_log())
            time.sleep(0.1)
        admin = token(OPERATOR_SECRET, "admin", "op-admin")
        cls.admin("PUT", "/api/policy/standards/4-03-02-01/5", admin,
                  {"standard": "1000", "valid_from": "2020-01-01"})
        cls.admin("POST", "/api/eligibility/registry", admin, {"entries": [
            {"resident_id": TRAINEE, "group": "migrant_worker", "source": "实名登记",
             "valid_from": "2020-01-01"}]})
        cls.key = cls.admin("POST", "/api/platform/credentials", admin,
                            {"platform_id": "wljnpx"})

    @classmethod
    def admin(cls, method, path, bearer, body):
        request = urllib.request.Request(
            cls.base + path, data=json.dumps(body, ensure_ascii=False).encode(), method=method,
            headers={"Authorization": "Bearer " + bearer, "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as reply:
            return json.loads(reply.read())

    @classmethod
    def tearDownClass(cls):
        cls.app.terminate()
        cls.app.wait()
        cls.log.close()
        cls.folder.cleanup()

    @classmethod
    def read_log(cls):
        cls.log.seek(0)
        return cls.log.read()

    def run_example(self, args, env):
        done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "COUNTY_URL": self.base, **env})
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done.stdout

    def test_a_platform_reports_invoices_downloads_and_follows_its_feed_then_a_trainee_claims(self):
        out = pathlib.Path(self.folder.name) / "platform"
        batch = out.parent / "batch.json"
        batch.write_text(json.dumps([{
            "record_id": "wx-2020-0001",
            "trainee": {"resident_id": TRAINEE, "name": "张三", "hukou_county": "370902"},
            "occupation": "4-03-02-01", "level": "5", "study_hours": 24, "mode": "online",
            "started_on": "2020-02-20", "ended_on": "2020-03-10",
            "assessment": {"result": "pass", "score": 86, "date": "2020-03-15"}}],
            ensure_ascii=False))
        platform = {"PLATFORM_KEY_ID": self.key["key_id"], "PLATFORM_SECRET": self.key["secret"]}
        shown = self.run_example(["examples/platform_client.py", str(batch), "2020-03", str(out)],
                                 platform)
        self.assertIn("reported: 1 accepted, 0 rejected", shown)
        number = re.search(r"invoice: (\S+) issued 200.00", shown).group(1)
        self.assertTrue((out / f"{number}.csv").read_text(encoding="utf-8-sig").count("wx-2020-0001"))
        self.assertEqual((out / f"{number}.xlsx").read_bytes()[:2], b"PK")
        self.assertIn(f"invoice.issued {number}", shown)
        self.assertEqual((out / "events.cursor").read_text(), "1")

        trainee = {"TRAINEE_TOKEN": token(TRAINEE_SECRET, "trainee", TRAINEE),
                   "TRAINEE_ID": TRAINEE}
        shown = self.run_example(["examples/miniprogram_flow.py"], trainee)
        self.assertIn("record: wljnpx wx-2020-0001 4-03-02-01", shown)
        self.assertIn("check: 200 eligible 120.00", shown)
        # The registry has the trainee: the record is an offer, accepted in one request.
        self.assertIn("offer: wljnpx wx-2020-0001 120.00 migrant_worker", shown)
        self.assertRegex(shown, r"claim: 201 c-\w+ submitted")
        self.assertIn("retried: 201 same claim", shown)
        events = [line.split()[2] for line in shown.splitlines() if line.startswith("event:")]
        self.assertEqual(events, ["completion.reported", "offer.made", "claim.submitted"], shown)

        # The platform, from its saved cursor, sees only what came after: the record claimed.
        shown = self.run_example(["examples/platform_client.py", str(batch), "2020-03", str(out)],
                                 platform)
        events = [line for line in shown.splitlines() if line.startswith("event:")]
        self.assertEqual(events, ["event: evt_p2 completion.claimed wx-2020-0001"], shown)


if __name__ == "__main__":
    unittest.main()
