//! Invoices for the platform subsidy: previewed and issued per platform and month, approved
//! and paid by the county's finance staff, exported as CSV.

use county_api::{
    ApiError, ApiRequest, Context, ErrorKind, ExportFormat, Party, Store, StoredInvoice, json,
};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Change, PersonGroup, PlatformId, PlatformRegister, Reason, StandardsTable,
    auth::Role,
    completion::{CompletionRecord, RecordState, parse_month},
    field,
    invoice::{
        Billable, BillingIntent, BuildProgress, BuildStart, HeldLine, Invoice, InvoiceLine,
        InvoicePage, InvoiceState, RECORDS_PER_STEP, already_billed, bill_line, held,
        split_by_fund,
    },
    journal::JournalEntry,
};

/// What a platform's passed, open records of a month would bill now.
struct Assessment<'a> {
    billable: Vec<Billable<'a>>,
    held: Vec<HeldLine>,
    /// The register the lines were judged against (and the invoice names the platform from).
    platforms: PlatformRegister,
}

fn assess<'a>(ctx: &Context, records: &'a [CompletionRecord]) -> Result<Assessment<'a>, ApiError> {
    let standards = ctx.store()?.table::<StandardsTable>()?;
    let key_groups: Vec<PersonGroup> = ctx.policies()?.key_groups();
    let mut assessment = Assessment {
        billable: vec![],
        held: vec![],
        platforms: ctx.store()?.table::<PlatformRegister>()?,
    };
    let store = ctx.store()?;
    store.prefetch(&store.billing_keys(records, &key_groups));
    for record in records.iter().filter(|r| r.open_for_billing()) {
        let f = &record.facts;
        let verified = key_group_verified(ctx, record, &key_groups)?;
        match bill_line(
            ctx.policies()?,
            &standards,
            &assessment.platforms,
            verified,
            record,
        ) {
            Ok(_) if ctx.store()?.course_billed(&f.trainee.person, &f.course())? => {
                assessment.held.push(held(record, vec![already_billed()]));
            }
            Ok(line) => assessment.billable.push((record, line)),
            Err(held_line) => assessment.held.push(held_line),
        }
    }
    Ok(assessment)
}

/// Takes a record's course for billing and marks the record with the invoice number: true when
/// billed, false when the course was billed already; 409 when the record changed meanwhile.
/// On any failure the course is given back.
fn bill_record(
    ctx: &Context,
    platform_id: &PlatformId,
    number: &str,
    step: u32,
    record: &CompletionRecord,
) -> Result<bool, ApiError> {
    let f = &record.facts;
    let intent = BillingIntent {
        invoice: number.to_owned(),
        at: ctx.now_unix(),
    };
    ctx.store()?
        .intend_billing(&f.trainee.person, &f.course(), &intent)?;
    if !ctx
        .store()?
        .take_course_for_billing(&f.trainee.person, &f.course())?
    {
        return Ok(false);
    }
    // The record must still be what was assessed: not voided, corrected or billed since.
    let marked = ctx
        .store()?
        .change_billing(platform_id, &f.record_id, |current| {
            if current.digest != record.digest
                || current.state() == RecordState::Void
                || current.invoice.is_some()
            {
                return Err(ApiError::new(
                    ErrorKind::Conflict,
                    Reason::new(
                        "record_changed",
                        "记录已变更",
                        "The record changed meanwhile",
                    ),
                ));
            }
            Ok(current.billed_by(number, step, ctx.now_unix()))
        });
    match marked {
        Ok(_) => Ok(true),
        Err(error) => {
            ctx.store()?
                .release_course(&f.trainee.person, &f.course())?;
            Err(error)
        }
    }
}

/// Undoes what a build step marked, for a step that will not be committed, so that no
/// record points at an invoice that does not bill it and every course can be billed again.
/// Each part is tried a few times: a passing fault must not leave a record stranded.
fn roll_back(
    store: &Store,
    platform_id: &PlatformId,
    number: &str,
    step: u32,
    billed: &[Billable],
) {
    for (record, _) in billed {
        let f = &record.facts;
        for _ in 0..3 {
            let unmarked = store.change_billing(platform_id, &f.record_id, |current| {
                Ok(current.unbilled_from(number, Some(step)))
            });
            if unmarked.is_ok() {
                break;
            }
        }
        let _ = store.release_course(&f.trainee.person, &f.course());
    }
}

