//! County admins issue, rotate and revoke platforms' API credentials.

use county_api::{ApiError, ApiRequest, Context, ErrorKind, json, random_hex};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    Change, PlatformId, Reason,
    auth::Role,
    credentials::{Credential, CredentialView},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueInput {
    platform_id: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RotateInput {
    #[serde(default = "default_overlap")]
    overlap_minutes: i64,
}

fn default_overlap() -> i64 {
    60
}

/// The only response that ever carries a secret.
#[derive(Serialize)]
struct Issued<'a> {
    key_id: &'a str,
    secret: &'a str,
    platform_id: &'a PlatformId,
    issued: &'a Change,
    note_zh: &'static str,
    note_en: &'static str,
}

fn new_credential(platform_id: PlatformId, change: Change) -> Result<Credential, ApiError> {
    Ok(Credential {
        key_id: format!("pk_{}", random_hex(8)?),
        platform_id,
        secret: format!("ps_{}", random_hex(32)?),
        issued: change,
        expires_at: None,
        replaced_by: None,
        revoked: None,
    })
}

fn issued_response(credential: &Credential) -> Response {
    json(
        201,
        &Issued {
            key_id: &credential.key_id,
            secret: &credential.secret,
            platform_id: &credential.platform_id,
            issued: &credential.issued,
            note_zh: "密钥只显示这一次，请妥善保存",
            note_en: "The secret is shown this once only; store it safely",
        },
    )
}

/// Registers an approved platform for the API by issuing it a credential.
pub fn issue(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let input: IssueInput = request.json()?;
    let platform_id = PlatformId::parse(&input.platform_id)
        .map_err(|r| ApiError::invalid(vec![r.at("platform_id")]))?;
    let register = ctx.store()?.table::<subsidy_rules::PlatformRegister>()?;
    if !register.approved_on(&platform_id, subsidy_rules::dates::china_day(ctx.now)) {
        return Err(ApiError::invalid(vec![
            subsidy_rules::platforms::platform_not_approved(&platform_id).at("platform_id"),
        ]));
    }
    let credential = new_credential(platform_id, ctx.change_by(&admin.sub))?;
    ctx.store()?.insert_credential(&credential)?;
    Ok(issued_response(&credential))
}

#[derive(Serialize)]
struct Listing<'a> {
    credentials: Vec<CredentialView<'a>>,
}

pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Admin])?;
    let named = request.query_param("platform_id").unwrap_or_default();
    let platform_id =
        PlatformId::parse(&named).map_err(|r| ApiError::invalid(vec![r.at("platform_id")]))?;
    let credentials = ctx.store()?.platform_credentials(&platform_id)?;
    let now = ctx.now_unix();
    Ok(json(
        200,
        &Listing {
            credentials: credentials.iter().map(|c| c.view(now)).collect(),
        },
    ))
}

/// A new credential for the same platform; the old one keeps working for the overlap.
pub fn rotate(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let key_id = request.key_id()?;
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let input: RotateInput = if request.body.is_empty() {
        RotateInput::default()
    } else {
        request.json()?
    };
    let change = ctx.change_by(&admin.sub);
    let old = ctx
        .store()?
        .credential(key_id)?
        .ok_or_else(ApiError::not_found)?;
    let fresh = new_credential(old.platform_id.clone(), change)?;
    let now = ctx.now_unix();
    // Validate before anything is written: a refused rotation issues nothing.
    old.rotated(&fresh.key_id, input.overlap_minutes, now)
        .map_err(rotation_refused)?;
    ctx.store()?.insert_credential(&fresh)?;
    let rotated = ctx.store()?.update_credential(key_id, |current| {
        current
            .rotated(&fresh.key_id, input.overlap_minutes, now)
            .map_err(rotation_refused)
    });
    if let Err(refusal) = rotated {
        // A concurrent rotation won: the key made here is revoked before anyone sees its
        // secret, so the old key has one live successor.
        let change = ctx.change_by(&admin.sub);
        ctx.store()?
            .update_credential(&fresh.key_id, |c| Ok(c.revoked(change.clone())))?;
        return Err(refusal);
    }
    Ok(issued_response(&fresh))
}

fn rotation_refused(reason: Reason) -> ApiError {
    match reason.code {
        "invalid_overlap" => ApiError::invalid(vec![reason]),
        _ => ApiError::new(ErrorKind::Conflict, reason),
    }
}

pub fn revoke(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let key_id = request.key_id()?;
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let change = ctx.change_by(&admin.sub);
    let revoked = ctx
        .store()?
        .update_credential(key_id, |current| Ok(current.revoked(change.clone())))?;
    Ok(json(200, &revoked.view(ctx.now_unix())))
}
