//! Bearer tokens: compact JWTs signed with HMAC-SHA256 (HS256), so a county's identity
//! service or any JWT library can issue them. Verification is pure: the caller passes the
//! secret and the time.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::Reason;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// County administrator: keeps the local tables and the key-group registry.
    Admin,
    /// Reviews claims and key-group declarations.
    Reviewer,
    /// Marks payments.
    Finance,
    /// A trainee, after real-name verification; the subject is their resident ID.
    Trainee,
}

impl Role {
    pub fn parse(input: &str) -> Result<Role, Reason> {
        serde_json::from_value(serde_json::Value::String(input.to_owned())).map_err(|_| {
            Reason::new(
                "invalid_role",
                "角色应为 admin、reviewer、finance 或 trainee",
                "A role is admin, reviewer, finance or trainee",
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Who: an operator's account name, or a trainee's resident ID.
    pub sub: String,
    pub role: Role,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: i64,
    /// Not valid before, seconds since the Unix epoch (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The county the token is for (its 6-digit code): every token this app mints names its
    /// county, and any other county refuses it, whatever secret the two share. Tokens of an
    /// identity service may name one, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// The longest a token may be issued to live (`exp - iat`), set per county by who holds it
/// (Spin variables `operator_token_max_minutes`, default 720: a working day;
/// `trainee_token_max_minutes`, default 10080: a week, a phone stays signed in). A token issued
/// for longer is refused, whatever its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimeCap {
    seconds: i64,
}

impl TokenLifetimeCap {
    /// No cap is shorter: a token that lives at most this long is within every cap, and its
    /// role's cap need not be read (a host call on Spin).
    pub const FLOOR_MINUTES: i64 = 60;
    /// Nor longer than 30 days.
    pub const CEILING_MINUTES: i64 = 30 * 24 * 60;

    pub fn parse_minutes(input: &str) -> Result<TokenLifetimeCap, Reason> {
        match input.trim().parse::<i64>() {
            Ok(m) if (Self::FLOOR_MINUTES..=Self::CEILING_MINUTES).contains(&m) => {
                Ok(TokenLifetimeCap { seconds: m * 60 })
            }
            _ => Err(Reason::new(
                "invalid_token_lifetime_cap",
                format!(
                    "凭证最长有效期应为{}至{}分钟的整数",
                    Self::FLOOR_MINUTES,
                    Self::CEILING_MINUTES
                ),
                format!(
                    "A token lifetime cap is a whole number of minutes from {} to {}",
                    Self::FLOOR_MINUTES,
                    Self::CEILING_MINUTES
                ),
            )),
        }
    }

    pub fn seconds(self) -> i64 {
        self.seconds
    }
}

impl TokenClaims {
    /// Whether the token lives longer than the shortest cap a county can set, so that its
    /// role's cap must be checked.
    pub fn outlives_every_floor(&self) -> bool {
        self.exp - self.iat > TokenLifetimeCap::FLOOR_MINUTES * 60
    }

    /// Refuses a token that names another county than `county`.
    pub fn check_county(&self, county: &str) -> Result<(), TokenRefusal> {
        match &self.aud {
            Some(aud) if aud != county => Err(TokenRefusal::OtherCounty),
            _ => Ok(()),
        }
    }

    pub fn check_lifetime(&self, cap: TokenLifetimeCap) -> Result<(), TokenRefusal> {
        if self.exp - self.iat > cap.seconds {
            return Err(TokenRefusal::LivesTooLong);
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// Tolerated clock difference between the issuer and this service.
const LEEWAY_SECONDS: i64 = 60;

pub fn sign_token(claims: &TokenClaims, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(mac(secret, &signing_input).finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

fn mac(secret: &[u8], signing_input: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    mac
}

/// Why a bearer token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Malformed,
    /// Not signed with this secret: a forgery, or a token of the other issuer.
    SignatureInvalid,
    Expired,
    NotYetValid,
    /// Issued to live longer than its role's `TokenLifetimeCap` allows.
    LivesTooLong,
    /// Issued for another county (`aud`).
    OtherCounty,
}

impl TokenRefusal {
    pub fn reason(self) -> Reason {
        match self {
            TokenRefusal::Malformed => Reason::new(
                "token_malformed",
                "登录凭证格式不正确",
                "The bearer token is not a well-formed HS256 JWT",
            ),
            TokenRefusal::SignatureInvalid => Reason::new(
                "token_signature_invalid",
                "登录凭证签名无效",
                "The bearer token's signature does not verify",
            ),
            TokenRefusal::Expired => Reason::new(
                "token_expired",
                "登录凭证已过期，请重新登录",
                "The bearer token has expired",
            ),
            TokenRefusal::NotYetValid => Reason::new(
                "token_not_yet_valid",
                "登录凭证尚未生效",
                "The bearer token is not valid yet (issued in the future, or before its nbf)",
            ),
            TokenRefusal::LivesTooLong => Reason::new(
                "token_lifetime_too_long",
                "登录凭证有效期过长，请重新登录",
                "The bearer token was issued to live longer than allowed; sign in again",
            ),
            TokenRefusal::OtherCounty => Reason::new(
                "token_other_county",
                "登录凭证是为其他县（市、区）签发的",
                "The bearer token was issued for another county",
            ),
        }
    }
}

fn malformed() -> TokenRefusal {
    TokenRefusal::Malformed
}

/// The role a token claims, unverified: only for choosing which issuer's secret to try first.
pub fn claimed_role(token: &str) -> Option<Role> {
    #[derive(Deserialize)]
    struct RoleOnly {
        role: Role,
    }
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    let claimed: RoleOnly = serde_json::from_slice(&payload).ok()?;
    Some(claimed.role)
}

/// Checks signature, expiry and `nbf`. The lifetime cap is checked with
/// `TokenClaims::check_lifetime`, the role by the endpoint.
pub fn verify_token(
    token: &str,
    secret: &[u8],
    now_unix: i64,
) -> Result<TokenClaims, TokenRefusal> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed());
    let header: Header = serde_json::from_slice(&decode(header)?).map_err(|_| malformed())?;
    if header.alg != "HS256" {
        return Err(malformed());
    }
    let signing_input = &token[..token.len() - signature.len() - 1];
    mac(secret, signing_input)
        .verify_slice(&decode(signature)?)
        .map_err(|_| TokenRefusal::SignatureInvalid)?;
    let claims: TokenClaims = serde_json::from_slice(&decode(payload)?).map_err(|_| malformed())?;
    if claims.sub.is_empty() || claims.sub.len() > 128 {
        return Err(malformed());
    }
    if now_unix >= claims.exp {
        return Err(TokenRefusal::Expired);
    }
    if claims.iat > now_unix + LEEWAY_SECONDS
        || claims
            .nbf
            .is_some_and(|nbf| nbf > now_unix + LEEWAY_SECONDS)
    {
        return Err(TokenRefusal::NotYetValid);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"county-secret";

    #[test]
    fn the_claimed_role_is_read_without_the_secret() {
        let token = sign_token(&claims(Role::Trainee), SECRET);
        assert_eq!(claimed_role(&token), Some(Role::Trainee));
        assert_eq!(claimed_role("not.a-token"), None);
        assert_eq!(claimed_role(""), None);
    }

    fn claims(role: Role) -> TokenClaims {
        TokenClaims {
            sub: "op-zhang".into(),
            role,
            iat: 1_000,
            exp: 2_000,
            nbf: None,
            aud: None,
        }
    }

    #[test]
    fn a_token_is_refused_before_its_nbf_and_when_issued_to_live_too_long() {
        let early = TokenClaims {
            nbf: Some(1_500),
            ..claims(Role::Admin)
        };
        let token = sign_token(&early, SECRET);
        assert_eq!(
            verify_token(&token, SECRET, 1_200).unwrap_err(),
            TokenRefusal::NotYetValid
        );
        assert!(verify_token(&token, SECRET, 1_500).is_ok());
        let cap = |minutes: &str| TokenLifetimeCap::parse_minutes(minutes).unwrap();
        let lives = |hours: i64| TokenClaims {
            exp: 1_000 + hours * 3600,
            ..claims(Role::Finance)
        };
        assert!(!lives(1).outlives_every_floor());
        assert!(lives(2).outlives_every_floor());
        assert!(lives(12).check_lifetime(cap("720")).is_ok());
        let twelve_and_a_second = TokenClaims {
            exp: lives(12).exp + 1,
            ..lives(12)
        };
        assert_eq!(
            twelve_and_a_second.check_lifetime(cap("720")),
            Err(TokenRefusal::LivesTooLong)
        );
        assert!(lives(24 * 7).check_lifetime(cap("10080")).is_ok());
        for bad in ["59", "43201", "12h", ""] {
            assert_eq!(
                TokenLifetimeCap::parse_minutes(bad).unwrap_err().code,
                "invalid_token_lifetime_cap"
            );
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let token = sign_token(&claims(Role::Reviewer), SECRET);
        assert_eq!(
            verify_token(&token, SECRET, 1_500).unwrap(),
            claims(Role::Reviewer)
        );
        assert_eq!(
            verify_token(&token, SECRET, 2_000)
                .unwrap_err()
                .reason()
                .code,
            "token_expired"
        );
        assert_eq!(
            verify_token(&token, SECRET, 900).unwrap_err().reason().code,
            "token_not_yet_valid"
        );
        assert!(verify_token(&token, SECRET, 1_000 - LEEWAY_SECONDS).is_ok());
    }

    #[test]
    fn tampering_or_another_secret_fails() {
        let token = sign_token(&claims(Role::Reviewer), SECRET);
        assert_eq!(
            verify_token(&token, b"other", 1_500)
                .unwrap_err()
                .reason()
                .code,
            "token_signature_invalid"
        );
        // Promote oneself to admin without the secret.
        let forged_payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(Role::Admin)).unwrap());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            verify_token(&forged, SECRET, 1_500)
                .unwrap_err()
                .reason()
                .code,
            "token_signature_invalid"
        );
    }

    #[test]
    fn unsigned_and_garbled_tokens_are_malformed() {
        let none_alg = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(Role::Admin)).unwrap())
        );
        for bad in ["", "a.b", "a.b.c.d", "!!.??.**", none_alg.as_str()] {
            assert_eq!(
                verify_token(bad, SECRET, 1_500).unwrap_err().reason().code,
                "token_malformed",
                "{bad}"
            );
        }
    }
}
