//! The HTTP edge every county component shares: one error shape, one auth check, one
//! configuration, one store layer. Components add only their routes.

mod auth;
pub mod budgets;
pub mod caching;
pub mod claims;
mod config;
mod error;
pub mod feeds;
mod judge;
pub mod reconcile;
mod request;
pub mod routes;
mod store;

use std::cell::OnceCell;

use chrono::{DateTime, Utc};
use serde::Serialize;
use spin_sdk::http::{IncomingRequest, Response};
use subsidy_rules::{
    Change, PersonKey, PlatformId, PolicyBook, PolicyVersion, Reason, ResidentId,
    auth::{Role, TokenClaims},
    policy::AddedVersions,
};

pub use auth::{Caller, Party, PlatformCaller};
pub use config::CountyConfig;
pub use error::{ApiError, ErrorKind};
pub use judge::{judge, judge_on};
pub use request::{ApiRequest, MAX_BODY_BYTES, MAX_PAGE, from_value};
pub use store::{FeedPage, HeldLease, LogPage, Opened, Store, StoredInvoice};

/// What a route has to work with. The configuration, the store and the policy versions are
/// each fetched at first use: on Spin every variable read and store open is a host call, and
/// a route pays only for what it uses.
pub struct Context {
    pub config: CountyConfig,
    pub now: DateTime<Utc>,
    store: OnceCell<Store>,
    /// The built-in versions and those the county added.
    policies: OnceCell<PolicyBook>,
    /// The built-in versions alone.
    built_in: OnceCell<PolicyBook>,
}

/// A trainee, their token verified: who they are, and the key that stands for them in the
/// store.
pub struct Trainee {
    pub resident_id: ResidentId,
    pub person: PersonKey,
}

impl Context {
    /// Every policy version: the built-in ones and those the county's admins added.
    pub fn policies(&self) -> Result<&PolicyBook, ApiError> {
        config::once(&self.policies, || {
            policy_book(&self.store()?.table::<AddedVersions>()?)
        })
    }

    /// A book that judges every one of `days` as the whole one would, read from the store
    /// only if needed: versions never overlap, so a day a built-in version covers is judged
    /// by it whatever the county added (a store read saved on the hot paths).
    pub fn policies_for(&self, days: &[chrono::NaiveDate]) -> Result<&PolicyBook, ApiError> {
        let built_in = self.built_in();
        if days.iter().all(|day| built_in.in_force_on(*day).is_some()) {
            return Ok(built_in);
        }
        self.policies()
    }

    /// The policy version `id`, built-in or added.
    pub fn policy_version(&self, id: &str) -> Result<Option<&PolicyVersion>, ApiError> {
        match self.built_in().get(id) {
            Some(version) => Ok(Some(version)),
            None => Ok(self.policies()?.get(id)),
        }
    }

    fn built_in(&self) -> &PolicyBook {
        self.built_in.get_or_init(PolicyBook::built_in)
    }

    /// The county's key-value store, opened at first use.
    pub fn store(&self) -> Result<&Store, ApiError> {
        config::once(&self.store, || Store::open(self.config.county()?))
    }

    pub fn now_unix(&self) -> i64 {
        self.now.timestamp()
    }

    /// The key that stands for a person in this county's store.
    pub fn person(&self, id: &ResidentId) -> Result<PersonKey, ApiError> {
        Ok(PersonKey::derive(self.config.person_key_secret()?, id))
    }

    /// A change made now by `by`, for the record of who did what when.
    pub fn change_by(&self, by: &str) -> Change {
        Change::new(by, self.now)
    }

    /// Any caller with a valid bearer token.
    pub fn require_caller(&self, request: &ApiRequest) -> Result<Caller, ApiError> {
        auth::caller(request, &self.config, self.now_unix())
    }

    /// An operator in one of `roles`.
    pub fn require_operator(
        &self,
        request: &ApiRequest,
        roles: &[Role],
    ) -> Result<TokenClaims, ApiError> {
        auth::operator(request, &self.config, self.now_unix(), roles)
    }

