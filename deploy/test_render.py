"""Every county file in deploy/counties renders a SpinApp that validates against SpinKube's
SpinApp CRD schema (../shared/reference/spinkube, spin-operator v0.6.1), and bad county files
are refused. Run: python3 -m unittest discover -s deploy -p 'test_*.py' -v
(needs PyPI's jsonschema and PyYAML; .ci/run installs them)."""

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


def spinapp_schema():
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

    def test_every_county_file_renders_a_spinapp_the_crd_accepts(self):
        schema = spinapp_schema()
        counties = sorted((DEPLOY / "counties").glob("*.toml"))
        self.assertGreater(len(counties), 0)
        for county_file in counties:
            result, out = self.render(county_file)
            self.assertEqual(result.returncode, 0, result.stderr)
            spin_app = json.loads((out / "spinapp.json").read_text())
            jsonschema.validate(spin_app, schema)
            county = render.read_county(county_file)
            self.assertEqual(spin_app["spec"]["replicas"], county["replicas"])
            names = [v["name"] for v in spin_app["spec"]["variables"]]
            self.assertEqual(
                sorted(names),
                sorted(["county_code", "county_name", *render.SECRET_VARIABLES]),
            )
            secret = json.loads((out / "runtime-config-secret.json").read_text())
            self.assertEqual(
                secret["metadata"]["name"], spin_app["spec"]["runtimeConfig"]["loadFromSecret"]
            )
            self.assertIn('type = "redis"', secret["stringData"]["runtime-config.toml"])
            config = json.loads((out / "configmap.json").read_text())
            self.assertEqual(config["data"]["county_code"], county["code"])

    def test_the_schema_check_is_real(self):
        schema = spinapp_schema()
        spin_app = render.manifests(render.read_county(DEPLOY / "counties/370902.toml"))[
            "spinapp.json"
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
