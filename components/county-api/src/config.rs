//! The county's configuration, from Spin variables (`SPIN_VARIABLE_<NAME>` or `--variable`).

use subsidy_rules::{CountyCode, PolicyBook};

use crate::{ApiError, ErrorKind};

/// Secrets shorter than this are refused: an HMAC key should carry at least 256 bits.
const MIN_SECRET_BYTES: usize = 32;

pub struct CountyConfig {
    /// The county this instance serves: it pays persons with hukou here, and no one else.
    pub county: CountyCode,
    pub county_name: String,
    /// Verifies operators' bearer tokens (admin, reviewer, finance).
    pub operator_token_secret: Vec<u8>,
    /// Verifies trainees' bearer tokens, issued by the county's identity service.
    pub trainee_token_secret: Vec<u8>,
    /// Keys the hash that stands for a person in store keys.
    pub person_key_secret: Vec<u8>,
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

impl CountyConfig {
    pub fn load() -> Result<CountyConfig, ApiError> {
        let code = variable("county_code")?;
        let county = CountyCode::parse(&code).map_err(|_| {
            misconfigured(format!(
                "county_code {code:?} is not a county's 6-digit code"
            ))
        })?;
        if !PolicyBook::built_in()
            .versions()
            .iter()
            .any(|v| v.province == county.province())
        {
            return Err(misconfigured(format!(
                "county {county} is outside the provinces this policy covers"
            )));
        }
        let operator_token_secret = secret("operator_token_secret")?;
        let trainee_token_secret = secret("trainee_token_secret")?;
        // One secret for both would let a trainee's identity service mint operator tokens.
        if operator_token_secret == trainee_token_secret {
            return Err(misconfigured(
                "operator_token_secret and trainee_token_secret must differ".into(),
            ));
        }
        Ok(CountyConfig {
            county,
            county_name: variable("county_name")?,
            operator_token_secret,
            trainee_token_secret,
            person_key_secret: secret("person_key_secret")?,
        })
    }
}
