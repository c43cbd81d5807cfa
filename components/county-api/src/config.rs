//! The county's configuration, from Spin variables (`SPIN_VARIABLE_<NAME>` or `--variable`).
//!
//! Each variable is read when a request first needs it, and once: on real Spin every read is
//! a host call that costs real time (`docs/spin.md`, "Host calls cost real time"), so
//! a public read fetches no secret and a 404 fetches nothing.

use std::cell::OnceCell;

use subsidy_rules::{
    CountyCode, PolicyBook,
    auth::{Role, TokenLifetimeCap},
};

use crate::{ApiError, ErrorKind};

/// Secrets shorter than this are refused: an HMAC key should carry at least 256 bits.
const MIN_SECRET_BYTES: usize = 32;

#[derive(Default)]
pub struct CountyConfig {
    /// The county this instance serves: it pays persons with hukou here, and no one else.
    county: OnceCell<CountyCode>,
    county_name: OnceCell<String>,
    /// Verifies operators' bearer tokens (admin, reviewer, finance).
    operator_token_secret: OnceCell<Vec<u8>>,
    /// Verifies trainees' bearer tokens, issued by the county's identity service.
    trainee_token_secret: OnceCell<Vec<u8>>,
    /// Keys the hash that stands for a person in store keys.
    person_key_secret: OnceCell<Vec<u8>>,
    operator_token_max: OnceCell<TokenLifetimeCap>,
    trainee_token_max: OnceCell<TokenLifetimeCap>,
}

fn misconfigured(detail: String) -> ApiError {
    ApiError::server(
        ErrorKind::Internal,
        "configuration_error",
        "本县服务配置有误，请联系系统管理员",
        "This county's service is misconfigured; the server log names the setting",
        detail,
    )
}

fn variable(name: &str) -> Result<String, ApiError> {
    spin_sdk::variables::get(name)
        .map_err(|e| misconfigured(format!("Spin variable {name} is not available: {e}")))
}

fn secret(name: &str) -> Result<Vec<u8>, ApiError> {
    let value = variable(name)?;
    if value.len() < MIN_SECRET_BYTES {
        return Err(misconfigured(format!(
            "Spin variable {name} must be at least {MIN_SECRET_BYTES} bytes"
        )));
    }
    Ok(value.into_bytes())
}

/// The value in `cell`, read by `read` the first time it is asked for.
pub(crate) fn once<T>(
    cell: &OnceCell<T>,
    read: impl FnOnce() -> Result<T, ApiError>,
) -> Result<&T, ApiError> {
    if let Some(value) = cell.get() {
        return Ok(value);
    }
    let value = read()?;
    Ok(cell.get_or_init(|| value))
}

impl CountyConfig {
    pub fn county(&self) -> Result<&CountyCode, ApiError> {
        once(&self.county, || {
            let code = variable("county_code")?;
            let county = CountyCode::parse(&code).map_err(|_| {
                misconfigured(format!(
                    "county_code {code:?} is not a county's 6-digit code"
                ))
            })?;
            if !(PolicyBook::built_in().versions().iter()).any(|v| v.province == county.province())
            {
                return Err(misconfigured(format!(
                    "county {county} is outside the provinces this policy covers"
                )));
            }
            Ok(county)
        })
    }

    pub fn county_name(&self) -> Result<&str, ApiError> {
        once(&self.county_name, || variable("county_name")).map(String::as_str)
    }

    /// The operators' secret, checked to differ from the trainees': one secret for both would
    /// let a trainee's identity service mint operator tokens. Checked wherever it is used, so
    /// no operator token is ever accepted under a shared secret.
    pub fn operator_token_secret(&self) -> Result<&[u8], ApiError> {
        once(&self.operator_token_secret, || {
            let operator = secret("operator_token_secret")?;
            if operator == self.trainee_token_secret()? {
                return Err(misconfigured(
                    "operator_token_secret and trainee_token_secret must differ".into(),
                ));
            }
            Ok(operator)
        })
        .map(Vec::as_slice)
    }

    pub fn trainee_token_secret(&self) -> Result<&[u8], ApiError> {
        once(&self.trainee_token_secret, || {
            secret("trainee_token_secret")
        })
        .map(Vec::as_slice)
    }

    pub fn person_key_secret(&self) -> Result<&[u8], ApiError> {
        once(&self.person_key_secret, || secret("person_key_secret")).map(Vec::as_slice)
    }

    /// The longest a token of `role` may be issued to live (`operator_token_max_minutes`,
    /// `trainee_token_max_minutes`).
    pub fn token_lifetime_cap(&self, role: Role) -> Result<TokenLifetimeCap, ApiError> {
        let (cell, name) = match role {
            Role::Trainee => (&self.trainee_token_max, "trainee_token_max_minutes"),
            _ => (&self.operator_token_max, "operator_token_max_minutes"),
        };
        once(cell, || {
            let value = variable(name)?;
            TokenLifetimeCap::parse_minutes(&value).map_err(|e| {
                misconfigured(format!("Spin variable {name} {value:?}: {}", e.message_en))
            })
        })
        .copied()
    }
}
