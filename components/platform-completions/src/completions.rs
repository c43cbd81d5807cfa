//! Platforms report completion records in batches, each record judged on its own; they list,
//! fetch and void their own records.

use county_api::{ApiError, ApiRequest, Context, ErrorKind, from_value, json};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Change, PlatformId, Reason,
    auth::Role,
    completion::{
        CompletionInput, CompletionRecord, MAX_BATCH, RecordState, parse_month, parse_record_id,
    },
    field,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    records: Vec<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    /// New, stored.
    Accepted,
    /// Sent before with the same content: nothing changed.
    Unchanged,
    /// Sent before with other content, and still open to correction: replaced.
    Corrected,
    Rejected,
}

#[derive(Serialize)]
struct RecordResult {
    index: usize,
    record_id: Option<String>,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<RecordState>,
    reasons: Vec<Reason>,
}

#[derive(Serialize)]
struct BatchResult {
    accepted: usize,
    rejected: usize,
    results: Vec<RecordResult>,
}

/// A record as its platform sees it: without where the store lists it.
#[derive(Serialize)]
pub struct RecordView {
    #[serde(flatten)]
    record: CompletionRecord,
    state: RecordState,
}

pub fn view(record: CompletionRecord) -> RecordView {
    RecordView {
        state: record.state(),
        record: CompletionRecord {
            listed: None,
            ..record
        },
    }
}

pub fn report(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let caller = ctx.require_platform(request)?;
    let batch: Batch = request.json()?;
    if batch.records.is_empty() || batch.records.len() > MAX_BATCH {
        return Err(ApiError::invalid(vec![
            Reason::new(
                "invalid_batch_size",
                format!("每批应有1至{MAX_BATCH}条记录"),
                format!("A batch holds 1 to {MAX_BATCH} records"),
            )
            .at("records"),
        ]));
    }
    let change = ctx.change_by(&caller.key_id);
    let flags = subsidy_rules::completion::batch_patterns(&batch.records);
    let mut results = Vec::with_capacity(batch.records.len());
    for ((index, value), flag) in batch.records.into_iter().enumerate().zip(flags) {
        // A store failure stops the batch, answering for nothing after it. Records before it
        // are stored, and re-sending the whole batch is safe.
        results.push(report_one(
            ctx,
            &caller.platform_id,
            index,
            value,
            flag,
            &change,
        )?);
    }
    let rejected = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Rejected))
        .count();
    Ok(json(
        200,
        &BatchResult {
            accepted: results.len() - rejected,
            rejected,
            results,
        },
    ))
}

/// One record of a batch, answered on its own; `Err` only when the store failed.
fn report_one(
    ctx: &Context,
    platform: &PlatformId,
    index: usize,
    value: serde_json::Value,
    flag: Option<String>,
    change: &Change,
) -> Result<RecordResult, ApiError> {
    let record_id = value
        .get("record_id")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let (outcome, state, reasons) = match store_one(ctx, platform, value, flag, change) {
        Ok((outcome, state)) => (outcome, Some(state), vec![]),
        Err(RecordError::Rejected(reasons)) => (Outcome::Rejected, None, reasons),
        Err(RecordError::Store(error)) => return Err(error),
    };
    Ok(RecordResult {
        index,
        record_id,
        outcome,
        state,
        reasons,
    })
}

enum RecordError {
    Rejected(Vec<Reason>),
    Store(ApiError),
}

impl From<ApiError> for RecordError {
    fn from(error: ApiError) -> RecordError {
        // A refusal that concerns the record itself (e.g. locked) is the record's outcome.
        if !error.kind.is_server_side() && error.kind != ErrorKind::Conflict {
            RecordError::Rejected(error.details)
        } else {
            RecordError::Store(error)
        }
    }
}

