"""deploy/nginx/county.conf, run by Debian's nginx in front of `county-host serve` (the app's
components in the in-process Spin host, on a SQLite file): what a county's reverse proxy must
do, seen from outside. Public reads pass with the app's caching headers, are kept for the minute
they allow (a second read does not reach the app) and answer 304 to their tag; an operator's
read is never kept; a body over 512 KB is refused by the proxy with the app's own error, and
never reaches the app; a path that is not the app's is refused there too; objections to a
公示 past five a minute from one address are refused there. Run:
python3 -m unittest discover -s deploy -p 'test_*.py' -v (scripts/test.sh does; it installs
nginx where missing)."""

import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

DEPLOY = pathlib.Path(__file__).resolve().parent
ROOT = DEPLOY.parent
CONF = DEPLOY / "nginx" / "county.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
VARIABLES = {
    "SPIN_VARIABLE_COUNTY_CODE": "370902",
    "SPIN_VARIABLE_COUNTY_NAME": "泰山区",
    "SPIN_VARIABLE_OPERATOR_TOKEN_SECRET": "nginx-test-operator-secret-0123456789abcdef",
    "SPIN_VARIABLE_TRAINEE_TOKEN_SECRET": "nginx-test-trainee-secret-0123456789abcdefg",
    "SPIN_VARIABLE_PERSON_KEY_SECRET": "nginx-test-person-key-secret-0123456789abc",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, ready, log):
    deadline = time.time() + 300
    while not ready():
        if time.time() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log()}")
        time.sleep(0.1)


