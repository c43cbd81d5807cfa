//! The county's training-subsidy standards per occupation and level.

use county_api::{ApiError, ApiRequest, Context, json_revision, public_table};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Change, Course, DecimalText, Reason, SkillLevel, StandardsTable,
    auth::Role,
    bounded_text,
    dates::{china_day, parse_day},
    field, optional_field,
    standards::{StandardEnd, StandardInput, SubsidyStandard, course_occupation},
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
    /// The first assessment day it applies to (`YYYY-MM-DD`); by default today.
    #[serde(default)]
    valid_from: Option<String>,
    /// Why, for a correction back-dated over days that had another standard.
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Serialize)]
struct Listing<'a> {
    revision: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed: Option<&'a Change>,
    /// Every period ever set (none is removed), of the occupations and levels asked for.
    standards: Vec<&'a SubsidyStandard>,
    /// Those in force today (China Standard Time).
    in_force: Vec<&'a SubsidyStandard>,
    /// Those starting after today.
    scheduled: Vec<&'a SubsidyStandard>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    ended: &'a [StandardEnd],
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
    let standards = table.filtered(occupation.as_deref(), level);
    let (in_force, scheduled) = table.in_force_and_scheduled(&standards, china_day(ctx.now));
    let listing = Listing {
        revision: table.revision,
        changed: table.changed.as_ref(),
        standards,
        in_force,
        scheduled,
        ended: &table.ended,
    };
    Ok(public_table(request, ctx, &listing, table.revision))
}

pub fn replace(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let replacement: Replacement = request.json()?;
    let change = ctx.change_by(&admin.sub);
    let entries = StandardsTable::parse_list(replacement.standards, &change)?;
    let today = china_day(ctx.now);
    save(request, ctx, |current| {
        (current.replaced(entries.clone(), today, &change)).map_err(ApiError::invalid)
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
        reason: value.reason,
    };
    let change = ctx.change_by(&admin.sub);
    let standard = SubsidyStandard::parse_one(input, &change)?;
    let today = china_day(ctx.now);
    save(request, ctx, |current| {
        (current.with_standard(standard.clone(), today, &change))
            .map_err(|r| ApiError::invalid(vec![r]))
    })
}

/// Ends a course's standard from `?from=` (today unless given; `?reason=` for a correction
/// back-dated over days that had it): every period before stays. 404 when none is in force
/// from that day on.
pub fn remove(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let (occupation, level, from, reason) = (
        field(
            "occupation",
            // Standards are per 职业: a 工种 code names none (and never its 职业's).
            course_occupation(request.param("occupation")),
        ),
        field("level", SkillLevel::parse(request.param("level"))),
        optional_field("from", request.query_param("from").as_deref(), parse_day),
        optional_field("reason", request.query_param("reason").as_deref(), |r| {
            bounded_text(r, 200)
        }),
    )
        .all_parsed()?;
    let course = Course::of(&occupation, level);
    let change = ctx.change_by(&admin.sub);
    let today = china_day(ctx.now);
    save(request, ctx, |current| {
        (current.ended(&course, from, reason.clone(), today, &change))
            .map_err(|r| ApiError::invalid(vec![r]))?
            .ok_or_else(ApiError::not_found)
    })
}
