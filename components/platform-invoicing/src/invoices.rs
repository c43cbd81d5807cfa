//! Invoices for the platform subsidy: previewed and issued per platform and month, approved
//! and paid by the county's finance staff, exported as CSV.

use county_api::{ApiError, ApiRequest, Context, ErrorKind, ExportFormat, Party, Store, json};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Change, PersonGroup, PlatformId, PlatformRegister, Reason,
    auth::Role,
    completion::{CompletionRecord, RecordState, parse_month},
    field,
    invoice::{
        BillingIntent, HeldLine, Invoice, InvoiceLine, InvoicePage, already_billed, bill_line, held,
    },
    journal::JournalEntry,
    payment::{Payment, PaymentInput},
};

use crate::acting_platform;

/// What a platform's passed, open records of a month would bill now.
struct Assessment<'a> {
    billable: Vec<(&'a CompletionRecord, InvoiceLine)>,
    held: Vec<HeldLine>,
    /// The register the lines were judged against (and the invoice names the platform from).
    platforms: PlatformRegister,
}

fn assess<'a>(ctx: &Context, records: &'a [CompletionRecord]) -> Result<Assessment<'a>, ApiError> {
    let standards = ctx.store()?.standards()?;
    let key_groups: Vec<PersonGroup> = ctx.policies()?.key_groups();
    let mut assessment = Assessment {
        billable: vec![],
        held: vec![],
        platforms: ctx.store()?.platforms()?,
    };
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
            Ok(_)
                if ctx
                    .store()?
                    .course_billed(&f.trainee.person, &f.occupation, f.level)? =>
            {
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
    record: &CompletionRecord,
) -> Result<bool, ApiError> {
    let f = &record.facts;
    let intent = BillingIntent {
        invoice: number.to_owned(),
        at: ctx.now_unix(),
    };
    ctx.store()?
        .intend_billing(&f.trainee.person, &f.occupation, f.level, &intent)?;
    if !ctx
        .store()?
        .take_course_for_billing(&f.trainee.person, &f.occupation, f.level)?
    {
        return Ok(false);
    }
    // The record must still be what was assessed: not voided, corrected or billed since.
    let marked = ctx
        .store()?
        .update_completion(platform_id, &f.record_id, |current| {
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
            Ok(current.billed_by(number, ctx.now_unix()))
        });
    match marked {
        Ok(_) => Ok(true),
        Err(error) => {
            ctx.store()?
                .release_course(&f.trainee.person, &f.occupation, f.level)?;
            Err(error)
        }
    }
}

/// Undoes the billing of records for an invoice that will not be written, so that no record
/// points at an invoice nobody can read and every course can be billed again. Each step is
/// tried a few times: a passing fault must not leave a record stranded.
fn roll_back(
    store: &Store,
    platform_id: &PlatformId,
    number: &str,
    billed: &[(&CompletionRecord, InvoiceLine)],
) {
    for (record, _) in billed {
        let f = &record.facts;
        for _ in 0..3 {
            let unmarked = store.update_completion(platform_id, &f.record_id, |current| {
                Ok(current.unbilled_from(number))
            });
            if unmarked.is_ok() {
                break;
            }
        }
        let _ = store.release_course(&f.trainee.person, &f.occupation, f.level);
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
    let claim = match &record.claim {
        Some(id) => ctx.store()?.claim(id)?,
        None => None,
    };
    Ok(record.key_group_verified(&registry, claim.as_ref()))
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
    lines: Vec<&'a InvoiceLine>,
    total: subsidy_rules::Yuan,
    held: &'a [HeldLine],
}

const READERS: [Role; 3] = [Role::Admin, Role::Reviewer, Role::Finance];

fn month_param(value: Option<String>) -> Result<String, ApiError> {
    parse_month(&value.unwrap_or_default()).map_err(|r| ApiError::invalid(vec![r.at("month")]))
}

/// What an invoice for `?month=` would hold now, and what is held back: nothing is written.
pub fn preview(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let (platform_id, _) = acting_platform(request, ctx, &READERS, None)?;
    let month = month_param(request.query_param("month"))?;
    let records = ctx.store()?.completions_in_month(&platform_id, &month)?;
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
        },
    ))
}