def send(base, method, path, body=None, headers=None):
    """Status, headers and body of one request (HTTP errors included)."""
    request = urllib.request.Request(base + path, data=body, method=method,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed")
class ProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        folder = pathlib.Path(cls.folder.name)
        # nginx's workers run as an unprivileged user when the test runs as root.
        os.chmod(folder, 0o777)
        subprocess.run(["cargo", "build", "-q", "--bin", "county-host"], cwd=ROOT, check=True)
        app_port, cls.proxy_port = free_port(), free_port()
        cls.app_log = open(folder / "app.log", "a+")
        cls.app = subprocess.Popen(
            [str(ROOT / "target/debug/county-host"), "serve", "--listen",
             f"127.0.0.1:{app_port}", "--store", str(folder / "kv.db")],
            cwd=ROOT, env={**os.environ, **VARIABLES}, stdout=cls.app_log, stderr=cls.app_log)
        wait_for("county-host", lambda: "serving on" in cls.read_app_log(), cls.read_app_log)
        cls.app_base = f"http://127.0.0.1:{app_port}"
        cls.admin_password = re.search(r"`admin` with password (\w+)",
                                       cls.read_app_log()).group(1)
        # The county's file as shipped, but for where this test's app, port and cache are.
        conf = CONF.read_text()
        for shipped, here in [("server 127.0.0.1:3000;", f"server 127.0.0.1:{app_port};"),
                              ("listen 80;", f"listen 127.0.0.1:{cls.proxy_port};"),
                              ("/var/cache/nginx/county-subsidy", str(folder / "cache"))]:
            assert conf.count(shipped) == 1, shipped
            conf = conf.replace(shipped, here)
        (folder / "county.conf").write_text(conf)
        (folder / "nginx.conf").write_text(f"""
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{}}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/county.conf;
}}
""")
        cls.nginx = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        cls.base = f"http://127.0.0.1:{cls.proxy_port}"

        def answering():
            try:
                socket.create_connection(("127.0.0.1", cls.proxy_port), timeout=1).close()
                return True
            except OSError:
                return cls.nginx.poll() is not None

        wait_for("nginx", answering, lambda: (folder / "error.log").read_text())
        if cls.nginx.poll() is not None:
            raise RuntimeError("nginx failed:\n" + (folder / "error.log").read_text())

    @classmethod
    def tearDownClass(cls):
        for process in (cls.nginx, cls.app):
            process.terminate()
            process.wait()
        cls.app_log.close()
        cls.folder.cleanup()

    @classmethod
    def read_app_log(cls):
        cls.app_log.seek(0)
        return cls.app_log.read()

    def app_saw(self, line):
        """How many requests the app answered with `line` (`METHOD path -> status`)."""
        return self.read_app_log().count(line + "\n")

    def test_public_reads_pass_with_their_headers_are_kept_a_minute_and_answer_304(self):
        status, headers, body = send(self.base, "GET", "/api/policy/platforms")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Cache-Control"], "public, max-age=60")
        self.assertEqual(headers["X-Cache-Status"], "MISS")
        self.assertIn("platforms", json.loads(body))
        again_status, again_headers, again_body = send(self.base, "GET", "/api/policy/platforms")
        self.assertEqual((again_status, again_headers["X-Cache-Status"]), (200, "HIT"))
        self.assertEqual(again_body, body)
        self.assertEqual(self.app_saw("GET /api/policy/platforms -> 200"), 1)
        tag = headers["ETag"]
        status, headers, body = send(self.base, "GET", "/api/policy/platforms",
                                     headers={"If-None-Match": tag})
        self.assertEqual((status, body), (304, b""))
        self.assertEqual(headers["ETag"], tag)
        # Through to the app on a miss, the app's own 304 passes back.
        status, _, _ = send(self.base, "GET", "/api/policy", headers={"If-None-Match": "*"})
        self.assertEqual(status, 304)

    def test_an_operators_reads_are_never_kept(self):
        status, _, body = send(
            self.base, "POST", "/api/accounts/sign-in",
            json.dumps({"login": "admin", "password": self.admin_password}).encode(),
            {"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        token = json.loads(body)["token"]
        for _ in range(2):
            status, headers, _ = send(self.base, "GET", "/api/policy/standards",
                                      headers={"Authorization": "Bearer " + token})
            self.assertEqual(status, 200)
            self.assertEqual(headers["Cache-Control"], "private, no-store")
            self.assertEqual(headers["X-Cache-Status"], "BYPASS")
        self.assertEqual(self.app_saw("GET /api/policy/standards -> 200"), 2)
        # The console passes through, checked on every load.
        status, headers, _ = send(self.base, "GET", "/console/")
        self.assertEqual((status, headers["Cache-Control"]), (200, "no-cache"))

    def test_a_body_over_512_kb_is_refused_by_the_proxy_with_the_apps_error(self):
        big = b'{"records":[' + b" " * (600 * 1024) + b"]}"
        status, headers, body = send(self.base, "POST", "/api/platform/completions", big,
                                     {"Content-Type": "application/json"})
        self.assertEqual(status, 413)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(self.app_saw("POST /api/platform/completions -> 413"), 0)
        # The same refusal as the app's own, field for field.
        _, _, own = send(self.app_base, "POST", "/api/platform/completions", big,
                         {"Content-Type": "application/json"})
        self.assertEqual(json.loads(body), json.loads(own))
        # Just under the limit reaches the app (which refuses it as unsigned).
        small = b'{"records":[' + b" " * (500 * 1024) + b"]}"
        status, _, _ = send(self.base, "POST", "/api/platform/completions", small,
                            {"Content-Type": "application/json"})
        self.assertEqual(status, 401)

    def test_what_is_not_the_apps_is_refused_at_the_proxy_as_the_app_would(self):
        status, headers, body = send(self.base, "GET", "/server-status")
        self.assertEqual((status, headers["Content-Type"]), (404, "application/json"))
        self.assertEqual(self.app_saw("GET /server-status -> 404"), 0)
        _, _, own = send(self.app_base, "GET", "/api/policy/nothing-here")
        self.assertEqual(json.loads(body), json.loads(own))

    def test_objections_past_five_a_minute_from_one_address_are_refused_at_the_proxy(self):
        path = "/api/notices/2020-04-30/objections"
        body = json.dumps({"claim_id": "c-0000000000000000", "reason": "不实", "contact": "138"})
        answers = [send(self.base, "POST", path, body.encode(),
                        {"Content-Type": "application/json"}) for _ in range(12)]
        statuses = [status for status, _, _ in answers]
        # Five a minute and a burst of five: the first reach the app (no such notice: 404).
        self.assertEqual(statuses[:5], [404] * 5, statuses)
        self.assertIn(429, statuses)
        refused = next(a for a in answers if a[0] == 429)
        self.assertEqual(refused[1]["Content-Type"], "application/json")
        self.assertEqual(refused[1]["Retry-After"], "60")
        self.assertEqual(json.loads(refused[2])["error"]["code"], "too_many_objections")
        self.assertEqual(self.app_saw(f"POST {path} -> 404"), statuses.count(404))
        self.assertLess(statuses.count(404), 12)
        # Reading the notices is not limited.
        for _ in range(3):
            status, _, _ = send(self.base, "GET", "/api/notices")
            self.assertEqual(status, 200)

    def test_upstream_connections_are_not_kept_alive(self):
        # What the stall on Spin's SQLite store needs (docs/spin.md): no upstream keepalive
        # pool, and each request asks the app to close its connection.
        conf = CONF.read_text()
        self.assertNotRegex(conf, r"(?m)^\s*keepalive\s")
        self.assertRegex(conf, r"(?m)^\s*proxy_set_header Connection close;")


if __name__ == "__main__":
    unittest.main()