    /// The trainee themselves; operators act through the review endpoints instead.
    pub fn require_trainee(&self, request: &ApiRequest) -> Result<Trainee, ApiError> {
        match self.require_caller(request)? {
            Caller::Trainee(resident_id) => Ok(Trainee {
                person: self.person(&resident_id)?,
                resident_id,
            }),
            Caller::Operator(_) => Err(ApiError::forbidden(Reason::new(
                "trainees_only",
                "仅学员本人可以办理",
                "Only the trainee themselves may do this",
            ))),
        }
    }

    /// A partner platform whose signed request verifies.
    pub fn require_platform(&self, request: &ApiRequest) -> Result<PlatformCaller, ApiError> {
        auth::platform(request, self.store()?, self.now_unix())
    }

    /// A platform if the request is signed, else an operator in `roles`.
    pub fn require_party(&self, request: &ApiRequest, roles: &[Role]) -> Result<Party, ApiError> {
        auth::party(request, self, roles)
    }

    /// The platform a request acts for: a signed platform acts for itself; an operator in
    /// `operator_roles` names one with `platform_id` (`named` from the body, else the query).
    pub fn acting_platform(
        &self,
        request: &ApiRequest,
        operator_roles: &[Role],
        named: Option<&str>,
    ) -> Result<(PlatformId, Party), ApiError> {
        let party = self.require_party(request, operator_roles)?;
        let platform = match &party {
            Party::Platform(caller) => caller.platform_id.clone(),
            Party::Operator(_) => {
                let named = (named.map(str::to_owned))
                    .or_else(|| request.query_param("platform_id"))
                    .ok_or_else(|| {
                        ApiError::invalid(vec![
                            Reason::new(
                                "platform_id_required",
                                "请指定平台编号 platform_id",
                                "Name the platform with platform_id",
                            )
                            .at("platform_id"),
                        ])
                    })?;
                PlatformId::parse(&named)
                    .map_err(|r| ApiError::invalid(vec![r.at("platform_id")]))?
            }
        };
        Ok((platform, party))
    }
}

/// The built-in policy versions with those a county added (each checked when it was added).
pub fn policy_book(added: &AddedVersions) -> Result<PolicyBook, ApiError> {
    PolicyBook::built_in().with_added(added).map_err(|e| {
        ApiError::server(
            ErrorKind::Internal,
            "stored_policy_invalid",
            "本县新增的政策版本数据有误，请联系系统管理员",
            "The policy versions this county added are damaged; the log says how",
            e,
        )
    })
}

/// Runs one request through a component's route table and shapes every outcome into a
/// response. The log line holds method, path and status only: never a body, a query or a
/// token.
pub async fn serve(request: IncomingRequest, table: &[routes::Route]) -> Response {
    let mut method_and_path = String::new();
    let mut if_none_match = None;
    let response = match ApiRequest::read(request).await {
        Ok(mut request) => {
            method_and_path = format!("{} {}", request.method, request.path);
            if_none_match = request.header("if-none-match").map(str::to_owned);
            let ctx = Context {
                config: CountyConfig::default(),
                now: Utc::now(),
                store: OnceCell::new(),
                policies: OnceCell::new(),
                built_in: OnceCell::new(),
            };
            routes::dispatch(table, &mut request, &ctx)
        }
        Err(error) => Err(error),
    };
    let response = response.unwrap_or_else(ApiError::into_response);
    let method = method_and_path.split(' ').next().unwrap_or_default();
    let mut response = caching::finish(method, if_none_match.as_deref(), response);
    if method == "HEAD" {
        // The headers of the GET, without its body.
        let _ = std::mem::take(response.body_mut());
    }
    // One write: each piece `eprintln!` writes separately is a host call of its own.
    let line = format!("{method_and_path} -> {}\n", response.status());
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    response
}

/// `bytes` random bytes as hex, for ids and secrets.
pub fn random_hex(bytes: usize) -> Result<String, ApiError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| {
        ApiError::server(
            ErrorKind::Unavailable,
            "randomness_unavailable",
            "暂时无法生成随机编号，请重试",
            "No randomness is available for now; please retry",
            format_args!("no randomness: {e}"),
        )
    })?;
    Ok(hex::encode(buffer))
}

/// A JSON response.
pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
    json_text(
        status,
        serde_json::to_vec(body).expect("response bodies serialize"),
    )
}

/// A response of JSON text made already (a view spliced from stored JSON).
pub fn json_text(status: u16, body: Vec<u8>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .build()
}

