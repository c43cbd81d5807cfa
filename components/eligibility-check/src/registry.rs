//! The key-group registry: county admins upload who is known to belong to a key group;
//! admins and reviewers look a person up.

use county_api::{
    ApiError, ApiRequest, Context,
    claims::{shown_records, unbound_if_dead},
    json,
};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    PersonKey, Problems, Reason, RegistryEntry, ResidentId,
    auth::Role,
    offers::{REGISTRY_GROUPS, verified_group},
    registry::RegistryEntryInput,
};

/// The most entries one upload may carry; larger lists go in several batches.
const MAX_BATCH: usize = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Upload {
    entries: Vec<RegistryEntryInput>,
}

#[derive(Serialize)]
struct Uploaded {
    stored: usize,
    /// Offers this upload made (政策找人): records of the persons uploaded that their entry
    /// verifies, announced to them (`offer.made`). At most one per entry uploaded.
    offers_made: usize,
    /// False when that many were made and more remain: send the same batch again to make
    /// them (storing it again changes nothing).
    offers_done: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lookup {
    resident_id: String,
}

#[derive(Serialize)]
struct Found {
    resident_id: String,
    entries: Vec<RegistryEntry>,
}

/// All or nothing as far as validation goes: one bad entry refuses the batch, listing every
/// problem. Storing is per entry and idempotent, so a batch interrupted by a store failure is
/// simply sent again. Each entry stored, the person's records it verifies become offers, in
/// the same request (`make_offers`).
pub fn upload(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let upload: Upload = request.json()?;
    if upload.entries.is_empty() || upload.entries.len() > MAX_BATCH {
        return Err(ApiError::invalid(vec![
            Reason::new(
                "invalid_batch_size",
                format!("每批应有1至{MAX_BATCH}条记录"),
                format!("A batch holds 1 to {MAX_BATCH} entries"),
            )
            .at("entries"),
        ]));
    }
    let change = ctx.change_by(&admin.sub);
    let key_groups = ctx.policies()?.key_groups();
    let person_key_secret = ctx.config.person_key_secret()?;
    let mut problems = Problems::new();
    let parsed: Vec<Option<(PersonKey, RegistryEntry)>> = (upload.entries.into_iter().enumerate())
        .map(|(i, input)| {
            let parsed =
                RegistryEntry::parse(input, &format!("entries[{i}]"), &key_groups, &change);
            let (id, entry) = problems.item(parsed)?;
            Some((PersonKey::derive(person_key_secret, &id), entry))
        })
        .collect();
    problems.flag_repeats(
        &parsed,
        |(person, entry)| (person.clone(), entry.group),
        |i, _| {
            Reason::new(
                "duplicate_entry",
                "同一人员同一类别在本批中重复",
                "The same person and group appear twice in this batch",
            )
            .at(format!("entries[{i}]"))
        },
    );
    problems.finish(|| ())?;
    let parsed: Vec<(PersonKey, RegistryEntry)> = parsed.into_iter().flatten().collect();
    let (most, mut made, mut done) = (parsed.len(), 0, true);
    for (person, entry) in &parsed {
        ctx.store()?.put_registry_entry(person, entry)?;
        if done {
            let (these, all) = make_offers(ctx, person, entry, most - made)?;
            made += these;
            done = all;
        }
    }
    Ok(json(
        200,
        &Uploaded {
            stored: parsed.len(),
            offers_made: made,
            offers_done: done,
        },
    ))
}

/// The offers an entry just stored makes (政策找人): each record of the person that awaits
/// one (passed, not claimed, not offered before) on a day the entry covers, for the group the
/// registry now verifies then, announced to them with the record (`offer.made`). At most
/// `room`: how many were made, and whether every one was.
fn make_offers(
    ctx: &Context,
    person: &PersonKey,
    entry: &RegistryEntry,
    room: usize,
) -> Result<(usize, bool), ApiError> {
    let store = ctx.store()?;
    // Whether a claim still holds a record is read only for those the entry could offer.
    let candidates: Vec<_> = (store.person_completions(person)?.into_iter())
        .filter(|r| r.offerable() && entry.covers(r.facts.assessment.date))
        .collect();
    let records = shown_records(ctx, candidates)?;
    let waiting: Vec<_> = records.iter().filter(|r| r.awaits_offer()).collect();
    if waiting.is_empty() {
        return Ok((0, true));
    }
    let registry = store.registry_entries(person, &REGISTRY_GROUPS)?;
    let mut made = 0;
    for record in waiting {
        let day = record.facts.assessment.date;
        let Some(group) = verified_group(ctx.policies_for(&[day])?.current(day), &registry, day)
        else {
            continue;
        };
        if made == room {
            return Ok((made, false));
        }
        let (platform, id) = (&record.platform_id, &record.facts.record_id);
        let stored = store.update_completion(platform, id, |current| {
            Ok(unbound_if_dead(ctx, current)?.offered_for(Some(group)))
        })?;
        made += usize::from(stored.offered.is_some());
    }
    Ok((made, true))
}

/// A POST so the resident ID travels in the body, not in URLs that proxies log.
pub fn lookup(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Admin, Role::Reviewer])?;
    let lookup: Lookup = request.json()?;
    let id = ResidentId::parse(&lookup.resident_id)
        .map_err(|r| ApiError::invalid(vec![r.at("resident_id")]))?;
    let person = ctx.person(&id)?;
    let entries = ctx
        .store()?
        .registry_entries(&person, &ctx.policies()?.key_groups())?;
    Ok(json(
        200,
        &Found {
            resident_id: id.masked(),
            entries,
        },
    ))
}
