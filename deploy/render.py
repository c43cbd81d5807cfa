#!/usr/bin/env python3
"""Renders one county's SpinKube manifests from a short county file.

    python3 deploy/render.py deploy/counties/370902.toml --out out/370902

writes, as JSON (kubectl applies JSON as it does YAML):

- configmap.json   the county's code and name (not secret);
- runtime-config-secret.json   the Secret holding runtime-config.toml: the Redis store;
- spinapp-public.json    the public SpinApp `county-<code>-public`: the components that face the
                        internet (deploy/public-components.txt: trainees' claims, eligibility,
                        policy, the platforms' API), `replicas` of them;
- spinapp-internal.json  the internal SpinApp `county-<code>-internal`: every component (the
                        console calls every API), for the county's office network,
                        `internal_replicas` of them (default 1).
Both run the same image, with the runtime config from that Secret and every Spin variable
from the ConfigMap or from the Secret `county-<code>-secrets`; SpinKube gives each a Service of
its name, which the county's ingress exposes (the public one) or keeps inside (the other).

The three token secrets are never rendered: create them once per county with
`kubectl create secret generic county-<code>-secrets --from-literal=...` (deploy/README.md).
A county on SpinKube must name a Redis: without a runtime config SpinKube gives every pod an
in-memory store of its own, lost on restart. COUNTY_REDIS_URL, when set, overrides the file's
`redis_url` (for a URL that carries a password).

Standard library only (Python 3.11+).
"""

import argparse
import json
import os
import pathlib
import re
import sys
import tomllib

APP = "county-training-subsidy"
SECRET_VARIABLES = ("operator_token_secret", "trainee_token_secret", "person_key_secret")
ROOT = pathlib.Path(__file__).resolve().parent.parent


def public_components():
    """The components that face the internet, as deploy/public-components.txt lists them."""
    lines = (ROOT / "deploy/public-components.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def all_components():
    """Every component of the app, in spin.toml's order."""
    with open(ROOT / "spin.toml", "rb") as f:
        return list(tomllib.load(f)["component"])


class CountyFileError(ValueError):
    pass


def read_county(path):
    with open(path, "rb") as f:
        county = tomllib.load(f)
    problems = []
    code = county.get("code", "")
    if not re.fullmatch(r"37\d{4}", str(code)) or str(code).endswith("00"):
        problems.append(f"code {code!r} is not a Shandong county's 6-digit code")
    if not str(county.get("name", "")).strip():
        problems.append("name is required")
    replicas = county.get("replicas", 1)
    internal_replicas = county.get("internal_replicas", 1)
    for name, value in [("replicas", replicas), ("internal_replicas", internal_replicas)]:
        if not isinstance(value, int) or not 1 <= value <= 50:
            problems.append(f"{name} {value!r} must be a whole number from 1 to 50")
    if not str(county.get("image", "")).strip():
        problems.append("image is required (the OCI reference spin registry push gave)")
    redis_url = os.environ.get("COUNTY_REDIS_URL") or county.get("redis_url", "")
    if not str(redis_url).startswith(("redis://", "rediss://")):
        problems.append(
            "redis_url (or COUNTY_REDIS_URL) is required: on SpinKube a county without "
            "Redis gets an in-memory store per pod, lost on every restart"
        )
    unknown = set(county) - {"code", "name", "replicas", "internal_replicas", "image", "redis_url"}
    if unknown:
        problems.append(f"unknown settings: {', '.join(sorted(unknown))}")
    if problems:
        raise CountyFileError(f"{path}: " + "; ".join(problems))
    return {**county, "replicas": replicas, "internal_replicas": internal_replicas,
            "redis_url": redis_url}


def manifests(county):
    code = county["code"]
    name = f"county-{code}"
    labels = {"app.kubernetes.io/part-of": APP, "subsidy.county/code": code}
    runtime_config = f'[key_value_store.default]\ntype = "redis"\nurl = "{county["redis_url"]}"\n'
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"county_code": code, "county_name": county["name"]},
    }
    runtime_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": f"{name}-runtime-config", "labels": labels},
        "type": "Opaque",
        "stringData": {"runtime-config.toml": runtime_config},
    }
    variables = [
        {"name": key, "valueFrom": {"configMapKeyRef": {"name": name, "key": key}}}
        for key in ("county_code", "county_name")
    ] + [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": f"{name}-secrets", "key": key}}}
        for key in SECRET_VARIABLES
    ]
    def spin_app(part, components, replicas):
        part_labels = {**labels, "subsidy.county/part": part}
        return {
            "apiVersion": "core.spinkube.dev/v1alpha1",
            "kind": "SpinApp",
            "metadata": {"name": f"{name}-{part}", "labels": part_labels},
            "spec": {
                "image": county["image"],
                "executor": "containerd-shim-spin",
                "replicas": replicas,
                "components": components,
                "runtimeConfig": {"loadFromSecret": f"{name}-runtime-config"},
                "variables": variables,
                "podLabels": part_labels,
            },
        }

    return {
        "configmap.json": config_map,
        "runtime-config-secret.json": runtime_secret,
        "spinapp-public.json": spin_app("public", public_components(), county["replicas"]),
        "spinapp-internal.json": spin_app(
            "internal", all_components(), county["internal_replicas"]
        ),
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("county_file")
    parser.add_argument("--out", required=True, help="folder for the manifests")
    args = parser.parse_args(argv)
    try:
        county = read_county(args.county_file)
    except CountyFileError as e:
        print(f"render.py: {e}", file=sys.stderr)
        return 2
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for file, manifest in manifests(county).items():
        (out / file).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    print(f"rendered {county['code']} {county['name']} into {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