fn store_one(
    ctx: &Context,
    platform: &PlatformId,
    value: serde_json::Value,
    flag: Option<String>,
    change: &Change,
) -> Result<(Outcome, RecordState), RecordError> {
    // The book for the record's day, if it names one (a read of the county's added versions
    // saved when a built-in version covers it); the whole book otherwise.
    let day = (value.pointer("/assessment/date").and_then(|d| d.as_str()))
        .and_then(|d| subsidy_rules::dates::parse_day(d).ok());
    let book = match day {
        Some(day) => ctx.policies_for(&[day])?,
        None => ctx.policies()?,
    };
    let input: CompletionInput = from_value(value).map_err(|r| RecordError::Rejected(vec![r]))?;
    let (_, facts) = input
        .parse(
            ctx.config.county()?,
            ctx.config.person_key_secret()?,
            book,
            subsidy_rules::dates::china_day(ctx.now),
        )
        .map_err(RecordError::Rejected)?;
    let existing = ctx.store()?.completion(platform, &facts.record_id)?;
    if let Some(existing) = &existing
        && existing.digest == facts.digest()
    {
        // Sent again unchanged: list it again if its listing was lost.
        if !ctx.store()?.completion_listed(existing)? {
            let listed = ctx.store()?.index_completion(platform, &existing.facts)?;
            ctx.store()?
                .update_completion(platform, &facts.record_id, |current| {
                    Ok(current.listed_at(Some(listed)))
                })?;
        }
        return Ok((Outcome::Unchanged, existing.state()));
    }
    let moves = existing.as_ref().is_none_or(|e| {
        e.facts.month() != facts.month() || e.facts.trainee.person != facts.trainee.person
    });
    let listed = if moves {
        Some(ctx.store()?.index_completion(platform, &facts)?)
    } else {
        None
    };
    let mut outcome = Outcome::Accepted;
    let record_id = facts.record_id.clone();
    let stored = ctx
        .store()?
        .write_completion(platform, &record_id, |current| match current {
            None => {
                outcome = Outcome::Accepted;
                Ok(
                    CompletionRecord::new(platform.clone(), facts.clone(), change.clone())
                        .listed_at(listed)
                        .flagged_as(flag.clone()),
                )
            }
            // Sent twice at once: the other send stored it.
            Some(current) if current.digest == facts.digest() => {
                outcome = Outcome::Unchanged;
                Ok(current)
            }
            Some(current) => {
                outcome = Outcome::Corrected;
                current
                    .corrected(facts.clone(), change.clone())
                    .map(|corrected| corrected.listed_at(listed).flagged_as(flag.clone()))
                    .map_err(|r| ApiError::new(ErrorKind::Invalid, r))
            }
        })?;
    Ok((outcome, stored.state()))
}

#[derive(Serialize)]
struct Listing<'a> {
    platform_id: &'a PlatformId,
    month: &'a str,
    records: Vec<RecordView>,
    /// Pass as `after` for the next page; the page is the last when `records` is shorter
    /// than `limit` (a record corrected into another month leaves a page short too: keep
    /// going until a page comes back empty).
    next_after: u64,
}

const READERS: [Role; 3] = [Role::Admin, Role::Reviewer, Role::Finance];

/// A platform's records assessed in one month, in order of first report: `?month=YYYY-MM`,
/// `after` and `limit` (1 to 100, default 50) for paging.
pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let (platform_id, _) = ctx.acting_platform(request, &READERS, None)?;
    let month = request.query_param("month").unwrap_or_default();
    let (month, (after, limit)) =
        (field("month", parse_month(&month)), request.paging()).all_parsed()?;
    let (records, next_after, _) =
        ctx.store()?
            .completions_page(&platform_id, &month, after, limit)?;
    Ok(json(
        200,
        &Listing {
            platform_id: &platform_id,
            month: &month,
            records: records.into_iter().map(view).collect(),
            next_after,
        },
    ))
}

pub fn fetch(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let record_id = request.param("record_id");
    let (platform_id, _) = ctx.acting_platform(request, &READERS, None)?;
    let record_id =
        parse_record_id(record_id).map_err(|r| ApiError::invalid(vec![r.at("record_id")]))?;
    // Another platform's record is simply not found: no hint that it exists.
    let record = ctx
        .store()?
        .completion(&platform_id, &record_id)?
        .ok_or_else(ApiError::not_found)?;
    Ok(json(200, &view(record)))
}

pub fn void(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let record_id = request.param("record_id");
    let caller = ctx.require_platform(request)?;
    let reason = request.reason()?;
    let record_id =
        parse_record_id(record_id).map_err(|r| ApiError::invalid(vec![r.at("record_id")]))?;
    let change = ctx.change_by(&caller.key_id);
    let record = ctx
        .store()?
        .update_completion(&caller.platform_id, &record_id, |current| {
            current
                .voided(reason.clone(), change.clone())
                .map_err(|r| ApiError::new(ErrorKind::Conflict, r))
        })?;
    Ok(json(200, &view(record)))
}