/// The trainee's key group is verified by the registry on the assessment day, or by a claim
/// on this record that a reviewer approved.
fn key_group_verified(
    ctx: &Context,
    record: &CompletionRecord,
    key_groups: &[PersonGroup],
) -> Result<bool, ApiError> {
    let registry = ctx
        .store()?
        .registry_entries(&record.facts.trainee.person, key_groups)?;
    // The claim is read only when the registry does not settle it.
    if record.key_group_verified(&registry, None) {
        return Ok(true);
    }
    let named_claim = match &record.claim {
        Some(id) => ctx.store()?.claim(id)?.map(|c| c.status),
        None => None,
    };
    Ok(record.key_group_verified(&registry, named_claim))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueInput {
    month: String,
    /// Operators name the platform; platforms act for themselves.
    #[serde(default)]
    platform_id: Option<String>,
}

#[derive(Serialize)]
struct Preview<'a> {
    platform_id: &'a PlatformId,
    period: &'a str,
    /// What the records judged (a page of the month) would bill now, and their total.
    lines: Vec<&'a InvoiceLine>,
    total: subsidy_rules::Yuan,
    held: &'a [HeldLine],
    /// Pass as `after` for the next page of the month, until `done`.
    next_after: u64,
    done: bool,
}

const READERS: [Role; 3] = [Role::Admin, Role::Reviewer, Role::Finance];

fn month_param(value: Option<String>) -> Result<String, ApiError> {
    parse_month(&value.unwrap_or_default()).map_err(|r| ApiError::invalid(vec![r.at("month")]))
}

/// What an invoice for `?month=` would hold now, and what is held back: nothing is written.
/// A page of the month's records at a time, as a build step judges them: `?after=` and
/// `?limit=` (records, 1 to 250, default 250).
pub fn preview(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let (platform_id, _) = ctx.acting_platform(request, &READERS, None)?;
    let month = request.query_param("month").unwrap_or_default();
    let (month, after, limit) = (
        field("month", parse_month(&month)),
        request.number_param("after", 0, u64::MAX),
        request.limit_param(RECORDS_PER_STEP as u64, RECORDS_PER_STEP as u64),
    )
        .all_parsed()?;
    let (records, next_after, done) =
        ctx.store()?
            .completions_page(&platform_id, &month, after, limit)?;
    let assessment = assess(ctx, &records)?;
    let lines: Vec<&InvoiceLine> = assessment.billable.iter().map(|(_, line)| line).collect();
    Ok(json(
        200,
        &Preview {
            platform_id: &platform_id,
            period: &month,
            total: lines.iter().map(|l| l.amount).sum(),
            lines,
            held: &assessment.held,
            next_after,
            done,
        },
    ))
}

#[derive(Serialize)]
struct Issued<'a> {
    /// None when nothing was billed (yet); `held` says why.
    invoice: Option<InvoicePage>,
    /// The lines this request held back (those of earlier steps were in their answers).
    held: &'a [HeldLine],
    /// Where the build is, while it goes on (202): send the same request again.
    #[serde(skip_serializing_if = "Option::is_none")]
    build: Option<BuildProgress>,
}

/// Issues an invoice of everything billable now for a platform and month, in steps: each
/// request judges at most `RECORDS_PER_STEP` more of the month's records. When the month is
/// done it answers 201 with the invoice issued (200 and no invoice when nothing could be
/// billed); before that, 202 with the build's progress (and the invoice `building`, once it
/// has a line), and the same request again takes the next step. Each course is taken for
/// billing atomically, so no trainee's course is billed twice, by any platform; one step of a
/// month runs at a time.
pub fn issue(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let input: IssueInput = request.json()?;
    let (platform_id, party) = ctx.acting_platform(
        request,
        &[Role::Admin, Role::Finance],
        input.platform_id.as_deref(),
    )?;
    let month = month_param(Some(input.month))?;
    let change = ctx.change_by(party.subject());
    ctx.store()?
        .holding_invoice_build(&platform_id, &month, ctx.now_unix(), || {
            build_step(ctx, &platform_id, &month, change)
        })
}

