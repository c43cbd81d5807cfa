"""The API's contract, docs/openapi.json: a valid OpenAPI 3.1 document (checked by
openapi-spec-validator), and every operation it documents exercised by the API tests in each
store mode. The API tests write each operation they exercise to
$COUNTY_API_EXERCISED_DIR/<mode>.txt (scripts/test.sh sets it and runs them first); they hold
every answer to the document themselves (tests/integration/tests/api/contract.rs)."""

import json
import os
import pathlib
import unittest

from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts, get_spec_version

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))


def documented_operations():
    return {
        f"{method.upper()} {path}"
        for path, item in DOCUMENT["paths"].items()
        for method in item
    }


class Contract(unittest.TestCase):
    def test_the_document_is_valid_openapi_3_1(self):
        self.assertEqual(get_spec_version(DOCUMENT), consts.OPENAPIV31)
        validate(DOCUMENT)

    def test_every_error_response_lists_its_codes(self):
        for path, item in DOCUMENT["paths"].items():
            for method, operation in item.items():
                for status, response in operation["responses"].items():
                    if status.startswith(("4", "5")):
                        text = json.dumps(response)
                        self.assertTrue(
                            "#/components/responses/" in text or '"enum"' in text,
                            f"{method} {path} {status}",
                        )

    def test_every_documented_operation_was_exercised_in_each_store_mode(self):
        folder = os.environ.get("COUNTY_API_EXERCISED_DIR")
        if not folder:
            self.skipTest("run by scripts/test.sh, after the API tests in both store modes")
        for mode in ("sqlite", "redis"):
            exercised = set(
                (pathlib.Path(folder) / f"{mode}.txt").read_text().split("\n")
            )
            never = sorted(documented_operations() - exercised)
            self.assertEqual(never, [], f"documented, never exercised on {mode}")


if __name__ == "__main__":
    unittest.main()