/// An invoice's first page of lines, as every change of it answers.
fn answer(invoice: Invoice) -> Response {
    json(200, &InvoicePage::of(invoice, 0))
}

#[derive(Serialize)]
struct Issued<'a> {
    /// None when nothing can be billed now; `held` says why.
    invoice: Option<InvoicePage>,
    held: &'a [HeldLine],
}

/// Issues an invoice of everything billable now for a platform and month. Each course is
/// taken for billing atomically, so no trainee's course is billed twice, by any platform.
pub fn issue(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let input: IssueInput = request.json()?;
    let (platform_id, party) = acting_platform(
        request,
        ctx,
        &[Role::Admin, Role::Finance],
        input.platform_id.as_deref(),
    )?;
    let month = month_param(Some(input.month))?;
    let mut records = ctx.store()?.completions_in_month(&platform_id, &month)?;
    // What a build that died left in this month is billed again now.
    county_api::reconcile::interrupted_builds(ctx, &platform_id, &mut records, true)?;
    let assessment = assess(ctx, &records)?;
    let mut held = assessment.held;
    let invoice = if assessment.billable.is_empty() {
        None
    } else {
        let draft = Draft {
            platform_id: &platform_id,
            platform_name: (assessment.platforms.find(&platform_id))
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            month,
            change: ctx.change_by(party.subject()),
        };
        bill(ctx, draft, assessment.billable, &mut held)?
    };
    let status = if invoice.is_some() { 201 } else { 200 };
    Ok(json(
        status,
        &Issued {
            invoice: invoice.map(|i| InvoicePage::of(i, 0)),
            held: &held,
        },
    ))
}

/// What an invoice is issued for, read before anything is written.
struct Draft<'a> {
    platform_id: &'a PlatformId,
    platform_name: String,
    month: String,
    change: Change,
}