/// Where a month's build goes on from: how it started, and its invoice as stored, if that
/// is still building. A build whose invoice was issued or cancelled is over: a new one starts.
fn build_in_progress(
    store: &Store,
    platform_id: &PlatformId,
    month: &str,
) -> Result<(BuildStart, Option<StoredInvoice>), ApiError> {
    let Some(start) = store.invoice_build(platform_id, month)? else {
        return Ok(Default::default());
    };
    let stored = match &start.number {
        Some(number) => store.invoice_header(number)?,
        None => None,
    };
    match stored {
        Some(s) if s.invoice.state != InvoiceState::Building => Ok(Default::default()),
        stored => Ok((start, stored)),
    }
}

/// A new invoice number for the month's build, journaled and recorded as the build's before
/// any record is marked with it.
fn take_number(
    ctx: &Context,
    platform_id: &PlatformId,
    month: &str,
    start: &BuildStart,
) -> Result<String, ApiError> {
    let store = ctx.store()?;
    let number = store.next_invoice_number(platform_id, month)?;
    store.journal(&JournalEntry::InvoiceBuild {
        platform_id: platform_id.clone(),
        month: month.to_owned(),
        number: number.clone(),
        at: ctx.now_unix(),
    })?;
    let start = BuildStart {
        number: Some(number.clone()),
        ..start.clone()
    };
    store.set_invoice_build(platform_id, month, Some(&start))?;
    Ok(number)
}

/// Where a build's step starts, and the records it judges: what dead builds, dead steps of
/// this one and cancelled invoices left marked already freed, to be billed now.
struct StepRead {
    start: BuildStart,
    before: Option<StoredInvoice>,
    progress: BuildProgress,
    records: Vec<CompletionRecord>,
    /// The record slot the step read through, and whether that ends the month.
    after: u64,
    done: bool,
}

fn read_step(ctx: &Context, platform_id: &PlatformId, month: &str) -> Result<StepRead, ApiError> {
    let store = ctx.store()?;
    let (start, before) = build_in_progress(store, platform_id, month)?;
    let progress = (before.as_ref())
        .and_then(|b| b.invoice.build.clone())
        .unwrap_or(BuildProgress {
            after: start.after,
            steps: 0,
            held: start.held,
        });
    let (mut records, after, done) =
        store.completions_page(platform_id, month, progress.after, RECORDS_PER_STEP)?;
    let building = start.number.as_deref();
    county_api::reconcile::interrupted_builds(ctx, platform_id, &mut records, true, building)?;
    Ok(StepRead {
        start,
        before,
        progress,
        records,
        after,
        done,
    })
}

/// One step of a month's build, holding its lease: judges the next records of the month,
/// takes and marks those billable, and commits their lines to the invoice.
fn build_step(
    ctx: &Context,
    platform_id: &PlatformId,
    month: &str,
    change: Change,
) -> Result<Response, ApiError> {
    let store = ctx.store()?;
    let read = read_step(ctx, platform_id, month)?;
    let (before, step) = (read.before.as_ref(), read.progress.steps + 1);
    let Assessment {
        billable,
        mut held,
        platforms,
    } = assess(ctx, &read.records)?;
    let before_fund = before.map(|b| b.invoice.fund.as_str());
    let (fund, billable, other_fund) = split_by_fund(before_fund, billable);
    held.extend(other_fund);
    let (number, billed) = mark_billable(
        ctx,
        platform_id,
        month,
        &read.start,
        step,
        billable,
        &mut held,
    )?;
    let lines: Vec<InvoiceLine> = billed.iter().map(|(_, line)| line.clone()).collect();
    let Some(number) = number.filter(|_| !lines.is_empty() || before.is_some()) else {
        return keep_place(store, platform_id, month, &read, &held);
    };
    let building = match before {
        Some(before) => before.invoice.clone(),
        None => {
            let first = (number.clone(), read.progress.clone());
            new_invoice(ctx, platform_id, month, &platforms, fund, first, &change)?
        }
    };
    let done = read.done;
    let next = building.stepped(&lines, read.after, held.len(), done.then_some(change));
    let committed = commit_step(store, before, &next, &lines, (step, &billed), done)?;
    Ok(json(
        if done { 201 } else { 202 },
        &Issued {
            build: next.build.clone(),
            invoice: Some(store.with_page(committed, 0)?),
            held: &held,
        },
    ))
}

