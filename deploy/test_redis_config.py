"""deploy/redis/redis.conf, the county's Redis configuration, read by a real redis-server: it
keeps every acknowledged write (append-only file, fsync'd on every write), never evicts keys,
and keeps no snapshots. A claim written to it, then the server killed with SIGKILL and started
again on the same file, is still there (read back from the append-only file). What `always`
adds over `everysec`, each write on disk before its reply, matters when the machine itself
fails, which no test here can make happen. Run: python3 -m unittest discover -s deploy -p
'test_*.py' -v (needs Debian's redis-server, which scripts/test.sh installs)."""

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

CONF = pathlib.Path(__file__).resolve().parent / "redis" / "redis.conf"
SERVER = shutil.which("redis-server")
CLI = shutil.which("redis-cli")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(SERVER and CLI, "redis-server is not installed")
class RedisConfigTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.port = free_port()
        # The shipped file as it is, but for where this test's data and port are.
        conf = CONF.read_text().replace("dir /var/lib/redis", f"dir {self.folder.name}")
        conf += f"\nport {self.port}\n"
        self.conf = pathlib.Path(self.folder.name) / "redis.conf"
        self.conf.write_text(conf)
        self.server = None

    def tearDown(self):
        if self.server and self.server.poll() is None:
            self.server.kill()
            self.server.wait()
        self.folder.cleanup()

    def start(self):
        self.server = subprocess.Popen([SERVER, str(self.conf)], stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while self.cli("PING") != "PONG":
            if time.time() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def cli(self, *args):
        done = subprocess.run([CLI, "-p", str(self.port), *args], capture_output=True, text=True)
        return done.stdout.strip()

    def test_every_acknowledged_write_is_fsyncd_and_survives_a_kill(self):
        self.start()
        self.assertEqual(self.cli("CONFIG", "GET", "appendonly").split(), ["appendonly", "yes"])
        self.assertEqual(self.cli("CONFIG", "GET", "appendfsync").split(),
                         ["appendfsync", "always"])
        self.assertEqual(self.cli("CONFIG", "GET", "maxmemory-policy").split(),
                         ["maxmemory-policy", "noeviction"])
        self.assertEqual(self.cli("CONFIG", "GET", "save").split(), ["save"])
        self.assertEqual(self.cli("SET", "370902:claim:c-0001", "{}"), "OK")
        self.server.send_signal(signal.SIGKILL)
        self.server.wait()
        self.start()
        self.assertEqual(self.cli("GET", "370902:claim:c-0001"), "{}")


if __name__ == "__main__":
    unittest.main()
