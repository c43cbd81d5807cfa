//! The one auth check: bearer tokens (see `subsidy_rules::auth`), operators' signed with one
//! secret, trainees' with another; partner platforms sign each request with their API secret.

use subsidy_rules::{
    PlatformId, Reason, ResidentId,
    auth::{Role, TokenClaims, TokenRefusal, claimed_role, verify_token},
    platform_auth::SignedParts,
};

use crate::{ApiError, ApiRequest, CountyConfig, ErrorKind, Store};

/// Who is calling, once their token has verified.
pub enum Caller {
    Operator(TokenClaims),
    /// A trainee; the token's subject is their resident ID.
    Trainee(ResidentId),
}

fn unauthenticated(reason: Reason) -> ApiError {
    ApiError::unauthenticated(reason)
}

fn bearer(request: &ApiRequest) -> Result<&str, ApiError> {
    let header = request.header("authorization").ok_or_else(|| {
        unauthenticated(Reason::new(
            "unauthenticated",
            "请先登录：缺少 Authorization: Bearer 凭证",
            "Sign in first: the Authorization: Bearer token is missing",
        ))
    })?;
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(token.trim()),
        _ => Err(unauthenticated(Reason::new(
            "token_malformed",
            "Authorization 头应为 Bearer 凭证",
            "The Authorization header must carry a Bearer token",
        ))),
    }
}

fn forbidden(role: Role) -> ApiError {
    ApiError::new(
        ErrorKind::Forbidden,
        Reason::new(
            "forbidden_role",
            format!("当前角色（{role:?}）无权执行此操作"),
            format!("The role {role:?} may not do this"),
        ),
    )
}

/// The caller, who must be an operator in one of `roles`.
pub fn operator(
    request: &ApiRequest,
    config: &CountyConfig,
    now: i64,
    roles: &[Role],
) -> Result<TokenClaims, ApiError> {
    match caller(request, config, now)? {
        Caller::Operator(claims) if roles.contains(&claims.role) => Ok(claims),
        Caller::Operator(claims) => Err(forbidden(claims.role)),
        Caller::Trainee(_) => Err(forbidden(Role::Trainee)),
    }
}

/// Any caller with a valid token: an operator or a trainee.
pub fn caller(request: &ApiRequest, config: &CountyConfig, now: i64) -> Result<Caller, ApiError> {
    let token = bearer(request)?;
    // Whether to try the trainees' identity service first. The issuer the token's unverified
    // role names goes first, so a valid token costs one HMAC and one secret read; the other
    // is tried only to tell a token signed by the wrong issuer from a forgery.
    let trainee_first = claimed_role(token) == Some(Role::Trainee);
    let verify = |by_trainee_issuer: bool| -> Result<Result<_, TokenRefusal>, ApiError> {
        let secret = if by_trainee_issuer {
            config.trainee_token_secret()?
        } else {
            config.operator_token_secret()?
        };
        Ok(verify_token(token, secret, now).map(|claims| (claims, by_trainee_issuer)))
    };
    let refused = |refusal: TokenRefusal| unauthenticated(refusal.reason());
    let (claims, by_trainee_issuer) = match verify(trainee_first)? {
        Err(TokenRefusal::SignatureInvalid) => verify(!trainee_first)?.map_err(refused)?,
        verified => verified.map_err(refused)?,
    };
    claims
        .check_county(config.county()?.as_str())
        .map_err(refused)?;
    if claims.outlives_every_floor() {
        claims
            .check_lifetime(config.token_lifetime_cap(claims.role)?)
            .map_err(refused)?;
    }
    // Operators' secret never makes a trainee, nor the identity service's an operator.
    if by_trainee_issuer != (claims.role == Role::Trainee) {
        return Err(unauthenticated(token_role_mismatch()));
    }
    if !by_trainee_issuer {
        return Ok(Caller::Operator(claims));
    }
    let resident_id = ResidentId::parse(&claims.sub).map_err(|_| {
        unauthenticated(Reason::new(
            "token_malformed",
            "学员登录凭证的主体不是有效的身份证号码",
            "A trainee token's subject must be a valid resident ID",
        ))
    })?;
    Ok(Caller::Trainee(resident_id))
}