/// The build's invoice number (taken now by the step that first bills) and the billable
/// records marked with it; courses billed meanwhile by another invoice join `held`.
fn mark_billable<'a>(
    ctx: &Context,
    platform_id: &PlatformId,
    month: &str,
    start: &BuildStart,
    step: u32,
    billable: Vec<Billable<'a>>,
    held: &mut Vec<HeldLine>,
) -> Result<(Option<String>, Vec<Billable<'a>>), ApiError> {
    let number = match (&start.number, billable.is_empty()) {
        (Some(number), _) => number.clone(),
        (None, false) => take_number(ctx, platform_id, month, start)?,
        (None, true) => return Ok((None, Vec::new())),
    };
    let billed = bill(ctx, platform_id, &number, step, billable, held)?;
    Ok((Some(number), billed))
}

/// Commits a step's lines to invoice `next`; a failed commit unmarks the records the step
/// marked. The build ends with its last step.
fn commit_step(
    store: &Store,
    before: Option<&StoredInvoice>,
    next: &Invoice,
    lines: &[InvoiceLine],
    (step, billed): (u32, &[Billable]),
    done: bool,
) -> Result<StoredInvoice, ApiError> {
    let committed = match store.commit_invoice_step(before, next, lines) {
        Ok(committed) => committed,
        Err(error) => {
            roll_back(store, &next.platform_id, &next.number, step, billed);
            return Err(error);
        }
    };
    if done {
        // Were this lost, the next build would find the invoice issued and start anew.
        let _ = store.set_invoice_build(&next.platform_id, &next.period, None);
    }
    Ok(committed)
}

/// A step that billed nothing and found no invoice begun: the build's place is kept for the
/// next step, or, the month done, the build ends with no invoice.
fn keep_place(
    store: &Store,
    platform_id: &PlatformId,
    month: &str,
    read: &StepRead,
    held: &[HeldLine],
) -> Result<Response, ApiError> {
    if read.done {
        if read.start != BuildStart::default() {
            store.set_invoice_build(platform_id, month, None)?;
        }
        return Ok(json(200, &Issued::none(held, None)));
    }
    let kept = BuildStart {
        number: read.start.number.clone(),
        after: read.after,
        held: read.progress.held + held.len(),
    };
    store.set_invoice_build(platform_id, month, Some(&kept))?;
    let progress = BuildProgress {
        after: kept.after,
        steps: 0,
        held: kept.held,
    };
    Ok(json(202, &Issued::none(held, Some(progress))))
}

/// The invoice a build's first billing step begins, numbered `number`, the build `progress`.
fn new_invoice(
    ctx: &Context,
    platform_id: &PlatformId,
    month: &str,
    platforms: &PlatformRegister,
    fund: Option<String>,
    (number, progress): (String, BuildProgress),
    change: &Change,
) -> Result<Invoice, ApiError> {
    let platform_name = (platforms.find(platform_id))
        .map(|p| p.name.clone())
        .unwrap_or_default();
    Ok(Invoice {
        build: Some(progress),
        ..Invoice::building(
            number,
            ctx.config.county()?.clone(),
            ctx.config.county_name()?.to_owned(),
            platform_id.clone(),
            platform_name,
            month.to_owned(),
            fund.unwrap_or_default(),
            change.clone(),
        )
    })
}

