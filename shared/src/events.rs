//! The event feeds (issue 28): what each party reads, in order, to learn what changed without
//! asking about each object again. A platform's feed says its records were claimed, released,
//! voided or held, and its invoices issued, approved, paid, cancelled or recovered; a
//! trainee's says their records were reported, corrected, voided or offered to them
//! (政策找人), and each transition of their claims (paid, returned, recovered included).
//!
//! **Exactly when its change is.** An event is announced by the write that makes its change:
//! the changed document carries the event's mark (`feed_marks`, "t12" for slot 12 of a
//! trainee's feed), and the feed's slot names the document. A slot whose document carries no
//! mark is a change that has not landed (yet): readers wait for it for `FEED_SETTLE_SECONDS`,
//! then pass it by; a writer never lands a mark it took more than `FEED_WRITER_SECONDS` ago.
//! Which changes are announced, and as what, is decided here, from the document before and
//! after the change.

use serde::{Deserialize, Serialize};

use crate::{
    ClaimStatus, PersonKey, PlatformId,
    auth::Role,
    claim::Claim,
    completion::{CompletionRecord, RecordState},
    invoice::{Invoice, InvoiceState},
};

/// How long a reader waits for a slot whose change has not landed before it passes it by.
pub const FEED_SETTLE_SECONDS: i64 = 60;

/// How long a writer may hold a slot before landing its change: past it, it takes a new one,
/// so that no mark lands on a slot a reader may already have passed.
pub const FEED_WRITER_SECONDS: i64 = 30;

/// Events a page of a feed holds at most, and by default.
pub const FEED_PAGE_MAX: u64 = 100;
pub const FEED_PAGE_DEFAULT: u64 = 50;

/// Whose feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    Trainee(PersonKey),
    Platform(PlatformId),
}

impl Feed {
    /// The mark a document carries for slot `n` of this feed.
    pub fn mark(&self, n: u64) -> String {
        match self {
            Feed::Trainee(_) => format!("t{n}"),
            Feed::Platform(_) => format!("p{n}"),
        }
    }
}

/// One event a change announces: to whom, its type, and the object as it now is, as that
/// party sees it (JSON text, serialized once by the writer).
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement {
    pub feed: Feed,
    pub kind: String,
    pub object: String,
}

impl Announcement {
    /// One announcement of each kind to `feed`, all showing the same object.
    pub fn each(feed: &Feed, kinds: &[&str], object: &str) -> Vec<Announcement> {
        (kinds.iter())
            .map(|kind| Announcement {
                feed: feed.clone(),
                kind: (*kind).to_owned(),
                object: object.to_owned(),
            })
            .collect()
    }
}

/// A feed's slot as stored: the event, and the key of the document whose mark confirms it.
/// `void`: a slot its writer took and did not use (a retried change announced less).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    #[serde(rename = "type")]
    pub kind: String,
    /// When it was written (Unix seconds).
    pub at: i64,
    pub key: String,
    pub object: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub void: bool,
}

/// What a reader makes of a slot (`settle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Its change landed: an event.
    Event,
    /// Never an event: void, or its change did not land in time.
    Passed,
    /// Its change may still land: the page stops before it.
    Pending,
}

/// What a slot is, given its entry (none: taken, not written), whether its document carries
/// its mark, and when a reader first found it taken and not written (`seen_absent`, written
/// down by that reader: the slot was taken before then, so its writer's time was up
/// `FEED_WRITER_SECONDS` after).
pub fn settle(
    entry: Option<&FeedEntry>,
    marked: bool,
    seen_absent: Option<i64>,
    now: i64,
) -> Settled {
    let old = |at: i64| now - at >= FEED_SETTLE_SECONDS;
    match entry {
        Some(e) if e.void => Settled::Passed,
        Some(_) if marked => Settled::Event,
        Some(e) if old(e.at) => Settled::Passed,
        None if seen_absent.is_some_and(old) => Settled::Passed,
        _ => Settled::Pending,
    }
}

fn text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("views serialize")
}

/// A claim as its trainee sees it, what they may do with it now included.
fn trainee_claim(claim: &Claim) -> String {
    text(&claim.view_for(Role::Trainee, &claim.resident_id))
}

/// Each new transition of a claim, to its trainee: `claim.<status>` (`claim.submitted` for a
/// new claim); a change with no transition they can see (a payee corrected) is
/// `claim.updated`.
pub fn of_claim(before: Option<&Claim>, after: &Claim) -> Vec<Announcement> {
    let feed = Feed::Trainee(after.person.clone());
    let seen = before.map_or(0, |b| b.transitions.len());
    let mut kinds: Vec<String> = (after.transitions.iter().skip(seen))
        .map(|t| format!("claim.{}", t.to.as_str()))
        .collect();
    if before.is_none() && kinds.is_empty() {
        kinds.push(format!("claim.{}", ClaimStatus::Submitted.as_str()));
    }
    let shown = |c: &Claim| trainee_claim(c);
    if kinds.is_empty() && before.is_some_and(|b| shown(b) != shown(after)) {
        kinds.push("claim.updated".to_owned());
    }
    if kinds.is_empty() {
        return Vec::new();
    }
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    Announcement::each(&feed, &kinds, &shown(after))
}

