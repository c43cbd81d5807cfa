//! Reconcile: finds, from the journal, what requests killed midway left half done, and sets
//! it right. Every step is safe beside live traffic and safe to repeat: records are changed
//! under compare-and-swap, and nothing is judged abandoned before the request that journaled
//! it has certainly ended.
//!
//! Invoice builds repair their own platform and month at their start (`interrupted_builds`);
//! reconcile runs the same repair for every build the journal names.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use subsidy_rules::{
    Course, PersonKey, PlatformId,
    completion::CompletionRecord,
    invoice::{Invoice, RECORDS_PER_STEP, course_hold_abandoned},
    journal::JournalEntry,
};

use crate::{ApiError, Context};

/// One thing found half done, and whether this run set it right.
#[derive(Debug, Serialize)]
pub struct Found {
    #[serde(flatten)]
    pub finding: Finding,
    pub repaired: bool,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// A record still carries a claim that was withdrawn or rejected, or never stored (named
    /// by a submission an earlier version journaled): shown unclaimed, and released here.
    RecordHeldByDeadClaim {
        platform_id: PlatformId,
        record_id: String,
        claim_id: String,
    },
    /// A record marked by an invoice build that died before writing its invoice.
    RecordBilledByMissingInvoice {
        platform_id: PlatformId,
        record_id: String,
        invoice: String,
    },
    /// A record marked by a step of an invoice's build that died before it was committed.
    RecordMarkedByDeadBuildStep {
        platform_id: PlatformId,
        record_id: String,
        invoice: String,
    },
    /// A record still marked by an invoice that was cancelled (the cancel was cut short).
    RecordBilledByCancelledInvoice {
        platform_id: PlatformId,
        record_id: String,
        invoice: String,
    },
    /// A trainee's course taken for billing by a build that died before marking any record.
    CourseHeldWithoutInvoice {
        platform_id: PlatformId,
        record_id: String,
    },
    /// A counter of the province report differs from its month's claims: a request died
    /// between changing a claim and moving the report with it.
    ReportMiscounted {
        month: String,
        #[serde(flatten)]
        difference: subsidy_rules::report::Difference,
    },
}

/// One page of a reconcile run: the journal first, then the report, month by month.
#[derive(Debug, Serialize)]
pub struct Page {
    pub repair: bool,
    pub after: u64,
    /// Pass as `after` to continue; the run is complete when `done`.
    pub next_after: u64,
    /// Pass back as `records_after`: where the check of an invoice build's month stopped (a
    /// request reads `RECORDS_PER_STEP` records of build months in all); 0 when none did.
    pub next_records_after: u64,
    /// Pass back as `report_month`: the month of the report the run checks next (the journal
    /// done); none before, and once the run is done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_report_month: Option<String>,
    pub done: bool,
    pub entries_checked: usize,
    /// Entries of requests that may still be running, not checked: run again later.
    pub entries_in_flight: usize,
    pub findings: Vec<Found>,
}

/// Checks the journal's slots after `after`, at most `limit`; with `repair`, sets right what it
/// finds. Entries of requests that may still be running are skipped: they are not half done.
/// Invoice builds' months are checked `RECORDS_PER_STEP` records a request in all: where one
/// stops inside a month, the next starts again at its build's entry, after `records_after` of
/// the month's records.
pub fn page(
    ctx: &Context,
    after: u64,
    records_after: u64,
    limit: u64,
    repair: bool,
) -> Result<Page, ApiError> {
    let (entries, mut next_after, mut done) = ctx.store()?.journal_page(after, limit)?;
    let mut walk = Walk::new(ctx, repair);
    let (mut checked, mut in_flight, mut next_records_after) = (0, 0, 0);
    for (slot, entry) in &entries {
        if !entry.ended_by(walk.now) {
            in_flight += 1;
            continue;
        }
        // A build's entry whose month the last request began is counted once, there.
        let resumed = *slot == after + 1 && records_after > 0;
        let outcome = walk.entry(entry, if resumed { records_after } else { 0 })?;
        if !matches!(outcome, Step::NoAllowance) {
            checked += usize::from(!resumed);
        }
        match outcome {
            Step::Checked => {}
            // This month, and what follows, in the next request.
            Step::NoAllowance => {
                (next_after, done) = (slot - 1, false);
                break;
            }
            // The rest of the month, and the entries after this one, in the next request.
            Step::MonthUnfinished(records_next) => {
                (next_after, next_records_after, done) = (slot - 1, records_next, false);
                break;
            }
        }
    }
    // The journal done, the report follows, from its first month.
    let next_report_month = match done {
        true => ctx.policies()?.claim_months().into_iter().next(),
        false => None,
    };
    Ok(Page {
        repair,
        after,
        next_after,
        next_records_after,
        done: done && next_report_month.is_none(),
        next_report_month,
        entries_checked: checked,
        entries_in_flight: in_flight,
        findings: walk.findings,
    })
}