impl<'a> Issued<'a> {
    fn none(held: &'a [HeldLine], build: Option<BuildProgress>) -> Issued<'a> {
        Issued {
            invoice: None,
            held,
            build,
        }
    }
}

/// Takes each billable course and marks its record with the invoice number and the step;
/// courses billed meanwhile by another invoice join `held`. A failure rolls back what the
/// step marked.
fn bill<'a>(
    ctx: &Context,
    platform_id: &PlatformId,
    number: &str,
    step: u32,
    billable: Vec<Billable<'a>>,
    held: &mut Vec<HeldLine>,
) -> Result<Vec<Billable<'a>>, ApiError> {
    let mut billed = Vec::new();
    for (record, line) in billable {
        match bill_record(ctx, platform_id, number, step, record) {
            Ok(true) => billed.push((record, line)),
            Ok(false) => held.push(subsidy_rules::invoice::held(record, vec![already_billed()])),
            Err(error) if error.kind == ErrorKind::Conflict => {
                held.push(subsidy_rules::invoice::held(record, error.details))
            }
            Err(error) => {
                roll_back(ctx.store()?, platform_id, number, step, &billed);
                return Err(error);
            }
        }
    }
    Ok(billed)
}

#[derive(Serialize)]
struct Listing<'a> {
    platform_id: &'a PlatformId,
    /// Oldest first, each with its first page of lines.
    invoices: Vec<InvoicePage>,
    /// Pass as `after` for the next page; the page is the last when `invoices` is shorter
    /// than `limit`.
    next_after: u64,
}

/// A platform's invoices, oldest first, `after` and `limit` (1 to 100, default 50) for paging.
pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let (platform_id, _) = ctx.acting_platform(request, &READERS, None)?;
    let (after, limit) = request.paging()?;
    let (invoices, next_after) = ctx.store()?.platform_invoices(&platform_id, after, limit)?;
    Ok(json(
        200,
        &Listing {
            platform_id: &platform_id,
            invoices,
            next_after,
        },
    ))
}

/// An invoice its platform or a county operator may read; to anyone else it does not exist.
fn readable(request: &ApiRequest, ctx: &Context, number: &str) -> Result<Invoice, ApiError> {
    let party = ctx.require_party(request, &READERS)?;
    let invoice = ctx
        .store()?
        .invoice(number)?
        .ok_or_else(ApiError::not_found)?;
    may_read(&party, &invoice)?;
    Ok(invoice)
}

fn may_read(party: &Party, invoice: &Invoice) -> Result<(), ApiError> {
    match party {
        Party::Platform(caller) if caller.platform_id != invoice.platform_id => {
            Err(ApiError::not_found())
        }
        _ => Ok(()),
    }
}

/// An invoice with page `?page=` (from 0) of its lines: a read of the invoice and one of
/// its pages, whatever its size.
pub fn fetch(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let number = request.invoice_number()?;
    let page = request.number_param("page", 0, u32::MAX as u64)? as usize;
    let party = ctx.require_party(request, &READERS)?;
    let paged = ctx
        .store()?
        .invoice_page(number, page)?
        .ok_or_else(ApiError::not_found)?;
    may_read(&party, &paged.invoice)?;
    if page >= paged.line_pages {
        let pages = paged.line_pages;
        return Err(ApiError::invalid(vec![
            Reason::new(
                "invalid_page",
                format!("该发票的明细共{pages}页，page 应为0至{}", pages - 1),
                format!(
                    "The invoice's lines have {pages} pages: page is 0 to {}",
                    pages - 1
                ),
            )
            .at("page"),
        ]));
    }
    Ok(json(200, &paged))
}

/// The invoice for finance's spreadsheet: CSV (`/csv`, or `/export?format=csv`) or a workbook
/// (`/export?format=xlsx`, or `Accept` naming it), saved as `泰山区-平台-2020-03-发票`.
pub fn export(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let format = ExportFormat::of(request, ExportFormat::Csv)?;
    export_as(request, ctx, format)
}

/// `GET …/csv`: the CSV, whatever `Accept` says.
pub fn export_csv(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    export_as(request, ctx, ExportFormat::Csv)
}

fn export_as(
    request: &ApiRequest,
    ctx: &Context,
    format: ExportFormat,
) -> Result<Response, ApiError> {
    let invoice = readable(request, ctx, request.invoice_number()?)?;
    Ok(county_api::export(
        &invoice.to_sheet(),
        format,
        &invoice.file_name(),
        &invoice.number,
    ))
}