/// A record as its trainee sees it, in `GET /api/claims/completions` and their feed.
#[derive(Serialize)]
pub struct TraineeRecord<'a> {
    platform_id: &'a PlatformId,
    record_id: &'a str,
    occupation: &'a crate::OccupationCode,
    level: crate::SkillLevel,
    study_hours: crate::StudyHours,
    started_on: chrono::NaiveDate,
    assessed_on: chrono::NaiveDate,
    passed: bool,
    state: RecordState,
}

impl<'a> TraineeRecord<'a> {
    pub fn of(r: &'a CompletionRecord) -> TraineeRecord<'a> {
        TraineeRecord {
            platform_id: &r.platform_id,
            record_id: &r.facts.record_id,
            occupation: &r.facts.occupation,
            level: r.facts.level,
            study_hours: r.facts.study_hours,
            started_on: r.facts.started_on,
            assessed_on: r.facts.assessment.date,
            passed: r.facts.assessment.passed,
            state: r.state(),
        }
    }
}

/// A record as its platform sees it, in the API and its feed: as stored, without where the
/// store lists it, with its state. Written as the record's own JSON with `state` added, not
/// through a wrapping `#[serde(flatten)]`, which cost each component that changes records
/// about 10 KB of code.
pub fn platform_record(record: &CompletionRecord) -> String {
    // The build's marks (when, which step) are the store's business; `invoice` is shown.
    let shown = CompletionRecord {
        listed: None,
        billed_at: None,
        billed_step: None,
        feed_marks: Vec::new(),
        offered: None,
        ..record.clone()
    };
    let state = format!("\"{}\"", record.state().as_str());
    with_raw_field(text(&shown), "state", &state)
}

/// A JSON object's text with one more field, `name`, whose value is JSON text already
/// (`raw`): how a view adds to a document without serializing it a second way.
pub fn with_raw_field(mut object: String, name: &str, raw: &str) -> String {
    debug_assert!(object.ends_with('}'), "a JSON object");
    object.pop();
    if !object.ends_with('{') {
        object.push(',');
    }
    object.push_str(&format!("\"{name}\":{raw}}}"));
    object
}

/// A record's changes: to its trainee, reported, corrected and voided, and an offer of it
/// made (`offer.made`, once: the record as they see it with the offer's `key_group`; what
/// it would pay is read from their offers, judged when read); to its platform,
/// claimed (a claim bound to it), released (its claim ended), voided and held (flagged for
/// one-by-one review, and why). Billing it is not announced: its invoice is.
pub fn of_record(before: Option<&CompletionRecord>, after: &CompletionRecord) -> Vec<Announcement> {
    let mut trainee = Vec::new();
    let mut platform = Vec::new();
    match before {
        None => trainee.push("completion.reported"),
        Some(b) if b.facts != after.facts => trainee.push("completion.corrected"),
        Some(_) => {}
    }
    let was = |f: fn(&CompletionRecord) -> bool| before.is_some_and(f);
    if after.void_reason.is_some() && !was(|b| b.void_reason.is_some()) {
        trainee.push("completion.voided");
        platform.push("completion.voided");
    }
    match (before.and_then(|b| b.claim.as_ref()), &after.claim) {
        (None, Some(_)) => platform.push("completion.claimed"),
        (Some(_), None) => platform.push("completion.released"),
        (Some(a), Some(b)) if a != b => platform.push("completion.claimed"),
        _ => {}
    }
    if after.flagged.is_some() && !was(|b| b.flagged.is_some()) {
        platform.push("completion.held");
    }
    let mut out = Vec::new();
    let feed = Feed::Trainee(after.facts.trainee.person.clone());
    if !trainee.is_empty() {
        out.extend(Announcement::each(
            &feed,
            &trainee,
            &text(&TraineeRecord::of(after)),
        ));
    }
    if let (Some(group), None) = (after.offered, before.and_then(|b| b.offered)) {
        let group = text(&group);
        let offer = with_raw_field(text(&TraineeRecord::of(after)), "key_group", &group);
        out.extend(Announcement::each(&feed, &["offer.made"], &offer));
    }
    if !platform.is_empty() {
        let feed = Feed::Platform(after.platform_id.clone());
        out.extend(Announcement::each(
            &feed,
            &platform,
            &platform_record(after),
        ));
    }
    out
}

/// An invoice's changes, to its platform: each new transition but into building
/// (`invoice.issued`, `.approved`, `.paid`, `.cancelled`), a line's recovery started
/// (`invoice.recovery_started`) and a line's money recovered (`invoice.recovered`). The
/// store shows the invoice with them as it stores it, lines apart.
pub fn of_invoice(before: Option<&Invoice>, after: &Invoice) -> Vec<String> {
    let seen = before.map_or(0, |b| b.transitions.len());
    let mut kinds: Vec<String> = (after.transitions.iter().skip(seen))
        .filter(|t| t.to != InvoiceState::Building)
        .map(|t| format!("invoice.{}", t.to.as_str()))
        .collect();
    let recoveries = |i: Option<&Invoice>| i.map_or(0, |i| i.recoveries.len());
    let recovered = |i: Option<&Invoice>| {
        i.map_or(0, |i| {
            (i.recoveries.iter())
                .filter(|r| r.recovered.is_some())
                .count()
        })
    };
    for _ in recoveries(before)..recoveries(Some(after)) {
        kinds.push("invoice.recovery_started".to_owned());
    }
    for _ in recovered(before)..recovered(Some(after)) {
        kinds.push("invoice.recovered".to_owned());
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PersonGroup;

    fn entry(at: i64, void: bool) -> FeedEntry {
        FeedEntry {
            kind: "claim.approved".into(),
            at,
            key: "k".into(),
            object: "{}".into(),
            void,
        }
    }

    #[test]
    fn a_slot_is_an_event_exactly_when_its_document_carries_its_mark() {
        let now = 1_000;
        assert_eq!(
            settle(Some(&entry(now, false)), true, None, now),
            Settled::Event
        );
        // Marked long after: still the event (the writer landed it within its time).
        assert_eq!(
            settle(Some(&entry(0, false)), true, None, now),
            Settled::Event
        );
        // Not marked yet: waited for, then passed by.
        assert_eq!(
            settle(Some(&entry(now - 59, false)), false, None, now),
            Settled::Pending
        );
        assert_eq!(
            settle(Some(&entry(now - 60, false)), false, None, now),
            Settled::Passed
        );
        assert_eq!(
            settle(Some(&entry(now, true)), false, None, now),
            Settled::Passed
        );
    }

    #[test]
    fn a_slot_taken_and_never_written_is_passed_a_while_after_a_reader_first_found_it() {
        let now = 1_000;
        assert_eq!(settle(None, false, None, now), Settled::Pending);
        assert_eq!(settle(None, false, Some(now - 10), now), Settled::Pending);
        assert_eq!(settle(None, false, Some(now - 60), now), Settled::Passed);
    }

    #[test]
    fn a_field_added_to_a_json_object_reads_back() {
        let one = with_raw_field("{}".into(), "a", "[1]");
        let two = with_raw_field(one.clone(), "b", r#""x""#);
        let value: serde_json::Value = serde_json::from_str(&two).unwrap();
        assert_eq!(value, serde_json::json!({"a": [1], "b": "x"}));
    }

    #[test]
    fn an_offer_is_announced_to_its_trainee_once_and_never_to_its_platform() {
        use crate::completion::tests::record;
        let kinds = |before: Option<&CompletionRecord>, after: &CompletionRecord| {
            (of_record(before, after).into_iter())
                .map(|a| (a.feed.mark(1).starts_with('t'), a.kind))
                .collect::<Vec<_>>()
        };
        let reported = record("r1");
        let group = Some(PersonGroup::PoorLaborer);
        let offered = reported.clone().offered_for(group);
        assert_eq!(
            kinds(None, &offered),
            [
                (true, "completion.reported".into()),
                (true, "offer.made".into())
            ]
        );
        let made = of_record(Some(&reported), &offered);
        let object: serde_json::Value = serde_json::from_str(&made[0].object).unwrap();
        assert_eq!(
            (&object["record_id"], &object["key_group"]),
            (&serde_json::json!("r1"), &serde_json::json!("poor_laborer"))
        );
        // Once: a record offered is not offered again, for another group or after a change.
        let again = offered
            .clone()
            .offered_for(Some(PersonGroup::MigrantWorker));
        assert_eq!(again.offered, group);
        assert!(kinds(Some(&offered), &again).is_empty());
        // Nor is a claimed, voided or failed record offered.
        let claimed = CompletionRecord {
            claim: Some("c1".into()),
            ..reported.clone()
        };
        assert_eq!(claimed.offered_for(group).offered, None);
        let void = CompletionRecord {
            void_reason: Some("重复".into()),
            ..reported.clone()
        };
        assert_eq!(void.offered_for(group).offered, None);
        // The platform's view does not say its trainee is in a key group's registry.
        assert!(!platform_record(&offered).contains("offered"));
    }

    #[test]
    fn a_writer_lands_no_mark_a_reader_may_have_passed() {
        const { assert!(FEED_WRITER_SECONDS < FEED_SETTLE_SECONDS) };
    }
}
