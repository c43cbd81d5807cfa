//! Signed platform requests. A platform signs every request with its API secret:
//!
//! ```text
//! string to sign = METHOD "\n" PATH "\n" QUERY "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA-256(body))
//! X-Signature    = hex(HMAC-SHA256(key = the secret as UTF-8, string to sign))
//! ```
//! with headers `X-Key-Id`, `X-Timestamp` (Unix seconds), `X-Nonce` (16–64 of `A-Za-z0-9_-`,
//! never reused) and `X-Signature`. QUERY is the raw query string without `?` (empty if none),
//! exactly as sent. The checks here are pure; the nonce's single use is the store's business.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::Reason;

/// How far a request's timestamp may be from our clock, either way.
pub const CLOCK_WINDOW_SECONDS: i64 = 300;

pub struct SignedParts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub body: &'a [u8],
}

impl SignedParts<'_> {
    pub fn string_to_sign(&self) -> String {
        let body_digest = hex::encode(Sha256::digest(self.body));
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method, self.path, self.query, self.timestamp, self.nonce, body_digest
        )
    }

    pub fn sign(&self, secret: &str) -> String {
        hex::encode(self.mac(secret).finalize().into_bytes())
    }

    fn mac(&self, secret: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(self.string_to_sign().as_bytes());
        mac
    }

    /// Checks the nonce's form, the clock window and the signature (in constant time).
    pub fn verify(&self, secret: &str, signature: &str, now_unix: i64) -> Result<(), Reason> {
        let nonce_ok = (16..=64).contains(&self.nonce.len())
            && self
                .nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !nonce_ok {
            return Err(Reason::new(
                "nonce_invalid",
                "X-Nonce 应为16至64位字母、数字、-或_",
                "X-Nonce must be 16 to 64 characters of A-Z, a-z, 0-9, - and _",
            ));
        }
        let timestamp: i64 = self.timestamp.parse().map_err(|_| {
            Reason::new(
                "timestamp_invalid",
                "X-Timestamp 应为Unix秒数",
                "X-Timestamp must be Unix seconds",
            )
        })?;
        if (timestamp - now_unix).abs() > CLOCK_WINDOW_SECONDS {
            return Err(Reason::new(
                "timestamp_out_of_window",
                format!(
                    "请求时间与服务器时间相差超过{}分钟，请校准时钟",
                    CLOCK_WINDOW_SECONDS / 60
                ),
                format!(
                    "The request's timestamp is more than {} minutes from server time",
                    CLOCK_WINDOW_SECONDS / 60
                ),
            ));
        }
        let signature = hex::decode(signature).map_err(|_| bad_signature())?;
        self.mac(secret)
            .verify_slice(&signature)
            .map_err(|_| bad_signature())
    }
}

fn bad_signature() -> Reason {
    Reason::new(
        "signature_invalid",
        "请求签名无效",
        "The request signature does not verify",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "ps_9QyX3w2sKdU7bH1nV5cL0aE4rT8mJ6gZ";

    fn parts(body: &[u8]) -> SignedParts<'_> {
        SignedParts {
            method: "POST",
            path: "/api/platform/completions",
            query: "",
            timestamp: "1584230400",
            nonce: "3f9c1a7e5b2d4f60",
            body,
        }
    }

    /// The worked example in the README: a platform engineer checks their code against it.
    #[test]
    fn the_readme_example_signs_as_documented() {
        let example = parts(br#"{"records":[]}"#);
        assert_eq!(
            example.string_to_sign(),
            "POST\n/api/platform/completions\n\n1584230400\n3f9c1a7e5b2d4f60\n\
             1b8b4c0b6f6ad1d32565952720bc004eeb1f188f62045e4d5525ae2af8c78432"
        );
        let signature = example.sign(SECRET);
        assert_eq!(signature, README_SIGNATURE);
        assert!(example.verify(SECRET, &signature, 1584230400).is_ok());
    }

    const README_SIGNATURE: &str =
        "79891a9338e642232f56dc96a381c2fcd80e47c0c522669e8a4cc39ba275e27f";

    #[test]
    fn tampering_staleness_and_bad_nonces_fail() {
        let good = parts(b"{}");
        let signature = good.sign(SECRET);
        assert!(good.verify(SECRET, &signature, 1584230400 + 300).is_ok());
        assert_eq!(
            good.verify(SECRET, &signature, 1584230400 + 301)
                .unwrap_err()
                .code,
            "timestamp_out_of_window"
        );
        assert_eq!(
            good.verify(SECRET, &signature, 1584230400 - 301)
                .unwrap_err()
                .code,
            "timestamp_out_of_window"
        );
        let tampered = parts(b"{ }");
        assert_eq!(
            tampered
                .verify(SECRET, &signature, 1584230400)
                .unwrap_err()
                .code,
            "signature_invalid"
        );
        assert_eq!(
            good.verify("other", &signature, 1584230400)
                .unwrap_err()
                .code,
            "signature_invalid"
        );
        assert_eq!(
            good.verify(SECRET, "zz", 1584230400).unwrap_err().code,
            "signature_invalid"
        );
        let short_nonce = SignedParts {
            nonce: "abc",
            ..parts(b"{}")
        };
        assert_eq!(
            short_nonce
                .verify(SECRET, &signature, 1584230400)
                .unwrap_err()
                .code,
            "nonce_invalid"
        );
        let bad_time = SignedParts {
            timestamp: "soon",
            ..parts(b"{}")
        };
        assert_eq!(
            bad_time
                .verify(SECRET, &signature, 1584230400)
                .unwrap_err()
                .code,
            "timestamp_invalid"
        );
    }
}
