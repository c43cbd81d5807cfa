//! Platforms report completion records in batches, each record judged on its own; they list,
//! fetch and void their own records.

use county_api::{
    ApiError, ApiRequest, Context, ErrorKind,
    claims::{shown_records, unbound_if_dead},
    from_value, json, json_text,
};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Change, PersonGroup, PersonKey, PlatformId, Reason, RegistryEntry,
    auth::Role,
    completion::{
        CompletionFacts, CompletionInput, CompletionRecord, MAX_BATCH, RecordState, batch_counts,
        parse_month, parse_record_id, pattern_flag,
    },
    events::{platform_record, with_raw_field},
    field,
    offers::{REGISTRY_GROUPS, verified_group},
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

/// Records as their platform sees them (as its feed shows them too), as a JSON array.
fn views(records: &[CompletionRecord]) -> String {
    let shown: Vec<String> = records.iter().map(platform_record).collect();
    format!("[{}]", shown.join(","))
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
    // Every record parsed first: the batch's patterns are counted on the facts as parsed.
    let mut parsed = Vec::with_capacity(batch.records.len());
    for value in batch.records {
        let record_id = (value.get("record_id").and_then(|v| v.as_str())).map(str::to_owned);
        parsed.push((record_id, parse_one(ctx, value)?));
    }
    let facts: Vec<Option<&CompletionFacts>> =
        parsed.iter().map(|(_, p)| p.as_ref().ok()).collect();
    let counts = batch_counts(&facts);
    read_ahead(ctx, &caller.platform_id, &facts)?;
    let mut registries = Registries(Vec::new());
    let mut results = Vec::with_capacity(parsed.len());
    for (index, ((record_id, facts), count)) in parsed.into_iter().zip(counts).enumerate() {
        // A store failure stops the batch, answering for nothing after it. Records before it
        // are stored, and re-sending the whole batch is safe.
        let stored = facts.map_err(RecordError::Rejected).and_then(|facts| {
            let platform = &caller.platform_id;
            store_one(ctx, platform, facts, count, &change, &mut registries)
        });
        let (outcome, state, reasons) = match stored {
            Ok((outcome, state)) => (outcome, Some(state), vec![]),
            Err(RecordError::Rejected(reasons)) => (Outcome::Rejected, None, reasons),
            Err(RecordError::Store(error)) => return Err(error),
        };
        results.push(RecordResult {
            index,
            record_id,
            outcome,
            state,
            reasons,
        });
    }
    let rejected = (results.iter())
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

/// What storing each record of a batch reads, read at once; then the registry entries of the
/// trainees who passed, for their offers.
fn read_ahead(
    ctx: &Context,
    platform: &PlatformId,
    facts: &[Option<&CompletionFacts>],
) -> Result<(), ApiError> {
    let store = ctx.store()?;
    let ahead: Vec<String> = (facts.iter().flatten())
        .flat_map(|f| store.reporting_keys(platform, f))
        .collect();
    store.prefetch(&ahead);
    let mut persons: Vec<&PersonKey> = Vec::new();
    for f in facts.iter().flatten().filter(|f| f.assessment.passed) {
        if !persons.contains(&&f.trainee.person) {
            persons.push(&f.trainee.person);
        }
    }
    let registry: Vec<String> = (persons.into_iter())
        .flat_map(|p| store.registry_keys(p, &REGISTRY_GROUPS))
        .collect();
    store.prefetch(&registry);
    Ok(())
}

/// The registry entries of a batch's trainees, each person's read once.
struct Registries(Vec<(PersonKey, Vec<RegistryEntry>)>);

impl Registries {
    /// The key group a record's offer is made for (政策找人): the one the registry verifies
    /// its trainee in on its assessment day, if they passed.
    fn offer_group(
        &mut self,
        ctx: &Context,
        facts: &CompletionFacts,
    ) -> Result<Option<PersonGroup>, ApiError> {
        if !facts.assessment.passed {
            return Ok(None);
        }
        let person = &facts.trainee.person;
        let at = match self.0.iter().position(|(p, _)| p == person) {
            Some(at) => at,
            None => {
                let entries = ctx.store()?.registry_entries(person, &REGISTRY_GROUPS)?;
                self.0.push((person.clone(), entries));
                self.0.len() - 1
            }
        };
        let day = facts.assessment.date;
        let policy = ctx.policies_for(&[day])?.current(day);
        Ok(verified_group(policy, &self.0[at].1, day))
    }
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

/// One record's facts as the rules parse them, by the policy version of its day; every
/// problem of the record is its refusal. `Err` only when the store failed.
fn parse_one(
    ctx: &Context,
    value: serde_json::Value,
) -> Result<Result<CompletionFacts, Vec<Reason>>, ApiError> {
    // The book for the record's day, if it names one (a read of the county's added versions
    // saved when a built-in version covers it); the whole book otherwise.
    let day = (value.pointer("/assessment/date").and_then(|d| d.as_str()))
        .and_then(|d| subsidy_rules::dates::parse_day(d).ok());
    let book = match day {
        Some(day) => ctx.policies_for(&[day])?,
        None => ctx.policies()?,
    };
    let input: CompletionInput = match from_value(value) {
        Ok(input) => input,
        Err(reason) => return Ok(Err(vec![reason])),
    };
    let parsed = input.parse(
        ctx.config.county()?,
        ctx.config.person_key_secret()?,
        book,
        subsidy_rules::dates::china_day(ctx.now),
    );
    Ok(parsed.map(|(_, facts)| facts))
}

/// Stores one record's facts: sent again unchanged, nothing changes (a lost listing or
/// calendar entry is written again); new or corrected, it must fit its trainee's training
/// calendar with every other record on every platform (`TrainingCalendar`), is flagged when
/// its pattern is shared by `IDENTICAL_PATTERN_FLAG` records (of the batch, or of the
/// platform in all), listed, then written; offered to its trainee when the registry verifies
/// them (`offer.made`, once).
fn store_one(
    ctx: &Context,
    platform: &PlatformId,
    facts: CompletionFacts,
    batch_count: i64,
    change: &Change,
    registries: &mut Registries,
) -> Result<(Outcome, RecordState), RecordError> {
    let store = ctx.store()?;
    let existing = match store.completion(platform, &facts.record_id)? {
        Some(existing) => Some(unbound_if_dead(ctx, existing)?),
        None => None,
    };
    if let Some(existing) = &existing
        && existing.digest == facts.digest()
    {
        resend_unchanged(ctx, platform, existing)?;
        return Ok((Outcome::Unchanged, existing.state()));
    }
    if let Some(existing) = &existing {
        existing
            .check_open()
            .map_err(|r| RecordError::Rejected(vec![r]))?;
    }
    place_in_calendar(ctx, platform, &facts)?;
    if let Some(existing) = &existing
        && existing.facts.trainee.person != facts.trainee.person
    {
        // Corrected to another trainee: its hours leave the first one's calendar.
        let person = &existing.facts.trainee.person;
        store.update_calendar(person, |calendar| {
            Ok(calendar.without(platform, &facts.record_id))
        })?;
    }
    let platform_count = match &existing {
        None => store.count_pattern(platform, &facts.pattern())?,
        Some(_) => store.pattern_count(platform, &facts.pattern())?,
    };
    let flag = pattern_flag(batch_count.max(platform_count));
    let offered = match existing.as_ref().is_some_and(|e| e.offered.is_some()) {
        true => None,
        false => registries.offer_group(ctx, &facts)?,
    };
    if existing.is_none() {
        let record = CompletionRecord::new(platform.clone(), facts.clone(), change.clone())
            .flagged_as(flag.clone())
            .offered_for(offered);
        if store.create_completion(&record)? {
            return Ok((Outcome::Accepted, record.state()));
        }
    }
    let moves = existing.as_ref().is_none_or(|e| {
        e.facts.month() != facts.month() || e.facts.trainee.person != facts.trainee.person
    });
    let listed = match moves {
        true => Some(store.index_completion(platform, &facts)?),
        false => None,
    };
    write(ctx, platform, facts, (flag, offered), listed, change)
}

/// A record sent again as it is: its listing and its calendar entry written again where they
/// were lost.
fn resend_unchanged(
    ctx: &Context,
    platform: &PlatformId,
    existing: &CompletionRecord,
) -> Result<(), ApiError> {
    let store = ctx.store()?;
    if !store.completion_listed(existing)? {
        let listed = store.index_completion(platform, &existing.facts)?;
        store.update_completion(platform, &existing.facts.record_id, |current| {
            Ok(current.listed_at(Some(listed)))
        })?;
    }
    let entry = existing.calendar_entry();
    let person = &existing.facts.trainee.person;
    if existing.void_reason.is_none() && !store.calendar(person)?.holds(&entry) {
        store.update_calendar(person, |calendar| Ok(calendar.with(entry.clone())))?;
    }
    Ok(())
}

/// Puts the record's days and hours in its trainee's calendar, in place of its earlier
/// entry; refused, changing nothing, when the calendar would hold more than a day can
/// (decision: the record reported later is the one refused, whichever platform sent it).
fn place_in_calendar(
    ctx: &Context,
    platform: &PlatformId,
    facts: &CompletionFacts,
) -> Result<(), RecordError> {
    let book = ctx.policies_for(&[facts.assessment.date])?;
    let policy = (book.in_force_on(facts.assessment.date))
        .unwrap_or_else(|| book.current(facts.assessment.date));
    let per_day = policy.study_limits.max_study_hours_per_day;
    let entry = facts.calendar_entry(platform);
    let mut overfull = None;
    ctx.store()?
        .update_calendar(&facts.trainee.person, |calendar| {
            let next = calendar.with(entry.clone());
            overfull = next.overfull(per_day);
            match overfull {
                Some(_) => Ok(calendar),
                None => Ok(next),
            }
        })?;
    match overfull {
        Some(over) => Err(RecordError::Rejected(vec![over.reason()])),
        None => Ok(()),
    }
}

/// Creates or corrects the record under compare-and-swap, flagged and offered as found.
fn write(
    ctx: &Context,
    platform: &PlatformId,
    facts: CompletionFacts,
    (flag, offered): (Option<String>, Option<PersonGroup>),
    listed: Option<subsidy_rules::completion::Listed>,
    change: &Change,
) -> Result<(Outcome, RecordState), RecordError> {
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
                        .flagged_as(flag.clone())
                        .offered_for(offered),
                )
            }
            // Sent twice at once: the other send stored it.
            Some(current) if current.digest == facts.digest() => {
                outcome = Outcome::Unchanged;
                Ok(current)
            }
            Some(current) => {
                outcome = Outcome::Corrected;
                unbound_if_dead(ctx, current)?
                    .corrected(facts.clone(), change.clone())
                    .map(|c| {
                        c.listed_at(listed)
                            .flagged_as(flag.clone())
                            .offered_for(offered)
                    })
                    .map_err(|r| ApiError::new(ErrorKind::Invalid, r))
            }
        })?;
    Ok((outcome, stored.state()))
}

#[derive(Serialize)]
struct Listing<'a> {
    platform_id: &'a PlatformId,
    month: &'a str,
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
    let listing = Listing {
        platform_id: &platform_id,
        month: &month,
        next_after,
    };
    let listing = serde_json::to_string(&listing).expect("listings serialize");
    let records = views(&shown_records(ctx, records)?);
    Ok(json_text(
        200,
        with_raw_field(listing, "records", &records).into_bytes(),
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
    let shown = platform_record(&unbound_if_dead(ctx, record)?);
    Ok(json_text(200, shown.into_bytes()))
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
            unbound_if_dead(ctx, current)?
                .voided(reason.clone(), change.clone())
                .map_err(|r| ApiError::new(ErrorKind::Conflict, r))
        })?;
    // Its hours leave its trainee's calendar. Were this lost, the calendar would count them
    // still: more refused, never more paid.
    let person = &record.facts.trainee.person;
    ctx.store()?.update_calendar(person, |calendar| {
        Ok(calendar.without(&caller.platform_id, &record_id))
    })?;
    Ok(json_text(200, platform_record(&record).into_bytes()))
}