/// Takes each billable course and marks its record, then writes the invoice of those billed;
/// courses billed meanwhile by another invoice join `held`. From the invoice number on, a
/// failure rolls back what was done.
fn bill(
    ctx: &Context,
    draft: Draft,
    billable: Vec<(&CompletionRecord, InvoiceLine)>,
    held: &mut Vec<HeldLine>,
) -> Result<Option<Invoice>, ApiError> {
    let number = ctx
        .store()?
        .next_invoice_number(draft.platform_id, &draft.month)?;
    ctx.store()?.journal(&JournalEntry::InvoiceBuild {
        platform_id: draft.platform_id.clone(),
        month: draft.month.clone(),
        number: number.clone(),
        at: ctx.now_unix(),
    })?;
    let mut billed: Vec<(&CompletionRecord, InvoiceLine)> = Vec::new();
    for (record, line) in billable {
        match bill_record(ctx, draft.platform_id, &number, record) {
            Ok(true) => billed.push((record, line)),
            Ok(false) => held.push(subsidy_rules::invoice::held(record, vec![already_billed()])),
            Err(error) if error.kind == ErrorKind::Conflict => {
                held.push(subsidy_rules::invoice::held(record, error.details))
            }
            Err(error) => {
                roll_back(ctx.store()?, draft.platform_id, &number, &billed);
                return Err(error);
            }
        }
    }
    if billed.is_empty() {
        return Ok(None);
    }
    let policy = ctx
        .policies()?
        .current(subsidy_rules::dates::china_day(ctx.now));
    let invoice = Invoice::issue(
        number.clone(),
        ctx.config.county()?.clone(),
        ctx.config.county_name()?.to_owned(),
        draft.platform_id.clone(),
        draft.platform_name,
        draft.month,
        policy.platform_subsidy.fund.clone(),
        billed.iter().map(|(_, line)| line.clone()).collect(),
        draft.change,
    );
    if let Err(error) = ctx.store()?.insert_invoice(&invoice) {
        roll_back(ctx.store()?, draft.platform_id, &number, &billed);
        return Err(error);
    }
    Ok(Some(invoice))
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
    let (platform_id, _) = acting_platform(request, ctx, &READERS, None)?;
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
pub fn fetch(request: &ApiRequest, ctx: &Context, number: &str) -> Result<Response, ApiError> {
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
pub fn export(
    request: &ApiRequest,
    ctx: &Context,
    number: &str,
    only: Option<ExportFormat>,
) -> Result<Response, ApiError> {
    let invoice = readable(request, ctx, number)?;
    let format = match only {
        Some(format) => format,
        None => ExportFormat::of(request, ExportFormat::Csv)?,
    };
    Ok(county_api::export(
        &invoice.to_sheet(),
        format,
        &invoice.file_name(),
        &invoice.number,
    ))
}

fn transition_refused(reason: Reason) -> ApiError {
    ApiError::conflict(reason)
}

pub fn approve(request: &ApiRequest, ctx: &Context, number: &str) -> Result<Response, ApiError> {
    let finance = ctx.require_operator(request, &[Role::Finance])?;
    let change = ctx.change_by(&finance.sub);
    let invoice = ctx.store()?.update_invoice(number, |current| {
        current.approved(change.clone()).map_err(transition_refused)
    })?;
    Ok(answer(invoice))
}

/// Finance or an admin cancels an invoice before it is paid, with the reason: its lines are
/// billable again (each record unmarked, its course given back). A kill before every line is
/// freed leaves records marked by a cancelled invoice: the next build of the month, or
/// reconcile, frees them.
pub fn cancel(request: &ApiRequest, ctx: &Context, number: &str) -> Result<Response, ApiError> {
    let operator = ctx.require_operator(request, &[Role::Finance, Role::Admin])?;
    let reason = request.reason()?;
    let change = ctx.change_by(&operator.sub);
    let invoice = ctx.store()?.update_invoice(number, |current| {
        current
            .cancelled(change.clone(), reason.clone())
            .map_err(transition_refused)
    })?;
    let mut records = ctx
        .store()?
        .completions_in_month(&invoice.platform_id, &invoice.period)?;
    county_api::reconcile::interrupted_builds(ctx, &invoice.platform_id, &mut records, true)?;
    Ok(answer(invoice))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineRecoveryInput {
    reason: String,
    amount: subsidy_rules::DecimalText,
}

fn line_refused(reason: Reason) -> ApiError {
    match reason.code {
        "invalid_recovery_amount" => ApiError::invalid(vec![reason]),
        "no_such_line" => ApiError::not_found(),
        _ => ApiError::conflict(reason),
    }
}

/// Finance or an admin marks a line of a paid invoice for recovery (追回): the amount (at most
/// the line's) and why.
pub fn start_line_recovery(
    request: &ApiRequest,
    ctx: &Context,
    number: &str,
    record_id: &str,
) -> Result<Response, ApiError> {
    let operator = ctx.require_operator(request, &[Role::Finance, Role::Admin])?;
    let input: LineRecoveryInput = request.json()?;
    let (reason, amount) = (
        field("reason", subsidy_rules::bounded_text(&input.reason, 200)),
        field("amount", subsidy_rules::Yuan::parse(&input.amount.0)),
    )
        .all_parsed()?;
    let change = ctx.change_by(&operator.sub);
    let invoice = ctx.store()?.update_invoice(number, |current| {
        current
            .line_recovery_started(record_id, amount, reason.clone(), change.clone())
            .map_err(line_refused)
    })?;
    Ok(answer(invoice))
}

/// Finance records the money of a line recovered: `{"reference","paid_on"}`.
pub fn line_recovered(
    request: &ApiRequest,
    ctx: &Context,
    number: &str,
    record_id: &str,
) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Finance])?;
    let payment = Payment::try_from(request.json::<PaymentInput>()?)?;
    let invoice = ctx.store()?.update_invoice(number, |current| {
        current
            .line_recovered(record_id, payment.clone())
            .map_err(line_refused)
    })?;
    Ok(answer(invoice))
}

pub fn pay(request: &ApiRequest, ctx: &Context, number: &str) -> Result<Response, ApiError> {
    let finance = ctx.require_operator(request, &[Role::Finance])?;
    let payment = Payment::try_from(request.json::<PaymentInput>()?)?;
    let change = ctx.change_by(&finance.sub);
    let invoice = ctx.store()?.update_invoice(number, |current| {
        current
            .paid(payment.clone(), change.clone())
            .map_err(transition_refused)
    })?;
    Ok(answer(invoice))
}