/// How one journal entry's check ended.
enum Step {
    Checked,
    /// The request has read all the build months' records it may: not begun.
    NoAllowance,
    /// A build's month was checked up to this slot of its records.
    MonthUnfinished(u64),
}

/// What one page of the journal has found and done so far.
struct Walk<'a> {
    ctx: &'a Context,
    repair: bool,
    now: i64,
    findings: Vec<Found>,
    /// Platforms' months this page checked: once each.
    months_checked: HashSet<(PlatformId, String)>,
    /// Records of build months this request may still read: `RECORDS_PER_STEP` in all.
    allowance: usize,
}

impl<'a> Walk<'a> {
    fn new(ctx: &'a Context, repair: bool) -> Self {
        Walk {
            ctx,
            repair,
            now: ctx.now_unix(),
            findings: Vec::new(),
            months_checked: HashSet::new(),
            allowance: RECORDS_PER_STEP,
        }
    }

    /// A journal entry whose request has ended; a build's month read from record slot `from`.
    fn entry(&mut self, entry: &JournalEntry, from: u64) -> Result<Step, ApiError> {
        match entry {
            JournalEntry::Submission {
                claim_id,
                platform_id,
                record_id,
                ..
            } => {
                let (ctx, repair) = (self.ctx, self.repair);
                let found = check_submission(ctx, claim_id, platform_id, record_id, repair)?;
                self.findings.extend(found);
                Ok(Step::Checked)
            }
            JournalEntry::InvoiceBuild {
                platform_id,
                month,
                number,
                ..
            } => self.build(platform_id, month, number, from),
        }
    }

    /// An invoice build's entry: its platform's month checked from record slot `from`, as far
    /// as the allowance goes.
    fn build(
        &mut self,
        platform_id: &PlatformId,
        month: &str,
        number: &str,
        from: u64,
    ) -> Result<Step, ApiError> {
        let ctx = self.ctx;
        // An invoice issued whole left nothing behind; one building may have.
        let issued = (ctx.store()?.invoice_header(number)?)
            .is_some_and(|s| s.invoice.bills() && s.invoice.build.is_none());
        let month_key = (platform_id.clone(), month.to_owned());
        if issued || !self.months_checked.insert(month_key) {
            return Ok(Step::Checked);
        }
        if self.allowance == 0 {
            return Ok(Step::NoAllowance);
        }
        let (mut records, records_next, month_done) =
            (ctx.store()?).completions_page(platform_id, month, from, self.allowance)?;
        // Slots read, whether or not each still held a record of the month.
        self.allowance -= (records_next.saturating_sub(from) as usize).min(self.allowance);
        let found = interrupted_builds(ctx, platform_id, &mut records, self.repair, None)?;
        self.findings.extend(found);
        Ok(match month_done {
            true => Step::Checked,
            false => Step::MonthUnfinished(records_next),
        })
    }
}

/// Claims of a month one reconcile request tallies: two store reads each.
const REPORT_STEP: u64 = 2_000;

/// One step of the report's check: `month` recounted from its claims, up to `REPORT_STEP`
/// more of them; once the month is counted, each counter that differs is a finding (with
/// `repair`, set right) and the run goes on to the next month, or is done. The counters are
/// exact when the month's claims do not change meanwhile; one that does is set right by the
/// next run.
pub fn report_page(ctx: &Context, month: &str, after: u64, repair: bool) -> Result<Page, ApiError> {
    let (_, differences) = ctx
        .store()?
        .recount_report_month(month, REPORT_STEP, repair)?;
    let months = ctx.policies()?.claim_months();
    let next_report_month = match &differences {
        None => Some(month.to_owned()),
        Some(_) => months.into_iter().find(|m| m.as_str() > month),
    };
    let findings = (differences.unwrap_or_default().into_iter())
        .map(|difference| Found {
            finding: Finding::ReportMiscounted {
                month: month.to_owned(),
                difference,
            },
            repaired: repair,
        })
        .collect();
    Ok(Page {
        repair,
        after,
        next_after: after,
        next_records_after: 0,
        done: next_report_month.is_none(),
        next_report_month,
        entries_checked: 0,
        entries_in_flight: 0,
        findings,
    })
}

/// What a submission an earlier version journaled left: a record bound to a claim that does
/// not count (never stored, or ended by a request killed before it freed the record). This
/// version journals no submission: its bindings hold nothing once their claim does not count
/// (`claims::shown_records`).
fn check_submission(
    ctx: &Context,
    claim_id: &str,
    platform_id: &PlatformId,
    record_id: &str,
    repair: bool,
) -> Result<Option<Found>, ApiError> {
    let counts = (ctx.store()?.claim(claim_id)?).is_some_and(|c| c.status.counts_toward_limits());
    let Some(record) = ctx.store()?.completion(platform_id, record_id)? else {
        return Ok(None);
    };
    if counts || record.claim.as_deref() != Some(claim_id) {
        return Ok(None);
    }
    if repair {
        ctx.store()?
            .update_completion(platform_id, record_id, |current| {
                Ok(current.released_from(claim_id))
            })?;
    }
    Ok(Some(Found {
        finding: Finding::RecordHeldByDeadClaim {
            platform_id: platform_id.clone(),
            record_id: record_id.to_owned(),
            claim_id: claim_id.to_owned(),
        },
        repaired: repair,
    }))
}

