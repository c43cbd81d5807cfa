#!/usr/bin/env python3
"""Runs every command README.md and docs/operations.md show, verbatim, so that a newcomer's
first commands and an operator's cannot break unnoticed. `scripts/test.sh` runs this last.

Each ```sh block runs in order, README.md's first, each in a bash session of its own
(`set -euo pipefail`), from the repository's root. Two kinds of line are not run as they stand:
- `scripts/test.sh`: it is the command running this check;
- `scripts/serve.sh …`: it serves until stopped, so it is started in the background, must
  answer `GET /api/policy` with 200 on its address, and is then stopped.
A block right after the line `<!-- not run by CI: … -->` is skipped: the comment says why
(the Spin CLI cannot be installed on this project's machines).
"""

import pathlib
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
SKIP = re.compile(r"<!-- not run by CI: (.+?) -->")


def blocks(readme):
    """(line number, text, reason to skip or None) of each ```sh block."""
    lines = readme.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start = i
            skip = None
            for before in reversed(lines[:start]):
                if before.strip():
                    match = SKIP.search(before)
                    skip = match.group(1) if match else None
                    break
            i += 1
            body = []
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            yield start + 1, "\n".join(body), skip
        i += 1


def serve(line):
    """Starts a serve.sh line, checks it answers, stops it."""
    args = shlex.split(line)
    listen = "127.0.0.1:3000"
    if "--listen" in args:
        listen = args[args.index("--listen") + 1]
    process = subprocess.Popen(["bash", "-c", line], cwd=ROOT, start_new_session=True)
    try:
        deadline = time.time() + 600
        while True:
            try:
                with urllib.request.urlopen(f"http://{listen}/api/policy", timeout=5) as reply:
                    if reply.status == 200:
                        print(f"readme: {line!r} serves http://{listen}/api/policy: 200")
                        return True
            except OSError:
                pass
            if process.poll() is not None:
                print(f"readme: {line!r} exited with {process.returncode}")
                return False
            if time.time() > deadline:
                print(f"readme: {line!r} did not answer within 600 s")
                return False
            time.sleep(1)
    finally:
        if process.poll() is None:
            import os

            os.killpg(process.pid, signal.SIGTERM)
            process.wait()


def run_document(document):
    """Runs a document's blocks: (blocks run, blocks failed)."""
    ran = failed = 0
    for number, text, skip in blocks((ROOT / document).read_text()):
        where = f"{document}:{number}"
        if skip:
            print(f"readme: block at {where} not run: {skip}")
            continue
        script = []
        for line in text.splitlines():
            command = line.strip()
            if command == "scripts/test.sh":
                print("readme: scripts/test.sh is the command running this check")
            elif command.startswith("scripts/serve.sh"):
                ran += 1
                failed += not serve(command)
            elif command:
                script.append(line)
        if script:
            ran += 1
            result = subprocess.run(
                ["bash", "-c", "set -euo pipefail\n" + "\n".join(script)], cwd=ROOT
            )
            if result.returncode != 0:
                failed += 1
                print(f"readme: block at {where} failed ({result.returncode}):\n{text}")
            else:
                print(f"readme: block at {where} ran")
    return ran, failed


DOCUMENTS = ["README.md", "docs/operations.md"]


def main():
    ran = failed = 0
    for document in DOCUMENTS:
        r, f = run_document(document)
        ran, failed = ran + r, failed + f
    print(f"readme commands: {ran - failed} passed; {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
