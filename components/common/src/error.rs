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

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
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
    pub fn new(status: u16, reason: Reason) -> ApiError {
        ApiError {
            status,
            details: vec![reason.clone()],
            reason,
        }
    }

    /// 422 for input that parses as JSON but breaks the rules of its fields.
    pub fn invalid(details: Vec<Reason>) -> ApiError {
        match <[Reason; 1]>::try_from(details) {
            Ok([single]) => ApiError::new(422, single),
            Err(details) => ApiError {
                status: 422,
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
        ApiError::new(400, Reason::new(code, zh, en))
    }

    pub fn not_found() -> ApiError {
        ApiError::new(
            404,
            Reason::new("not_found", "请求的资源不存在", "No such resource"),
        )
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            Reason::new(
                "method_not_allowed",
                "该地址不支持此请求方法",
                "This method is not allowed here",
            ),
        )
    }

    /// The server's own fault (store down, deployment misconfigured): never for client input.
    pub fn server(status: u16, code: &'static str, zh: &str, en: impl Into<String>) -> ApiError {
        ApiError::new(status, Reason::new(code, zh, en))
    }

    pub fn into_response(self) -> Response {
        let body = Body {
            error: ErrorBody {
                status: self.status,
                code: self.reason.code,
                field: self.reason.field.as_deref(),
                message_zh: &self.reason.message_zh,
                message_en: &self.reason.message_en,
                details: &self.details,
            },
        };
        let mut builder = Response::builder();
        builder
            .status(self.status)
            .header("content-type", "application/json; charset=utf-8");
        if self.status == 401 {
            builder.header("www-authenticate", r#"Bearer realm="county""#);
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
