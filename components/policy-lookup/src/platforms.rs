//! The register of approved online training platforms.

use county_api::{ApiError, ApiRequest, Context, json_revision, public_table};
use serde::Deserialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    PlatformId, PlatformRegister, Reason,
    auth::Role,
    platforms::{Platform, PlatformInput},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replacement {
    platforms: Vec<PlatformInput>,
}

/// The register as in force today (China Standard Time), with each platform's status
/// periods and what is scheduled.
pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let register = ctx.store()?.table::<PlatformRegister>()?;
    let shown = register.as_of(subsidy_rules::dates::china_day(ctx.now));
    Ok(public_table(request, ctx, &shown, register.revision))
}

pub fn replace(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let replacement: Replacement = request.json()?;
    let change = ctx.change_by(&admin.sub);
    let platforms = PlatformRegister::parse_list(replacement.platforms, &change)?;
    let today = subsidy_rules::dates::china_day(ctx.now);
    save(request, ctx, |current| {
        (current.replaced(platforms.clone(), today, &change)).map_err(ApiError::invalid)
    })
}

/// Applies an admin's change to the register under compare-and-swap, honouring `If-Match`.
fn save(
    request: &ApiRequest,
    ctx: &Context,
    mut change: impl FnMut(PlatformRegister) -> Result<PlatformRegister, ApiError>,
) -> Result<Response, ApiError> {
    let register = ctx.store()?.update_table::<PlatformRegister>(|current| {
        request.check_revision(current.revision)?;
        change(current)
    })?;
    let shown = register.as_of(subsidy_rules::dates::china_day(ctx.now));
    Ok(json_revision(200, &shown, register.revision))
}

pub fn put_one(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.param("id");
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let id = PlatformId::parse(id).map_err(|r| ApiError::invalid(vec![r.at("id")]))?;
    let mut input: PlatformInput = request.json()?;
    if input.id.is_empty() {
        input.id = id.to_string();
    } else if input.id != id.as_str() {
        return Err(ApiError::invalid(vec![
            Reason::new(
                "id_mismatch",
                "请求体中的平台编号与地址中的不一致",
                "The platform id in the body differs from the one in the path",
            )
            .at("id"),
        ]));
    }
    let change = ctx.change_by(&admin.sub);
    let platform = Platform::parse_one(input, &change)?;
    let today = subsidy_rules::dates::china_day(ctx.now);
    save(request, ctx, |current| {
        (current.with_platform(platform.clone(), today, &change))
            .map_err(|r| ApiError::invalid(vec![r]))
    })
}
