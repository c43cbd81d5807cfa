//! The one auth check: bearer tokens (see `subsidy_rules::auth`), operators' signed with one
//! secret, trainees' with another.

use subsidy_rules::{
    Reason, ResidentId,
    auth::{Role, TokenClaims, verify_token},
};

use crate::{ApiError, ApiRequest, CountyConfig};

/// Who is calling, once their token has verified.
pub enum Caller {
    Operator(TokenClaims),
    /// A trainee; the token's subject is their resident ID.
    Trainee(ResidentId),
}

fn unauthenticated(reason: Reason) -> ApiError {
    ApiError::new(401, reason)
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
        403,
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
    match verify_token(token, &config.operator_token_secret, now) {
        Ok(claims) if claims.role != Role::Trainee => return Ok(Caller::Operator(claims)),
        // An operator secret never makes a trainee: that is the identity service's job.
        Ok(_) => return Err(unauthenticated(token_role_mismatch())),
        Err(reason) if reason.code != "token_signature_invalid" => {
            return Err(unauthenticated(reason));
        }
        Err(_) => {}
    }
    let claims = verify_token(token, &config.trainee_token_secret, now).map_err(unauthenticated)?;
    if claims.role != Role::Trainee {
        return Err(unauthenticated(token_role_mismatch()));
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
