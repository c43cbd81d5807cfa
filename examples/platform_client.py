"""A partner platform's client of the county's API, in Python's standard library only: sign a
request, report a batch of completions, follow the platform's event feed from a saved cursor,
issue the month's invoice and download it as CSV and as an Excel workbook.

    COUNTY_URL=http://127.0.0.1:3000 PLATFORM_KEY_ID=pk_… PLATFORM_SECRET=ps_… \\
        python3 examples/platform_client.py BATCH.json MONTH OUT_DIR

Signing (docs/api.md): HMAC-SHA256, keyed with the secret, over six lines: method, path, query,
Unix timestamp, a fresh nonce, and the hex SHA-256 of the body; sent in X-Key-Id, X-Timestamp,
X-Nonce and X-Signature.
"""

import hashlib
import hmac
import json
import os
import pathlib
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


class PlatformClient:
    def __init__(self, base_url, key_id, secret):
        self.base_url, self.key_id, self.secret = base_url.rstrip("/"), key_id, secret

    def request(self, method, target, body=None):
        """Sends a signed request; the status, headers and body (bytes) of a 2xx answer."""
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        url = urllib.parse.urlsplit(target)
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        lines = [method, url.path, url.query, timestamp, nonce, hashlib.sha256(data).hexdigest()]
        signature = hmac.new(self.secret.encode(), "\n".join(lines).encode(),
                             hashlib.sha256).hexdigest()
        headers = {"X-Key-Id": self.key_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
                   "X-Signature": signature}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + target, data=data if body is not None
                                         else None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request) as reply:
                return reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode()) from None

    def json(self, method, target, body=None):
        status, _, data = self.request(method, target, body)
        return status, json.loads(data)

    def report(self, records):
        """Reports a batch (1–500 records): each record's outcome, in order."""
        return self.json("POST", "/api/platform/completions", {"records": records})[1]

    def events(self, after=0):
        """Every event after the cursor `after`, in order, as (cursor, event): keep the cursor
        of the last one handled and start there next time. Stops at the feed's end, or before
        a change still landing (`pending`), which the next call picks up."""
        while True:
            _, page = self.json("GET", f"/api/platform/events?after={after}&limit=100")
            for event in page["events"]:
                yield event["sequence"], event
            after = page["next_after"]
            if page["done"] or page["pending"]:
                return

    def issue_invoice(self, month):
        """Issues the month's invoice, step by step (202 while it is being built)."""
        while True:
            status, body = self.json("POST", "/api/platform/invoices", {"month": month})
            if status != 202:
                return body

    def download_invoice(self, number, fmt):
        """The invoice as `csv` or `xlsx`: its bytes."""
        return self.request("GET", f"/api/platform/invoices/{number}/export?format={fmt}")[2]


def main(batch_file, month, out_dir):
    client = PlatformClient(os.environ.get("COUNTY_URL", "http://127.0.0.1:3000"),
                            os.environ["PLATFORM_KEY_ID"], os.environ["PLATFORM_SECRET"])
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cursor_file = out / "events.cursor"
    records = json.loads(pathlib.Path(batch_file).read_text())
    result = client.report(records)
    print("reported:", result["accepted"], "accepted,", result["rejected"], "rejected")
    invoice = client.issue_invoice(month)["invoice"]
    if invoice is None:
        # Nothing (more) to bill this month: its records were billed before.
        print("no invoice: nothing to bill in", month)
    else:
        number = invoice["number"]
        print("invoice:", number, invoice["state"], invoice["total"])
        for fmt in ("csv", "xlsx"):
            (out / f"{number}.{fmt}").write_bytes(client.download_invoice(number, fmt))
            print("saved:", out / f"{number}.{fmt}")
    after = int(cursor_file.read_text()) if cursor_file.exists() else 0
    for cursor, event in client.events(after):
        shown = event["object"].get("number") or event["object"].get("record_id")
        print("event:", event["id"], event["type"], shown)
        cursor_file.write_text(str(cursor))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
