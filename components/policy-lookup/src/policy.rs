//! The policy versions: every parameter, its window and source documents. County admins add
//! a version (an extension, a new rate) as data before it starts, and may withdraw it until
//! then; the versions shipped with the build never change through the API.

use county_api::{ApiError, ApiRequest, Context, caching, json, json_revision, policy_book};
use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    PolicyVersion,
    auth::Role,
    dates::china_day,
    policy::{AddedVersions, PolicyWindow},
};

#[derive(Serialize)]
struct County<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct VersionSummary<'a> {
    id: &'a str,
    title_zh: &'a str,
    window: &'a PolicyWindow,
    /// `built_in` (shipped with the app) or `county` (added by this county's admins).
    source: &'static str,
}

#[derive(Serialize)]
struct CurrentPolicy<'a> {
    county: County<'a>,
    /// The version in force today (China Standard Time), else the latest that has started.
    current: &'a PolicyVersion,
    /// Whether today falls inside the current version's window.
    in_force_today: bool,
    versions: Vec<VersionSummary<'a>>,
}

pub fn current(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let today = china_day(ctx.now);
    let added = ctx.store()?.table::<AddedVersions>()?;
    let policies = policy_book(&added)?;
    let current = policies.current(today);
    Ok(caching::shared(
        request,
        json(
            200,
            &CurrentPolicy {
                county: County {
                    code: ctx.config.county()?.as_str(),
                    name: ctx.config.county_name()?,
                },
                current,
                in_force_today: current.window.contains(today),
                versions: (policies.versions().iter())
                    .map(|v| VersionSummary {
                        id: &v.id,
                        title_zh: &v.title_zh,
                        window: &v.window,
                        source: if added.versions.iter().any(|a| a.id == v.id) {
                            "county"
                        } else {
                            "built_in"
                        },
                    })
                    .collect(),
            },
        ),
    ))
}

pub fn version(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.param("id");
    let version = ctx.policy_version(id)?.ok_or_else(ApiError::not_found)?;
    Ok(caching::shared(request, json(200, version)))
}

/// `POST /api/policy/versions` (admin; `If-Match` optional): the body is a whole version,
/// checked like the built-in ones, starting after today and overlapping none.
pub fn add(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let version: PolicyVersion = request.json()?;
    let today = china_day(ctx.now);
    let change = ctx.change_by(&admin.sub);
    let added = ctx.store()?.update_table::<AddedVersions>(|current| {
        request.check_revision(current.revision)?;
        let problems =
            policy_book(&current)?.problems_adding(&version, ctx.config.county()?, today);
        if !problems.is_empty() {
            return Err(ApiError::invalid(problems));
        }
        Ok(current.with(version.clone(), &change))
    })?;
    Ok(json_revision(201, &added, added.revision))
}

/// `DELETE /api/policy/versions/{id}` (admin): withdraws a version the county added, while it
/// has not started.
pub fn withdraw(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.param("id");
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let today = china_day(ctx.now);
    let change = ctx.change_by(&admin.sub);
    if ctx.policies()?.get(id).is_none() {
        return Err(ApiError::not_found());
    }
    let added = ctx
        .store()?
        .update_table::<AddedVersions>(|current: AddedVersions| {
            request.check_revision(current.revision)?;
            current
                .without(id, today, &change)
                .map_err(ApiError::conflict)
        })?;
    Ok(json_revision(200, &added, added.revision))
}