/// A county table as a JSON response (`status` 200, or 201 for one created), its revision
/// the `ETag` that `If-Match` takes back. Where earlier revisions are kept is the store's
/// business: `previous` is not shown (`GET /api/policy/history` reads them back).
pub fn json_revision<T: Serialize>(status: u16, body: &T, revision: u64) -> Response {
    let mut response = json(status, &without_store_keys(body));
    response.set_header("etag", format!("\"{revision}\""));
    response
}

/// A county table's JSON without the store key of its previous revision.
pub fn without_store_keys<T: Serialize>(table: &T) -> serde_json::Value {
    let mut value = serde_json::to_value(table).expect("response bodies serialize");
    if let Some(fields) = value.as_object_mut() {
        fields.remove("previous");
    }
    value
}

/// The formats an export is offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// A file (`?format=csv|xlsx`, or `Accept` naming one), or None for JSON (`?format=json`,
    /// the default).
    pub fn requested(request: &ApiRequest) -> Result<Option<ExportFormat>, ApiError> {
        let wants_a_file = request.header("accept").is_some_and(|a| {
            a.contains("text/csv") || a.contains(subsidy_rules::export::XLSX_TYPE)
        });
        Ok(match request.query_param("format").as_deref() {
            None | Some("json") if !wants_a_file => None,
            Some("json") => None,
            _ => Some(ExportFormat::of(request, ExportFormat::Csv).map_err(|_| {
                ApiError::invalid(vec![
                    Reason::new(
                        "invalid_format",
                        "format 应为 json、csv 或 xlsx",
                        "format is json, csv or xlsx",
                    )
                    .at("format"),
                ])
            })?),
        })
    }

    /// `?format=csv|xlsx`, else what `Accept` asks for, else `default`.
    pub fn of(request: &ApiRequest, default: ExportFormat) -> Result<ExportFormat, ApiError> {
        match request.query_param("format").as_deref() {
            Some("csv") => Ok(ExportFormat::Csv),
            Some("xlsx") => Ok(ExportFormat::Xlsx),
            Some(_) => Err(ApiError::invalid(vec![
                Reason::new(
                    "invalid_format",
                    "format 应为 csv 或 xlsx",
                    "format is csv or xlsx",
                )
                .at("format"),
            ])),
            None => Ok(match request.header("accept") {
                Some(accept) if accept.contains(subsidy_rules::export::XLSX_TYPE) => {
                    ExportFormat::Xlsx
                }
                Some(accept) if accept.contains("text/csv") => ExportFormat::Csv,
                _ => default,
            }),
        }
    }
}

/// A download of `sheet` in `format`, saved as `name` (Chinese, with its extension added) or,
/// by clients that cannot, as `fallback`.
pub fn export(
    sheet: &subsidy_rules::export::Sheet,
    format: ExportFormat,
    name: &str,
    fallback: &str,
) -> Response {
    let (body, content_type, extension) = match format {
        ExportFormat::Csv => (sheet.to_csv(), "text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => (sheet.to_xlsx(), subsidy_rules::export::XLSX_TYPE, "xlsx"),
    };
    Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header(
            "content-disposition",
            subsidy_rules::export::attachment(
                &format!("{name}.{extension}"),
                &format!("{fallback}.{extension}"),
            ),
        )
        .body(body)
        .build()
}

/// A county table for anyone who asks: operators see who changed what, never stored by a
/// cache; anyone else sees when, not who (operator account names are not public), in an
/// answer any cache may keep (`caching::shared`).
pub fn public_table<T: Serialize>(
    request: &ApiRequest,
    ctx: &Context,
    body: &T,
    revision: u64,
) -> Response {
    let everyone = [Role::Admin, Role::Reviewer, Role::Finance];
    if ctx.require_operator(request, &everyone).is_ok() {
        return json_revision(200, body, revision);
    }
    let mut value = serde_json::to_value(body).expect("response bodies serialize");
    hide_who_changed(&mut value);
    caching::shared(request, json_revision(200, &value, revision))
}

fn hide_who_changed(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match field {
                    serde_json::Value::Object(change) if name == "changed" => {
                        change.remove("by");
                    }
                    other => hide_who_changed(other),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(hide_who_changed),
        _ => {}
    }
}
