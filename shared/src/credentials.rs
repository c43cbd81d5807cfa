//! Platforms' API credentials: a key id and a secret, rotated with a short overlap, revoked at
//! once.

use serde::{Deserialize, Serialize};

use crate::{Change, PlatformId, Reason};

/// The longest overlap a rotation may grant the old key.
pub const MAX_ROTATION_OVERLAP_MINUTES: i64 = 24 * 60;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub key_id: String,
    pub platform_id: PlatformId,
    /// The HMAC key. Kept because HMAC verification needs it; shown only once, at issue.
    pub secret: String,
    pub issued: Change,
    /// Set by a rotation: the old key works until then (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Change>,
}

/// What operators see of a credential: everything but the secret.
#[derive(Debug, Serialize)]
pub struct CredentialView<'a> {
    pub key_id: &'a str,
    pub platform_id: &'a PlatformId,
    pub issued: &'a Change,
    pub expires_at: Option<i64>,
    pub replaced_by: Option<&'a str>,
    pub revoked: Option<&'a Change>,
    pub usable: bool,
}

/// Whether a key id from a header or a path can be one we issued (`pk_` and hex): anything
/// else is unknown without a store read, and never reaches a store key.
pub fn plausible_key_id(key_id: &str) -> bool {
    key_id.len() <= 40
        && key_id
            .strip_prefix("pk_")
            .is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Credential {
    pub fn check_usable(&self, now_unix: i64) -> Result<(), Reason> {
        if self.revoked.is_some() {
            return Err(Reason::new(
                "key_revoked",
                "该平台密钥已吊销",
                "This API key has been revoked",
            ));
        }
        if self.expires_at.is_some_and(|at| now_unix >= at) {
            return Err(Reason::new(
                "key_expired",
                "该平台密钥已轮换并过期，请使用新密钥",
                "This API key was rotated and has expired; use the new key",
            ));
        }
        Ok(())
    }

    pub fn view(&self, now_unix: i64) -> CredentialView<'_> {
        CredentialView {
            key_id: &self.key_id,
            platform_id: &self.platform_id,
            issued: &self.issued,
            expires_at: self.expires_at,
            replaced_by: self.replaced_by.as_deref(),
            revoked: self.revoked.as_ref(),
            usable: self.check_usable(now_unix).is_ok(),
        }
    }

    /// The old key after a rotation to `new_key_id`: valid `overlap_minutes` more.
    pub fn rotated(
        &self,
        new_key_id: &str,
        overlap_minutes: i64,
        now_unix: i64,
    ) -> Result<Credential, Reason> {
        self.check_usable(now_unix)?;
        // Rotated already, and still in its overlap: one successor only.
        if let Some(successor) = &self.replaced_by {
            return Err(Reason::new(
                "key_already_rotated",
                format!("该密钥已轮换，新密钥为 {successor}；请轮换新密钥"),
                format!("This key was rotated already to {successor}; rotate that one instead"),
            ));
        }
        if !(0..=MAX_ROTATION_OVERLAP_MINUTES).contains(&overlap_minutes) {
            return Err(Reason::new(
                "invalid_overlap",
                format!("新旧密钥并存时间应为0至{MAX_ROTATION_OVERLAP_MINUTES}分钟"),
                format!("The overlap is 0 to {MAX_ROTATION_OVERLAP_MINUTES} minutes"),
            )
            .at("overlap_minutes"));
        }
        Ok(Credential {
            expires_at: Some(now_unix + overlap_minutes * 60),
            replaced_by: Some(new_key_id.to_owned()),
            ..self.clone()
        })
    }

    pub fn revoked(&self, change: Change) -> Credential {
        Credential {
            revoked: Some(self.revoked.clone().unwrap_or(change)),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential() -> Credential {
        Credential {
            key_id: "pk_1".into(),
            platform_id: PlatformId::parse("wljnpx").unwrap(),
            secret: "s".into(),
            issued: Change::new("op", "2020-02-12T00:00:00Z".parse().unwrap()),
            expires_at: None,
            replaced_by: None,
            revoked: None,
        }
    }

    #[test]
    fn a_rotated_key_overlaps_then_expires_and_a_revoked_one_stops_at_once() {
        let old = credential().rotated("pk_2", 60, 1_000).unwrap();
        assert!(old.check_usable(1_000 + 3_599).is_ok());
        assert_eq!(
            old.check_usable(1_000 + 3_600).unwrap_err().code,
            "key_expired"
        );
        assert_eq!(
            credential().rotated("pk_2", 1_441, 0).unwrap_err().code,
            "invalid_overlap"
        );
        let revoked =
            credential().revoked(Change::new("op", "2020-03-01T00:00:00Z".parse().unwrap()));
        assert_eq!(revoked.check_usable(0).unwrap_err().code, "key_revoked");
        assert!(
            !serde_json::to_string(&revoked.view(0))
                .unwrap()
                .contains("secret")
        );
    }
}