fn token_role_mismatch() -> Reason {
    Reason::new(
        "token_role_mismatch",
        "登录凭证的角色与签发方不符",
        "The token's role does not match its issuer",
    )
}

/// A partner platform, its request signature verified (see `subsidy_rules::platform_auth`).
pub struct PlatformCaller {
    pub platform_id: PlatformId,
    pub key_id: String,
}

/// Whoever calls a platform endpoint: the platform itself, or a county operator.
pub enum Party {
    Platform(PlatformCaller),
    Operator(TokenClaims),
}

impl Party {
    /// Who to record as having acted: the platform's key id, or the operator's subject.
    pub fn subject(&self) -> &str {
        match self {
            Party::Platform(caller) => &caller.key_id,
            Party::Operator(claims) => &claims.sub,
        }
    }
}

fn signature_refused(reason: Reason) -> ApiError {
    ApiError::new(ErrorKind::Unauthenticated, reason)
}

/// Verifies a signed platform request: key known and usable, clock window, signature, and
/// last the nonce's single use (so that a refused request burns no nonce).
pub fn platform(request: &ApiRequest, store: &Store, now: i64) -> Result<PlatformCaller, ApiError> {
    let header = |name: &'static str| {
        request.header(name).ok_or_else(|| {
            signature_refused(Reason::new(
                "signature_missing",
                format!("缺少签名请求头 {name}"),
                format!("The signed-request header {name} is missing"),
            ))
        })
    };
    let key_id = header("x-key-id")?;
    let timestamp = header("x-timestamp")?;
    let nonce = header("x-nonce")?;
    let signature = header("x-signature")?;
    let unknown = || {
        signature_refused(Reason::new(
            "key_unknown",
            "平台密钥不存在",
            "No such API key",
        ))
    };
    if !subsidy_rules::credentials::plausible_key_id(key_id) {
        return Err(unknown());
    }
    let credential = store.credential(key_id)?.ok_or_else(unknown)?;
    credential.check_usable(now).map_err(signature_refused)?;
    let method = request.method.to_string();
    let parts = SignedParts {
        method: &method,
        path: &request.path,
        query: &request.query,
        timestamp,
        nonce,
        body: &request.body,
    };
    parts
        .verify(&credential.secret, signature, now)
        .map_err(signature_refused)?;
    check_platform_approved(store, &credential.platform_id, now)?;
    if !store.first_use_of_nonce(key_id, nonce)? {
        return Err(signature_refused(Reason::new(
            "nonce_reused",
            "该请求的 X-Nonce 已使用过（疑似重放）",
            "This X-Nonce has been used before (a replay?)",
        )));
    }
    Ok(PlatformCaller {
        platform_id: credential.platform_id,
        key_id: credential.key_id,
    })
}

/// A platform the county suspended, or left off its register, acts no more, whatever keys it
/// holds.
fn check_platform_approved(
    store: &Store,
    platform_id: &subsidy_rules::PlatformId,
    now: i64,
) -> Result<(), ApiError> {
    let register = store.table::<subsidy_rules::PlatformRegister>()?;
    let today = subsidy_rules::dates::china_day(
        chrono::DateTime::from_timestamp(now, 0).unwrap_or_default(),
    );
    if register.approved_on(platform_id, today) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorKind::Forbidden,
        Reason::new(
            "platform_suspended",
            "该平台已被暂停或不在本县平台名录中，请求不予受理",
            "This platform is suspended or not on the county's register; its requests are refused",
        ),
    ))
}

/// A platform if the request is signed (`X-Key-Id` present), else an operator in `roles`.
pub fn party(
    request: &ApiRequest,
    ctx: &crate::Context,
    roles: &[Role],
) -> Result<Party, ApiError> {
    if request.header("x-key-id").is_some() {
        platform(request, ctx.store()?, ctx.now_unix()).map(Party::Platform)
    } else {
        operator(request, &ctx.config, ctx.now_unix(), roles).map(Party::Operator)
    }
}