/// What invoice builds that died, and cancelled invoices, left in a platform's month: records
/// marked for an invoice that was never written, or by a step of a build that was never
/// committed (either once the grace has passed; at once for `building`, the build whose
/// lease the caller holds), or for an invoice that was cancelled; and courses taken without
/// any record marked. With `repair`, each is freed (its course given back), so the next build
/// bills it; `records` are updated to what is stored.
pub fn interrupted_builds(
    ctx: &Context,
    platform_id: &PlatformId,
    records: &mut [CompletionRecord],
    repair: bool,
    building: Option<&str>,
) -> Result<Vec<Found>, ApiError> {
    let mut findings = Vec::new();
    let mut invoices: HashMap<String, Option<Invoice>> = HashMap::new();
    let mut abandoned = HashMap::new();
    for record in records.iter_mut() {
        let Some(number) = record.invoice.clone() else {
            if record.open_for_billing() && course_abandoned(ctx, record, &mut abandoned)? {
                if repair {
                    let (person, course) = (&record.facts.trainee.person, record.facts.course());
                    ctx.store()?.reset_course(person, &course)?;
                    // Freed: the course's other records find it free.
                    abandoned.insert((person.clone(), course), false);
                }
                findings.push(Found {
                    finding: Finding::CourseHeldWithoutInvoice {
                        platform_id: platform_id.clone(),
                        record_id: record.facts.record_id.clone(),
                    },
                    repaired: repair,
                });
            }
            continue;
        };
        let invoice = match invoices.get(&number) {
            Some(invoice) => invoice,
            None => {
                let header = ctx.store()?.invoice_header(&number)?.map(|s| s.invoice);
                invoices.entry(number.clone()).or_insert(header)
            }
        };
        // The step that marked it is certainly over: ours holds the build's lease.
        let over =
            building == Some(number.as_str()) || record.billing_interrupted(false, ctx.now_unix());
        let Some(finding) = stray_mark(invoice.as_ref(), record, &number, over) else {
            continue;
        };
        findings.push(Found {
            finding,
            repaired: repair,
        });
        if repair {
            *record = (ctx.store()?).unbill_record(
                &record.platform_id,
                &record.facts.record_id,
                &number,
            )?;
        }
    }
    Ok(findings)
}

/// What is wrong with a record's mark for invoice `number` (stored as `invoice`), if anything;
/// a mark of a build still running (`over` false) is not wrong yet.
fn stray_mark(
    invoice: Option<&Invoice>,
    record: &CompletionRecord,
    number: &str,
    over: bool,
) -> Option<Finding> {
    let (platform_id, record_id, invoice_number) = (
        record.platform_id.clone(),
        record.facts.record_id.clone(),
        number.to_owned(),
    );
    match invoice {
        Some(invoice) if invoice.bills_mark(record) => None,
        Some(invoice) if !invoice.bills() => Some(Finding::RecordBilledByCancelledInvoice {
            platform_id,
            record_id,
            invoice: invoice_number,
        }),
        Some(_) if over => Some(Finding::RecordMarkedByDeadBuildStep {
            platform_id,
            record_id,
            invoice: invoice_number,
        }),
        None if over => Some(Finding::RecordBilledByMissingInvoice {
            platform_id,
            record_id,
            invoice: invoice_number,
        }),
        _ => None,
    }
}

/// Whether an open record's course is taken for billing by nobody: no record of the trainee's
/// course is marked billed and no build set out to take it within the grace. Answered once per
/// person and course (`known`): a month may hold many records of one course, each of which
/// would otherwise read all of the trainee's records again.
fn course_abandoned(
    ctx: &Context,
    record: &CompletionRecord,
    known: &mut HashMap<(PersonKey, Course), bool>,
) -> Result<bool, ApiError> {
    let (person, course) = (&record.facts.trainee.person, record.facts.course());
    if let Some(abandoned) = known.get(&(person.clone(), course.clone())) {
        return Ok(*abandoned);
    }
    let abandoned = ctx.store()?.course_billed(person, &course)? && {
        let records = ctx.store()?.person_completions(person)?;
        let marked = (records.iter())
            .filter(|r| r.facts.course() == course && r.invoice.is_some())
            .count();
        let intent = ctx.store()?.billing_intent(person, &course)?;
        course_hold_abandoned(marked, intent.as_ref(), ctx.now_unix())
    };
    known.insert((person.clone(), course), abandoned);
    Ok(abandoned)
}
