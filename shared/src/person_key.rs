//! The pseudonym a person goes by in store keys: a keyed hash of the resident ID, so that
//! keys (which backends log and list freely) never hold the number itself, and nobody
//! without the county's secret can test a guessed number against them.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::ResidentId;

/// Stored in records so that indexes can be found again; never parsed from client input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonKey(String);

impl PersonKey {
    /// HMAC-SHA256 over a versioned label and the ID, first 128 bits in hex.
    pub fn derive(secret: &[u8], id: &ResidentId) -> PersonKey {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"person-key/v1/");
        mac.update(id.expose().as_bytes());
        PersonKey(hex::encode(&mac.finalize().into_bytes()[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resident_id::tests::with_check;

    #[test]
    fn keys_depend_on_the_secret_and_hide_the_number() {
        let raw = with_check("37090219900307123");
        let id = ResidentId::parse(&raw).unwrap();
        let a = PersonKey::derive(b"secret-a", &id);
        assert_eq!(a, PersonKey::derive(b"secret-a", &id));
        assert_ne!(a, PersonKey::derive(b"secret-b", &id));
        assert_eq!(a.as_str().len(), 32);
        assert!(!a.as_str().contains(&raw[6..14]));
    }
}
