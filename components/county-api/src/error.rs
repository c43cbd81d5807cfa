//! The one error response of every component:
//!
//! ```json
//! {"error": {"status": 422, "code": "invalid_input", "field": null,
//!            "message_zh": "…", "message_en": "…", "details": [Reason, …]}}
//! ```
//! `code`, `field` and the messages describe the whole refusal; `details` lists every
//! individual problem (each a `Reason`), so a form can mark all its fields at once.

use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::Reason;

/// What kind of refusal or failure an error is; its HTTP status follows from it, and code
/// decides by matching on it, never on numbers or codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the body is not JSON, a header is malformed.
    BadRequest,
    /// 401: no credentials, or ones that do not verify.
    Unauthenticated,
    /// 403: a valid caller whose role may not do this.
    Forbidden,
    /// 404
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 409: the thing is not in a state that allows this (a transition, a claimed record).
    Conflict,
    /// 412: `If-Match` names an older revision.
    RevisionMismatch,
    /// 413
    TooLarge,
    /// 415
    UnsupportedMediaType,
    /// 422: input that parses but breaks the rules of its fields, or a claim the rules refuse.
    Invalid,
    /// 409: others changed the same data at the same moment, again and again: retry.
    Contention,
    /// 409 with `Retry-After`: another request is doing this (or holds what it needs) now.
    InProgress,
    /// 429 with `Retry-After`: too many failed sign-ins; the account is locked for a while.
    Locked,
    /// 500: the deployment or the stored data is wrong; the cause is logged, not sent.
    Internal,
    /// 503: the store or the platform is unavailable for now.
    Unavailable,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::Conflict | ErrorKind::Contention | ErrorKind::InProgress => 409,
            ErrorKind::RevisionMismatch => 412,
            ErrorKind::TooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::Invalid => 422,
            ErrorKind::Locked => 429,
            ErrorKind::Internal => 500,
            ErrorKind::Unavailable => 503,
        }
    }

    /// The server's own trouble, not the request's: a batch stops, nothing is blamed on the
    /// item it was working on.
    pub fn is_server_side(self) -> bool {
        matches!(
            self,
            ErrorKind::Contention | ErrorKind::Internal | ErrorKind::Unavailable
        )
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub reason: Reason,
    pub details: Vec<Reason>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: u16,
    code: &'a str,
    field: Option<&'a str>,
    message_zh: &'a str,
    message_en: &'a str,
    details: &'a [Reason],
}

impl ApiError {
    pub fn new(kind: ErrorKind, reason: Reason) -> ApiError {
        ApiError {
            kind,
            details: vec![reason.clone()],
            reason,
        }
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    pub fn conflict(reason: Reason) -> ApiError {
        ApiError::new(ErrorKind::Conflict, reason)
    }

    pub fn unauthenticated(reason: Reason) -> ApiError {
        ApiError::new(ErrorKind::Unauthenticated, reason)
    }

    pub fn forbidden(reason: Reason) -> ApiError {
        ApiError::new(ErrorKind::Forbidden, reason)
    }

    /// 422 for input that parses as JSON but breaks the rules of its fields.
    pub fn invalid(details: Vec<Reason>) -> ApiError {
        match <[Reason; 1]>::try_from(details) {
            Ok([single]) => ApiError::new(ErrorKind::Invalid, single),
            Err(details) => ApiError {
                kind: ErrorKind::Invalid,
                reason: Reason::new(
                    "invalid_input",
                    format!("请求有{}处错误，详见 details", details.len()),
                    format!(
                        "The request has {} problems, listed in details",
                        details.len()
                    ),
                ),
                details,
            },
        }
    }

    pub fn bad_request(
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> ApiError {
        ApiError::new(ErrorKind::BadRequest, Reason::new(code, zh, en))
    }

    pub fn not_found() -> ApiError {
        ApiError::new(
            ErrorKind::NotFound,
            Reason::new("not_found", "请求的资源不存在", "No such resource"),
        )
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            ErrorKind::MethodNotAllowed,
            Reason::new(
                "method_not_allowed",
                "该地址不支持此请求方法",
                "This method is not allowed here",
            ),
        )
    }

    /// 503 `store_unavailable`: the key-value store failed, or a request could not finish its
    /// writes in time; `detail` goes to the log.
    pub fn store_unavailable(detail: impl std::fmt::Display) -> ApiError {
        ApiError::server(
            ErrorKind::Unavailable,
            "store_unavailable",
            "数据存储暂不可用，请稍后重试",
            "The data store is unavailable for now; please retry",
            format_args!("the key-value store failed: {detail}"),
        )
    }

    /// The server's own fault (store down, deployment misconfigured, stored data unreadable):
    /// never for client input. The cause goes to the server's log; the client gets `code` and
    /// the messages, which name nothing internal.
    pub fn server(
        kind: ErrorKind,
        code: &'static str,
        zh: &str,
        en: &str,
        cause: impl std::fmt::Display,
    ) -> ApiError {
        let line = format!("{code}: {cause}\n");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        ApiError::new(kind, Reason::new(code, zh, en))
    }

    pub fn into_response(self) -> Response {
        let status = self.status();
        let body = Body {
            error: ErrorBody {
                status,
                code: self.reason.code,
                field: self.reason.field.as_deref(),
                message_zh: &self.reason.message_zh,
                message_en: &self.reason.message_en,
                details: &self.details,
            },
        };
        let mut builder = Response::builder();
        builder
            .status(status)
            .header("content-type", "application/json; charset=utf-8");
        match self.kind {
            ErrorKind::Unauthenticated => {
                builder.header("www-authenticate", r#"Bearer realm="county""#);
            }
            // Seconds: a request in flight ends within one; a dead holder's lease in a minute.
            ErrorKind::InProgress => {
                builder.header("retry-after", "2");
            }
            // At most the lock's length; the message says until when.
            ErrorKind::Locked => {
                let lock = subsidy_rules::accounts::LOCK_SECONDS.to_string();
                builder.header("retry-after", lock);
            }
            _ => {}
        }
        builder
            .body(serde_json::to_vec(&body).expect("error bodies serialize"))
            .build()
    }
}

impl From<Vec<Reason>> for ApiError {
    fn from(details: Vec<Reason>) -> ApiError {
        ApiError::invalid(details)
    }
}
