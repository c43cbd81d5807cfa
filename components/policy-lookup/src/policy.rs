//! The policy versions: every parameter, its window and source documents.

use county_api::{ApiError, Context, json};
use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::{PolicyVersion, dates::china_day, policy::PolicyWindow};

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

pub fn current(ctx: &Context) -> Result<Response, ApiError> {
    let today = china_day(ctx.now);
    let current = ctx.policies.current(today);
    Ok(json(
        200,
        &CurrentPolicy {
            county: County {
                code: ctx.config.county.as_str(),
                name: &ctx.config.county_name,
            },
            current,
            in_force_today: current.window.contains(today),
            versions: (ctx.policies.versions().iter())
                .map(|v| VersionSummary {
                    id: &v.id,
                    title_zh: &v.title_zh,
                    window: &v.window,
                })
                .collect(),
        },
    ))
}

pub fn version(ctx: &Context, id: &str) -> Result<Response, ApiError> {
    let version = ctx.policies.get(id).ok_or_else(ApiError::not_found)?;
    Ok(json(200, version))
}
