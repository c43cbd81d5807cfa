//! Reading a request: a bounded body, the headers we use, JSON into typed input.

use futures::StreamExt;
use serde::de::DeserializeOwned;
use spin_sdk::http::{IncomingRequest, Method};
use subsidy_rules::{AllParsed, Reason};

use crate::{ApiError, ErrorKind};

/// The longest page of any list.
pub const MAX_PAGE: usize = 100;

/// Bodies above this are refused with 413 before they are read whole. A registry batch of
/// the documented 1,000 entries is about 200 KB.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub query: String,
    headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// What the route's `:name` parameters captured (`routes::dispatch`).
    pub params: Vec<(&'static str, String)>,
}

/// One item of a batch as `T`: a bad item is that item's problem, not the batch's.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Reason> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        Reason::new(
            "invalid_field",
            format!("字段 {path} 不正确：{inner}"),
            format!("Field {path} is not valid: {inner}"),
        )
        .at(path)
    })
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::TooLarge,
        Reason::new(
            "body_too_large",
            format!("请求内容超过上限 {} KB", MAX_BODY_BYTES / 1024),
            format!(
                "The request body is over the limit of {} KB",
                MAX_BODY_BYTES / 1024
            ),
        ),
    )
}

/// The whole body, refused with 413 as soon as it passes `MAX_BODY_BYTES`.
async fn read_body(request: IncomingRequest) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    let mut stream = request.into_body_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::bad_request(
                "body_unreadable",
                "请求内容读取失败",
                "The request body could not be read",
            )
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl ApiRequest {
    pub async fn read(request: IncomingRequest) -> Result<ApiRequest, ApiError> {
        let method = request.method();
        let path_and_query = request.path_with_query().unwrap_or_default();
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path.to_owned(), query.to_owned()),
            None => (path_and_query, String::new()),
        };
        let headers = request.headers().entries();
        let declared = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse::<usize>().ok());
        if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        // No route reads a GET's or HEAD's body: skip the stream and its host calls.
        let body = match method {
            Method::Get | Method::Head => Vec::new(),
            _ => read_body(request).await?,
        };
        Ok(ApiRequest {
            method,
            path,
            query,
            headers,
            body,
            params: Vec::new(),
        })
    }

    /// The path segment the route's parameter `name` captured (the table guarantees it).
    pub fn param(&self, name: &str) -> &str {
        (self.params.iter())
            .find(|(n, _)| *n == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// The parameter `name` if `plausible` holds of it: anything else is not found, and never
    /// reaches a store key.
    fn plausible_param(&self, name: &str, plausible: fn(&str) -> bool) -> Result<&str, ApiError> {
        let value = self.param(name);
        match plausible(value) {
            true => Ok(value),
            false => Err(ApiError::not_found()),
        }
    }

    /// The path's `:id`, if it can be a claim's.
    pub fn claim_id(&self) -> Result<&str, ApiError> {
        self.plausible_param("id", subsidy_rules::claim::plausible_claim_id)
    }

    /// The path's `:number`, if it can be an invoice's.
    pub fn invoice_number(&self) -> Result<&str, ApiError> {
        self.plausible_param("number", subsidy_rules::invoice::plausible_invoice_number)
    }

    /// The path's `:key_id`, if it can be a platform key's.
    pub fn key_id(&self) -> Result<&str, ApiError> {
        self.plausible_param("key_id", subsidy_rules::credentials::plausible_key_id)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// A query parameter, percent-decoded; the last one wins.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .last()
    }

    /// The revision named in `If-Match` (`"3"` or `3`), for optimistic concurrency on
    /// documents whose responses carry `ETag: "<revision>"`, or the public read's
    /// `"<revision>-<hash>"` (`caching::shared`): the revision is what is compared.
    pub fn if_match(&self) -> Result<Option<u64>, ApiError> {
        let Some(value) = self.header("if-match") else {
            return Ok(None);
        };
        let tag = value.trim().trim_start_matches("W/").trim_matches('"');
        tag.split('-')
            .next()
            .unwrap_or_default()
            .parse()
            .map(Some)
            .map_err(|_| {
                ApiError::bad_request(
                    "invalid_if_match",
                    "If-Match 应为数据的修订号，如 \"3\"",
                    "If-Match must be the revision from the ETag, e.g. \"3\"",
                )
            })
    }

    /// Refuses the change with 412 when the client edited an older revision than the current.
    pub fn check_revision(&self, current: u64) -> Result<(), ApiError> {
        match self.if_match()? {
            Some(expected) if expected != current => Err(ApiError::new(
                ErrorKind::RevisionMismatch,
                Reason::new(
                    "revision_mismatch",
                    format!("数据已被他人修改（当前修订号 {current}），请刷新后重试"),
                    format!(
                        "The data changed since you read it (now revision {current}); reload and retry"
                    ),
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The reason of a body that gives only one (`{"reason"}`: a rejection, a void, a
    /// cancellation, a returned payment), at most 200 characters.
    pub fn reason(&self) -> Result<String, ApiError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ReasonOnly {
            reason: String,
        }
        let input: ReasonOnly = self.json()?;
        subsidy_rules::bounded_text(&input.reason, 200)
            .map_err(|r| ApiError::invalid(vec![r.at("reason")]))
    }

    /// The body as JSON of type `T`, unknown fields refused.
    /// A whole-number query parameter from 0 to `max`, `default` when absent.
    pub fn number_param(&self, name: &str, default: u64, max: u64) -> Result<u64, Vec<Reason>> {
        match self.query_param(name).map(|v| v.parse::<u64>()) {
            None => Ok(default),
            Some(Ok(n)) if n <= max => Ok(n),
            _ => subsidy_rules::field(
                name,
                Err(Reason::new(
                    "invalid_number",
                    format!("{name} 应为0至{max}的整数"),
                    format!("{name} is a whole number from 0 to {max}"),
                )),
            ),
        }
    }

    /// `?after=` (the slot to continue after) and `?limit=` (1 to 100, default 50) of a paged
    /// list.
    pub fn paging(&self) -> Result<(u64, usize), Vec<Reason>> {
        (
            self.number_param("after", 0, u64::MAX),
            self.limit_param(50, MAX_PAGE as u64),
        )
            .all_parsed()
    }

    /// `?limit=`: 1 to `max`, `default` when absent.
    pub fn limit_param(&self, default: u64, max: u64) -> Result<usize, Vec<Reason>> {
        match self.number_param("limit", default, max)? {
            0 => subsidy_rules::field(
                "limit",
                Err(Reason::new(
                    "invalid_number",
                    "limit 应大于0",
                    "limit is above 0",
                )),
            ),
            n => Ok(n as usize),
        }
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if let Some(kind) = self.header("content-type")
            && !kind
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        {
            return Err(ApiError::new(
                ErrorKind::UnsupportedMediaType,
                Reason::new(
                    "unsupported_media_type",
                    "请求内容类型应为 application/json",
                    "The request body must be application/json",
                ),
            ));
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "body_required",
                "缺少请求内容",
                "A JSON body is required",
            ));
        }
        // Every body of this API is an object. serde would also read a struct from a JSON
        // array of its fields in order, so that `[[]]` replaced a table with nothing.
        if self.body.trim_ascii_start().first() == Some(&b'[')
            && serde_json::from_slice::<serde::de::IgnoredAny>(&self.body).is_ok()
        {
            return Err(ApiError::new(
                ErrorKind::Invalid,
                Reason::new(
                    "body_not_object",
                    "请求内容应为 JSON 对象",
                    "The request body must be a JSON object",
                ),
            ));
        }
        let deserializer = &mut serde_json::Deserializer::from_slice(&self.body);
        serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if inner.is_data() {
                ApiError::new(
                    ErrorKind::Invalid,
                    Reason::new(
                        "invalid_field",
                        format!("字段 {path} 不正确：{inner}"),
                        format!("Field {path} is not valid: {inner}"),
                    )
                    .at(path),
                )
            } else {
                ApiError::bad_request(
                    "malformed_json",
                    format!("请求内容不是有效的 JSON：{inner}"),
                    format!("The body is not valid JSON: {inner}"),
                )
            }
        })
    }
}
