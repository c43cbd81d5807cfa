//! HTTP caching as the web does it (RFC 9111; RFC 9110 §8.8.3 and §13.1.2). The policy and the
//! county's public tables read the same for every anonymous caller and change a few times a
//! year: any cache may keep them for a minute (`shared`). Everything else is either personal
//! or an operator's view and is never stored anywhere (`Cache-Control: private, no-store`,
//! the default at the edge). Every GET answer with an entity tag answers `304 Not Modified` to
//! an `If-None-Match` naming it, so a client that kept it gets headers, not the body again.

use sha2::{Digest, Sha256};
use spin_sdk::http::Response;

use crate::ApiRequest;

/// How long a cache may serve a public read without asking again: a table change (a new
/// standard, a platform suspended) reaches every reader within a minute, while a county's
/// mini-program traffic on the policy pages costs the store one read a minute per cache.
pub const PUBLIC_MAX_AGE_SECONDS: u32 = 60;

/// What the edge says of an answer no route marked: nothing of it may be kept.
const NOT_STORED: &str = "private, no-store";

/// A GET answer that any cache may keep for `PUBLIC_MAX_AGE_SECONDS`, when asked without
/// credentials; asked with them (an operator at the console, who may just have changed what
/// it shows), kept nowhere, as every other answer. Its tag names its bytes, so that two
/// representations (an operator's view of a table names who changed it; the public one does
/// not) never share one. A table's revision stays the tag's first part, which `If-Match` reads.
pub fn shared(request: &ApiRequest, mut response: Response) -> Response {
    let revision = response
        .header("etag")
        .and_then(|tag| tag.as_str())
        .map(|tag| tag.trim_matches('"').to_owned());
    let tag = content_tag(response.body(), revision.as_deref());
    response.set_header("etag", tag);
    if request.header("authorization").is_some() {
        return response;
    }
    response.set_header(
        "cache-control",
        format!("public, max-age={PUBLIC_MAX_AGE_SECONDS}"),
    );
    // An operator's request for the same URL gets another representation, never stored.
    response.set_header("vary", "Authorization");
    response
}

/// A strong entity tag naming exactly `body`: `"<revision>-<hash>"`, or `"<hash>"`.
pub fn content_tag(body: &[u8], revision: Option<&str>) -> String {
    let hash = hex::encode(&Sha256::digest(body)[..8]);
    match revision {
        Some(revision) => format!("\"{revision}-{hash}\""),
        None => format!("\"{hash}\""),
    }
}

/// The edge's last word on every answer: `private, no-store` where the route said nothing;
/// for a GET or HEAD answered 200 with a tag that `if_none_match` names, 304 with the 200's
/// headers and no body.
pub fn finish(method: &str, if_none_match: Option<&str>, mut response: Response) -> Response {
    if response.header("cache-control").is_none() {
        response.set_header("cache-control", NOT_STORED);
    }
    let tag = response.header("etag").and_then(|t| t.as_str());
    let unchanged = matches!(method, "GET" | "HEAD")
        && *response.status() == 200
        && tag.zip(if_none_match).is_some_and(|(t, n)| names(n, t));
    if !unchanged {
        return response;
    }
    // A 304 carries what a 200 would have for caching (RFC 9110 §15.4.5): its tag, its
    // Cache-Control and its Vary; no body, nor anything about one.
    let mut not_modified = Response::builder();
    not_modified.status(304);
    for name in ["etag", "cache-control", "vary"] {
        if let Some(value) = response.header(name).and_then(|v| v.as_str()) {
            not_modified.header(name, value);
        }
    }
    not_modified.build()
}

/// Whether an `If-None-Match` value names `tag`: `*`, or a list of tags compared weakly
/// (RFC 9110 §13.1.2: `W/"x"` matches `"x"`).
fn names(if_none_match: &str, tag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let tag = opaque(tag);
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_named_by_itself_its_weak_form_a_list_and_a_star() {
        let tag = "\"3-00aa11bb22cc33dd\"";
        assert!(names(tag, tag));
        assert!(names("W/\"3-00aa11bb22cc33dd\"", tag));
        assert!(names("\"2-ffff\", \"3-00aa11bb22cc33dd\"", tag));
        assert!(names("*", tag));
        assert!(!names("\"3\"", tag));
        assert!(!names("\"3-00aa11bb22cc33de\"", tag));
    }

    #[test]
    fn a_tag_changes_with_every_byte_and_keeps_the_revision_first() {
        let a = content_tag(b"{\"rows\":[]}", Some("3"));
        let b = content_tag(b"{\"rows\":[1]}", Some("3"));
        assert!(a.starts_with("\"3-") && b.starts_with("\"3-"));
        assert_ne!(a, b);
        assert_eq!(content_tag(b"x", None).len(), 18);
    }
}
