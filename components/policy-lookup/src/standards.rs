//! The county's training-subsidy standards per occupation and level.

use county_api::{ApiError, ApiRequest, Context, json_revision, public_table};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    Change, DecimalText, OccupationCode, Reason, SkillLevel, StandardsTable,
    auth::Role,
    standards::{StandardInput, SubsidyStandard},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replacement {
    standards: Vec<StandardInput>,
}

/// One standard, its occupation and level named by the path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StandardValue {
    #[serde(default)]
    occupation_name: Option<String>,
    standard: DecimalText,
    /// The first assessment day it applies to (`YYYY-MM-DD`); by default today when the
    /// occupation and level have a standard already, else every day.
    #[serde(default)]
    valid_from: Option<String>,
}

#[derive(Serialize)]
struct Listing<'a> {
    revision: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed: Option<&'a Change>,
    standards: Vec<&'a SubsidyStandard>,
}

pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let occupation = request.query_param("occupation");
    let prefix_ok = occupation
        .as_deref()
        .is_none_or(|p| p.len() <= 13 && p.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
    let mut problems = Vec::new();
    if !prefix_ok {
        problems.push(
            Reason::new(
                "invalid_occupation_code",
                "occupation 参数应为职业编码或其开头部分，如 4-03",
                "The occupation parameter is an occupation code or its beginning, e.g. 4-03",
            )
            .at("occupation"),
        );
    }
    let level = match request
        .query_param("level")
        .as_deref()
        .map(SkillLevel::parse)
    {
        None => None,
        Some(Ok(level)) => Some(level),
        Some(Err(reason)) => {
            problems.push(reason.at("level"));
            None
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let table = ctx.store()?.table::<StandardsTable>()?;
    let listing = Listing {
        revision: table.revision,
        changed: table.changed.as_ref(),
        standards: table.filtered(occupation.as_deref(), level),
    };
    Ok(public_table(request, ctx, &listing, table.revision))
}

pub fn replace(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let replacement: Replacement = request.json()?;
    let change = ctx.change_by(&admin.sub);
    let entries = StandardsTable::parse_list(replacement.standards, &change)?;
    save(request, ctx, |current| {
        Ok(current.replaced(entries.clone(), &change))
    })
}

/// Applies an admin's change to the table under compare-and-swap, honouring `If-Match`.
fn save(
    request: &ApiRequest,
    ctx: &Context,
    mut change: impl FnMut(StandardsTable) -> Result<StandardsTable, ApiError>,
) -> Result<Response, ApiError> {
    let table = ctx.store()?.update_table::<StandardsTable>(|current| {
        request.check_revision(current.revision)?;
        change(current)
    })?;
    Ok(json_revision(200, &table, table.revision))
}

pub fn put_one(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let occupation = request.param("occupation");
    let level = request.param("level");
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let value: StandardValue = request.json()?;
    let input = StandardInput {
        occupation: occupation.to_owned(),
        occupation_name: value.occupation_name,
        level: level.to_owned(),
        standard: value.standard,
        valid_from: value.valid_from,
    };
    let change = ctx.change_by(&admin.sub);
    let standard = SubsidyStandard::parse_one(input, &change)?;
    let today = subsidy_rules::dates::china_day(ctx.now);
    save(request, ctx, |current| {
        Ok(current.with_standard(standard.clone(), today, &change))
    })
}

pub fn remove(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let occupation = request.param("occupation");
    let level = request.param("level");
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let occupation = OccupationCode::parse(occupation).map_err(|r| r.at("occupation"));
    let level = SkillLevel::parse(level).map_err(|r| r.at("level"));
    let (occupation, level) = match (occupation, level) {
        (Ok(o), Ok(l)) => (o, l),
        (o, l) => {
            return Err(ApiError::invalid(
                o.err().into_iter().chain(l.err()).collect(),
            ));
        }
    };
    let change = ctx.change_by(&admin.sub);
    save(request, ctx, |current| {
        current
            .without(&occupation, level, &change)
            .ok_or_else(ApiError::not_found)
    })
}
