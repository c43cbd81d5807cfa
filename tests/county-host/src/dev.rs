//! A development county: the app's manifest in this workspace and variables fit for tests, the
//! benchmark and a local run, never for a real county.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub const COUNTY_CODE: &str = "370902";
pub const COUNTY_NAME: &str = "泰山区";
pub const OPERATOR_TOKEN_SECRET: &str = "dev-operator-secret-0123456789abcdef";
pub const TRAINEE_TOKEN_SECRET: &str = "dev-trainee-secret-0123456789abcdefg";
pub const PERSON_KEY_SECRET: &str = "dev-person-key-secret-0123456789abc";

/// The workspace's `spin.toml`.
pub fn manifest_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spin.toml")
}

/// The application variables of a development instance for `county`.
pub fn variables(county: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("county_code".to_owned(), county.to_owned()),
        ("county_name".to_owned(), COUNTY_NAME.to_owned()),
        (
            "operator_token_secret".to_owned(),
            OPERATOR_TOKEN_SECRET.to_owned(),
        ),
        (
            "trainee_token_secret".to_owned(),
            TRAINEE_TOKEN_SECRET.to_owned(),
        ),
        ("person_key_secret".to_owned(), PERSON_KEY_SECRET.to_owned()),
    ])
}
