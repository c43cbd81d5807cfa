"""Every county file in deploy/counties renders a public and an internal SpinApp that validate
against SpinKube's SpinApp CRD schema, and bad county files are refused. Run:
python3 -m unittest discover -s deploy -p 'test_*.py' -v (needs PyPI's jsonschema and PyYAML;
.ci/run installs them).

The CRD is the `SpinApp` CustomResourceDefinition of spin-operator v0.6.1 (spinframework/
spin-operator, commit cd3121a1500d99b2543d9f7861f8be36933b1de3, Apache-2.0), a copy of which
is kept outside this repository, beside its checkout (`CRD` below names the path). Where that
copy is absent, the schema checks are skipped, saying so."""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import jsonschema
import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent
CRD = DEPLOY.parent.parent / "shared/reference/spinkube/core.spinkube.dev_spinapps.yaml"

sys.path.insert(0, str(DEPLOY))
import render  # noqa: E402


def spinapp_schema(test):
    if not CRD.exists():
        test.skipTest(f"SpinKube's CRD is not at {CRD}: the schema is not checked")
    crd = yaml.safe_load(CRD.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    return version["schema"]["openAPIV3Schema"]


class RenderTest(unittest.TestCase):
    def render(self, county_file):
        out = tempfile.mkdtemp()
        result = subprocess.run(
            [sys.executable, str(DEPLOY / "render.py"), str(county_file), "--out", out],
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "COUNTY_REDIS_URL"},
        )
        return result, pathlib.Path(out)

    def test_every_county_file_renders_spinapps_the_crd_accepts(self):
        schema = spinapp_schema(self)
        counties = sorted((DEPLOY / "counties").glob("*.toml"))
        self.assertGreater(len(counties), 0)
        for county_file in counties:
            result, out = self.render(county_file)
            self.assertEqual(result.returncode, 0, result.stderr)
            county = render.read_county(county_file)
            for part, replicas in [("public", "replicas"), ("internal", "internal_replicas")]:
                spin_app = json.loads((out / f"spinapp-{part}.json").read_text())
                jsonschema.validate(spin_app, schema)
                self.assertEqual(spin_app["spec"]["replicas"], county[replicas])
                names = [v["name"] for v in spin_app["spec"]["variables"]]
                self.assertEqual(
                    sorted(names),
                    sorted(["county_code", "county_name", *render.SECRET_VARIABLES]),
                )
                secret = json.loads((out / "runtime-config-secret.json").read_text())
                self.assertEqual(
                    secret["metadata"]["name"],
                    spin_app["spec"]["runtimeConfig"]["loadFromSecret"],
                )
            self.assertIn('type = "redis"', secret["stringData"]["runtime-config.toml"])
            config = json.loads((out / "configmap.json").read_text())
            self.assertEqual(config["data"]["county_code"], county["code"])

    def test_the_public_app_runs_only_components_that_face_the_internet(self):
        manifests = render.manifests(render.read_county(DEPLOY / "counties/370902.toml"))
        public = manifests["spinapp-public.json"]["spec"]["components"]
        internal = manifests["spinapp-internal.json"]["spec"]["components"]
        self.assertEqual(sorted(internal), sorted(render.all_components()))
        self.assertTrue(set(public) < set(internal), public)
        for kept_inside in ["county-desk", "county-billing", "county-admin", "operator-console"]:
            self.assertNotIn(kept_inside, public)
            self.assertIn(kept_inside, internal)

    def test_the_schema_check_is_real(self):
        schema = spinapp_schema(self)
        spin_app = render.manifests(render.read_county(DEPLOY / "counties/370902.toml"))[
            "spinapp-public.json"
        ]
        spin_app["spec"]["replicas"] = "three"
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.validate(spin_app, schema)

    def test_a_county_without_redis_or_with_a_bad_code_is_refused(self):
        bad = pathlib.Path(tempfile.mkdtemp()) / "bad.toml"
        bad.write_text('code = "370900"\nname = "x"\nreplicas = 3\nimage = "i"\n')
        result, out = self.render(bad)
        self.assertEqual(result.returncode, 2)
        self.assertIn("redis_url", result.stderr)
        self.assertIn("not a Shandong county", result.stderr)
        self.assertFalse((out / "spinapp.json").exists())


if __name__ == "__main__":
    unittest.main()
