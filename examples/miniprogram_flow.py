"""The calls a WeChat mini-program makes with `wx.request`, in Python's standard library:
list the trainee's completion records, check eligibility, read their offers (政策找人: a
passed record the county's registry verifies them for, claimable without applying) and accept
one, or claim a record when there is none, with an `Idempotency-Key` (sent twice, as a flaky
phone network would: one claim), then follow the trainee's event feed (`offer.made` is when to
tell them of an offer).

    COUNTY_URL=http://127.0.0.1:3000 TRAINEE_TOKEN=eyJ… python3 examples/miniprogram_flow.py

The token is the trainee's bearer token, which the county's login service issues after WeChat
sign-in and real-name verification.
"""

import json
import os
import sys
import urllib.error
import urllib.request
import uuid

BASE = os.environ.get("COUNTY_URL", "http://127.0.0.1:3000")


def call(method, path, body=None, headers=None):
    """What `wx.request` does: the status and the JSON body (errors included)."""
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    headers = {"Authorization": "Bearer " + os.environ["TRAINEE_TOKEN"], **(headers or {})}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def main():
    status, records = call("GET", "/api/claims/completions")
    # A passed record no claim was made from (a platform billing it does not matter).
    record = next(r for r in records["records"]
                  if r["passed"] and r["state"] in ("reported", "billed"))
    print("record:", record["platform_id"], record["record_id"], record["occupation"])
    status, verdict = call("POST", "/api/eligibility/check", {
        "applicant": {"resident_id": os.environ["TRAINEE_ID"], "hukou_county": "370902",
                      "group": "migrant_worker"},
        "training": {"platform_id": record["platform_id"], "occupation": record["occupation"],
                     "level": record["level"], "study_hours": record["study_hours"],
                     "mode": "online", "started_on": record["started_on"],
                     "assessment": {"result": "pass", "date": record["assessed_on"]}}})
    print("check:", status, verdict["outcome"], verdict.get("amount"))
    payee = {"kind": "social_security_card", "account": "6217001234567890123"}
    status, offers = call("GET", "/api/claims/offers")
    offer = next((o for o in offers["offers"] if o["acceptable"]), None)
    if offer:
        # 免申即享: the group comes from the registry, so the trainee only consents and names
        # where the money goes.
        print("offer:", offer["platform_id"], offer["record_id"], offer["amount"], offer["key_group"])
        path = "/api/claims/offers/accept"
        claim = {"platform_id": offer["platform_id"], "record_id": offer["record_id"],
                 "consent": True, "payee": payee}
    else:
        path = "/api/claims"
        claim = {"platform_id": record["platform_id"], "record_id": record["record_id"],
                 "group": "migrant_worker", "consent": True, "payee": payee}
    key = {"Idempotency-Key": "mp-" + uuid.uuid4().hex}
    first = call("POST", path, claim, key)
    again = call("POST", path, claim, key)
    print("claim:", first[0], first[1]["claim"]["id"], first[1]["claim"]["status"])
    print("retried:", again[0], "same claim" if again[1] == first[1] else "ANOTHER ANSWER")
    after = 0
    while True:
        status, page = call("GET", f"/api/claims/events?after={after}")
        for event in page["events"]:
            print("event:", event["id"], event["type"], event["object"].get("status", ""))
        after = page["next_after"]
        if page["done"] or page["pending"]:
            break
    return 0 if first[0] == 201 and again[1] == first[1] else 1


if __name__ == "__main__":
    if "TRAINEE_TOKEN" not in os.environ:
        sys.exit(__doc__)
    sys.exit(main())
