//! Platform invoices: one line per passed completion of a key-group trainee, 20% of the local
//! standard for its occupation + level; lines that cannot be billed yet are held with reasons.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    Change, CountyCode, OccupationCode, PlatformId, PlatformRegister, PolicyBook, Reason,
    SkillLevel, StandardsTable, StudyHours, Yuan, completion::CompletionRecord,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub record_id: String,
    pub trainee: String,
    pub trainee_name: String,
    pub occupation: OccupationCode,
    pub level: SkillLevel,
    pub study_hours: StudyHours,
    pub assessed_on: NaiveDate,
    pub local_standard: Yuan,
    pub share: Decimal,
    pub amount: Yuan,
    pub policy_version: String,
    /// The fund of the version that priced it (none on a line stored by an earlier version
    /// of the app, whose invoice names its fund).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund: Option<String>,
}

/// A passed completion that cannot be billed yet, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldLine {
    pub record_id: String,
    pub trainee: String,
    pub occupation: OccupationCode,
    pub level: SkillLevel,
    pub assessed_on: NaiveDate,
    pub reasons: Vec<Reason>,
}

/// The reason a course already billed elsewhere gives.
pub fn already_billed() -> Reason {
    Reason::new(
        "already_billed",
        "该学员此职业此等级的培训已由平台结算过，不能重复结算",
        "This trainee's course (occupation and level) has been billed already, by this or another platform",
    )
}

/// Whether a passed, open record can be billed now: the line, or every reason it is held.
pub fn bill_line(
    policies: &PolicyBook,
    standards: &StandardsTable,
    platforms: &PlatformRegister,
    key_group_verified: bool,
    record: &CompletionRecord,
) -> Result<InvoiceLine, HeldLine> {
    let f = &record.facts;
    let day = f.assessment.date;
    let mut reasons = platforms.check_training_platform(&record.platform_id, day);
    if !key_group_verified {
        reasons.push(Reason::new(
            "key_group_not_verified",
            "学员的重点群体身份尚未核实（未在登记名单中，或补贴申领尚未审核通过）",
            "The trainee's key-group status is not verified yet (not in the registry, no approved claim)",
        ));
    }
    let standard = standards.lookup(&f.course(), day);
    if standard.is_none() {
        reasons.push(no_local_standard(f));
    }
    let policy = policies.in_force_on(day);
    if policy.is_none() {
        reasons.push(Reason::new(
            "outside_policy_window",
            format!("考核日期 {day} 不在政策执行期内"),
            format!("The assessment day {day} is outside every policy window"),
        ));
    }
    match (standard, policy) {
        (Some(standard), Some(policy)) if reasons.is_empty() => Ok(line(f, standard, policy)),
        _ => Err(held(record, reasons)),
    }
}

fn no_local_standard(f: &crate::completion::CompletionFacts) -> Reason {
    let (occupation, level) = (f.course().occupation, f.level.code());
    Reason::new(
        "no_local_standard",
        format!("本地没有职业 {occupation} 等级 {level} 的培训补贴标准"),
        format!("No local training-subsidy standard for occupation {occupation} at level {level}"),
    )
}

/// The line of a record priced by `standard` under `policy`.
fn line(
    f: &crate::completion::CompletionFacts,
    standard: &crate::standards::SubsidyStandard,
    policy: &crate::PolicyVersion,
) -> InvoiceLine {
    InvoiceLine {
        record_id: f.record_id.clone(),
        trainee: f.trainee.resident_id.clone(),
        trainee_name: f.trainee.name.clone(),
        occupation: f.occupation.clone(),
        level: f.level,
        study_hours: f.study_hours,
        assessed_on: f.assessment.date,
        local_standard: standard.standard,
        share: policy.platform_subsidy.share_of_local_standard,
        amount: policy.platform_subsidy_for(standard.standard),
        policy_version: policy.id.clone(),
        fund: Some(policy.platform_subsidy.fund.clone()),
    }
}

/// A record found billable, and the line it is billed as.
pub type Billable<'a> = (&'a CompletionRecord, InvoiceLine);

/// The fund an invoice is paid from (decision): that of the policy version which priced its
/// lines, the assessment days' version, never today's. An invoice is paid from one fund:
/// `invoice_fund` is the fund of the invoice being built (none before its first line, when
/// the first billable line sets it); a line priced from another fund is held for an invoice
/// of its own. Returns the invoice's fund, the lines it bills and those held.
pub fn split_by_fund<'a>(
    invoice_fund: Option<&str>,
    billable: Vec<Billable<'a>>,
) -> (Option<String>, Vec<Billable<'a>>, Vec<HeldLine>) {
    let fund = invoice_fund
        .map(str::to_owned)
        .or_else(|| billable.first().and_then(|(_, line)| line.fund.clone()));
    let (same, other): (Vec<_>, Vec<_>) = billable
        .into_iter()
        .partition(|(_, line)| line.fund.is_none() || line.fund == fund);
    let held = other
        .into_iter()
        .map(|(record, line)| held(record, vec![fund_differs(&line, fund.as_deref())]))
        .collect();
    (fund, same, held)
}

fn fund_differs(line: &InvoiceLine, fund: Option<&str>) -> Reason {
    let (theirs, ours) = (line.fund.as_deref().unwrap_or(""), fund.unwrap_or(""));
    Reason::new(
        "fund_differs",
        format!(
            "该记录按政策版本 {} 由 {theirs} 支付，与本发票的 {ours} 不同，将另开发票",
            line.policy_version
        ),
        format!(
            "Policy version {} pays this line from {theirs}, not this invoice's {ours}: it goes on an invoice of its own",
            line.policy_version
        ),
    )
}

pub fn held(record: &CompletionRecord, reasons: Vec<Reason>) -> HeldLine {
    let f = &record.facts;
    HeldLine {
        record_id: f.record_id.clone(),
        trainee: f.trainee.resident_id.clone(),
        occupation: f.occupation.clone(),
        level: f.level,
        assessed_on: f.assessment.date,
        reasons,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    /// Being built, step by step (`BuildProgress`): its lines so far bill their records, and
    /// it can be cancelled, not approved.
    Building,
    Issued,
    Approved,
    Paid,
    /// Cancelled before it was paid: its lines are billable again.
    Cancelled,
}

impl InvoiceState {
    /// The state's name as the API, the store and the CSV write it.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceState::Building => "building",
            InvoiceState::Issued => "issued",
            InvoiceState::Approved => "approved",
            InvoiceState::Paid => "paid",
            InvoiceState::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub from: Option<InvoiceState>,
    pub to: InvoiceState,
    pub changed: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub use crate::payment::Payment;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    pub number: String,
    pub county: CountyCode,
    pub county_name: String,
    pub platform_id: PlatformId,
    pub platform_name: String,
    /// The month of the assessments billed, `YYYY-MM`.
    pub period: String,
    pub fund: String,
    pub lines: Vec<InvoiceLine>,
    pub total: Yuan,
    pub state: InvoiceState,
    pub transitions: Vec<Transition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    /// Lines found wrongly paid (追回), each with what is to be recovered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recoveries: Vec<LineRecovery>,
    /// Where its build is, while it is `Building`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildProgress>,
    /// Once cancelled: how many of its lines, in order, have had their records freed (billable
    /// again). Cancelling again frees the next ones.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lines_freed: usize,
    /// The event feeds' slots this document's changes announced (`events`): its mark there
    /// is what makes a slot an event. Never shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feed_marks: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Records of the month a build step judges at most. A record costs a build about 14 store
/// operations (reading it and its trainee's registry entries, taking the course, marking the
/// record): 250 keep a step near 3,500, under the 5,000 a request may spend, whatever the
/// size of the month.
pub const RECORDS_PER_STEP: usize = 250;

/// A platform month's build before its invoice holds a line (it is stored with its first):
/// the number it took, once it had something to bill, and how far it got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildStart {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub after: u64,
    pub held: usize,
}

/// How far an invoice's build has got: every record listed in the platform's month up to slot
/// `after` was judged by `steps` committed steps, and `held` of them held back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildProgress {
    pub after: u64,
    pub steps: u32,
    pub held: usize,
}

/// Lines per stored page of an invoice, and per page of an answer: at about 270 bytes a line,
/// a page is about 110 KB, far under the smallest Spin backend's value limit (~400 KB,
/// docs/spin.md) and our 256 KB.
pub const LINES_PER_PAGE: usize = 400;

/// An invoice as answered: every field, one page of its lines (`page` from 0, 400 lines a
/// page) and how many lines and pages there are, so an invoice of any size answers in a
/// bounded body. The CSV and workbook hold every line.
#[derive(Debug, Serialize)]
pub struct InvoicePage {
    #[serde(flatten)]
    pub invoice: Invoice,
    pub line_count: usize,
    pub line_pages: usize,
    pub page: usize,
}

impl InvoicePage {
    /// Page `page` of a whole invoice.
    pub fn of(mut invoice: Invoice, page: usize) -> InvoicePage {
        let lines = std::mem::take(&mut invoice.lines);
        let line_count = lines.len();
        invoice.lines = (lines.into_iter())
            .skip(page * LINES_PER_PAGE)
            .take(LINES_PER_PAGE)
            .collect();
        InvoicePage {
            invoice,
            line_count,
            line_pages: line_count.div_ceil(LINES_PER_PAGE).max(1),
            page,
        }
    }
}

/// A line of a paid invoice found wrongly paid: how much is to be recovered and why, and once
/// recovered, how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineRecovery {
    pub record_id: String,
    pub amount: Yuan,
    pub reason: String,
    pub started: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<Payment>,
}

fn wrong_state(from: InvoiceState, to: InvoiceState) -> Reason {
    Reason::new(
        "invalid_transition",
        format!("发票状态为 {}，不能变更为 {}", from.as_str(), to.as_str()),
        format!(
            "An invoice in state {} cannot become {}",
            from.as_str(),
            to.as_str()
        ),
    )
}

/// An invoice build's intent to take a course for billing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingIntent {
    pub invoice: String,
    /// Unix seconds.
    pub at: i64,
}

/// Whether a course counter that is taken is held by nobody: no record of the trainee's course
/// is marked billed, and no build set out to take it within the grace (`intent`). Such a
/// counter was left by a build that died between taking the course and marking the record.
pub fn course_hold_abandoned(
    marked_records: usize,
    intent: Option<&BillingIntent>,
    now: i64,
) -> bool {
    marked_records == 0 && intent.is_none_or(|i| now - i.at >= crate::IN_FLIGHT_GRACE_SECONDS)
}

/// Whether a number from a path can be an invoice's (`invoice_number`'s shape, bounded):
/// anything else is not found, and never reaches a store key.
pub fn plausible_invoice_number(number: &str) -> bool {
    (1..=80).contains(&number.len())
        && number
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An invoice's number: county, platform, month of the assessments (`YYYYMM`) and the
/// platform's sequence in that month, e.g. `370902-wljnpx-202003-1`.
pub fn invoice_number(
    county: &CountyCode,
    platform: &PlatformId,
    month: &str,
    sequence: i64,
) -> String {
    format!("{county}-{platform}-{}-{sequence}", month.replace('-', ""))
}

impl Invoice {
    /// A new invoice, issued now.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        number: String,
        county: CountyCode,
        county_name: String,
        platform_id: PlatformId,
        platform_name: String,
        period: String,
        fund: String,
        lines: Vec<InvoiceLine>,
        change: Change,
    ) -> Invoice {
        Invoice {
            total: lines.iter().map(|l| l.amount).sum(),
            number,
            county,
            county_name,
            platform_id,
            platform_name,
            period,
            fund,
            lines,
            state: InvoiceState::Issued,
            transitions: vec![Transition {
                from: None,
                to: InvoiceState::Issued,
                changed: change,
                reason: None,
            }],
            payment: None,
            recoveries: Vec::new(),
            build: None,
            lines_freed: 0,
            feed_marks: Vec::new(),
        }
    }

    /// An invoice whose build goes on in further steps: its lines so far, and its progress.
    #[allow(clippy::too_many_arguments)]
    pub fn building(
        number: String,
        county: CountyCode,
        county_name: String,
        platform_id: PlatformId,
        platform_name: String,
        period: String,
        fund: String,
        change: Change,
    ) -> Invoice {
        let mut invoice = Invoice::issue(
            number,
            county,
            county_name,
            platform_id,
            platform_name,
            period,
            fund,
            Vec::new(),
            change,
        );
        invoice.state = InvoiceState::Building;
        invoice.transitions[0].to = InvoiceState::Building;
        invoice.build = Some(BuildProgress::default());
        invoice
    }

    /// The building invoice after a step that judged the month's records through slot
    /// `after`, billed `lines` (kept apart, in pages) and held `held`; with `finished`, the
    /// build is done and the invoice issued, by `change`.
    pub fn stepped(
        &self,
        lines: &[InvoiceLine],
        after: u64,
        held: usize,
        finished: Option<Change>,
    ) -> Invoice {
        let mut next = self.clone();
        next.total = self.total + lines.iter().map(|l| l.amount).sum::<Yuan>();
        let progress = self.build.clone().unwrap_or_default();
        next.build = Some(BuildProgress {
            after,
            steps: progress.steps + 1,
            held: progress.held + held,
        });
        if let Some(change) = finished {
            next.build = None;
            next.state = InvoiceState::Issued;
            // Built in one step, it was never seen building: it was simply issued.
            let from = (progress.steps > 0).then_some(InvoiceState::Building);
            if from.is_none() {
                next.transitions.clear();
            }
            next.transitions.push(Transition {
                from,
                to: InvoiceState::Issued,
                changed: change,
                reason: None,
            });
        }
        next
    }

    /// Whether a record marked with this invoice's number is one of its lines: every record
    /// an issued invoice marked is; a building one's only once the step that marked it was
    /// committed. A cancelled invoice bills nothing.
    pub fn bills_mark(&self, record: &CompletionRecord) -> bool {
        self.bills()
            && match &self.build {
                None => true,
                Some(progress) => record.billed_step.is_some_and(|s| s <= progress.steps),
            }
    }

    fn moved(
        &self,
        to: InvoiceState,
        change: Change,
        reason: Option<String>,
    ) -> Result<Invoice, Reason> {
        // Asked again for what it already is (a retry whose first answer was lost): unchanged.
        if self.state == to {
            return Ok(self.clone());
        }
        let allowed = matches!(
            (self.state, to),
            (InvoiceState::Issued, InvoiceState::Approved)
                | (InvoiceState::Approved, InvoiceState::Paid)
                | (
                    InvoiceState::Building | InvoiceState::Issued | InvoiceState::Approved,
                    InvoiceState::Cancelled
                )
        );
        if !allowed {
            return Err(wrong_state(self.state, to));
        }
        let mut next = self.clone();
        next.transitions.push(Transition {
            from: Some(self.state),
            to,
            changed: change,
            reason,
        });
        next.state = to;
        Ok(next)
    }

    /// Who moved it to `state`, if anyone did.
    fn moved_by(&self, state: InvoiceState) -> Option<&str> {
        (self.transitions.iter())
            .rfind(|t| t.to == state)
            .map(|t| t.changed.by.as_str())
    }

    /// Approved by someone other than its issuer.
    pub fn approved(&self, change: Change) -> Result<Invoice, Reason> {
        if self.state == InvoiceState::Issued
            && self.moved_by(InvoiceState::Issued) == Some(change.by.as_str())
        {
            return Err(crate::claim_action::four_eyes(
                "开具发票的人员不能同时审批该发票",
                "Whoever issued an invoice may not also approve it",
            ));
        }
        self.moved(InvoiceState::Approved, change, None)
    }

    /// Paid with `payment`, by someone other than its approver; again with the same payment,
    /// unchanged; with another, refused.
    pub fn paid(&self, payment: Payment, change: Change) -> Result<Invoice, Reason> {
        if let Some(paid) = &self.payment
            && paid != &payment
        {
            return Err(crate::payment::paid_otherwise());
        }
        if self.state == InvoiceState::Approved
            && self.moved_by(InvoiceState::Approved) == Some(change.by.as_str())
        {
            return Err(crate::claim_action::four_eyes(
                "审批发票的人员不能同时办理支付",
                "Whoever approved an invoice may not also pay it",
            ));
        }
        let mut next = self.moved(InvoiceState::Paid, change, None)?;
        next.payment = Some(payment);
        Ok(next)
    }

    /// Cancelled before payment, with the reason: its lines are billable again.
    pub fn cancelled(&self, change: Change, reason: String) -> Result<Invoice, Reason> {
        self.moved(InvoiceState::Cancelled, change, Some(reason))
    }

    /// A line of the paid invoice found wrongly paid: `amount` (at most the line's) is to be
    /// recovered. Asked again for the same, unchanged. `line` is the invoice's line of the
    /// record, if it has one (its lines are stored apart).
    pub fn line_recovery_started(
        &self,
        record_id: &str,
        line: Option<&InvoiceLine>,
        amount: Yuan,
        reason: String,
        change: Change,
    ) -> Result<Invoice, Reason> {
        if self.state != InvoiceState::Paid {
            return Err(Reason::new(
                "invoice_not_paid",
                "仅已支付的发票可追回",
                "Only a paid invoice's lines are recovered",
            ));
        }
        let line = (line.filter(|l| l.record_id == record_id)).ok_or_else(|| {
            Reason::new(
                "no_such_line",
                "发票中没有该记录",
                "The invoice has no line for this record",
            )
            .at("record_id")
        })?;
        if let Some(known) = self.recoveries.iter().find(|r| r.record_id == record_id) {
            if known.amount == amount {
                return Ok(self.clone());
            }
            return Err(Reason::new(
                "recovery_started",
                "该行已在追回中",
                "This line is being recovered already",
            ));
        }
        if amount.is_zero() || amount > line.amount {
            return Err(Reason::new(
                "invalid_recovery_amount",
                format!("追回金额应大于0且不超过该行的 {}", line.amount),
                format!(
                    "The amount to recover is above 0 and at most the line's {}",
                    line.amount
                ),
            )
            .at("amount"));
        }
        let mut next = self.clone();
        next.recoveries.push(LineRecovery {
            record_id: record_id.to_owned(),
            amount,
            reason,
            started: change,
            recovered: None,
        });
        Ok(next)
    }

    /// The money of a line being recovered came back, by `payment`.
    pub fn line_recovered(&self, record_id: &str, payment: Payment) -> Result<Invoice, Reason> {
        let mut next = self.clone();
        let recovery = (next.recoveries.iter_mut())
            .find(|r| r.record_id == record_id)
            .ok_or_else(|| {
                Reason::new(
                    "no_recovery",
                    "该行没有追回记录",
                    "No recovery was started for this line",
                )
            })?;
        match &recovery.recovered {
            Some(done) if *done == payment => Ok(self.clone()),
            Some(_) => Err(crate::payment::paid_otherwise()),
            None => {
                recovery.recovered = Some(payment);
                Ok(next)
            }
        }
    }

    /// What was recovered of its lines.
    pub fn recovered_amount(&self) -> Yuan {
        (self.recoveries.iter())
            .filter(|r| r.recovered.is_some())
            .map(|r| r.amount)
            .sum()
    }

    /// Whether it bills its lines: a cancelled invoice bills nothing.
    pub fn bills(&self) -> bool {
        self.state != InvoiceState::Cancelled
    }

    /// One row per line, then a total row: for the finance office's spreadsheet, as CSV or
    /// a workbook (`export::Sheet`).
    pub fn to_sheet(&self) -> crate::export::Sheet {
        use crate::export::Cell;
        let rows = self
            .lines
            .iter()
            .map(|line| {
                vec![
                    Cell::Code(self.number.clone()),
                    Cell::Code(self.county.to_string()),
                    Cell::Code(self.platform_id.to_string()),
                    Cell::text(self.platform_name.clone()),
                    Cell::Code(self.period.clone()),
                    Cell::text(self.fund.clone()),
                    Cell::Code(self.state.as_str().to_owned()),
                    Cell::Code(line.record_id.clone()),
                    Cell::Code(line.trainee.clone()),
                    Cell::text(line.trainee_name.clone()),
                    Cell::Code(line.occupation.to_string()),
                    Cell::Code(line.level.code().to_owned()),
                    Cell::Decimal(line.study_hours.value().to_string()),
                    Cell::Date(line.assessed_on),
                    Cell::Amount(line.local_standard),
                    Cell::Decimal(line.share.to_string()),
                    Cell::Amount(line.amount),
                ]
            })
            .collect();
        let mut total = vec![Cell::Empty; 17];
        total[0] = Cell::Code(self.number.clone());
        total[7] = Cell::text("TOTAL");
        total[16] = Cell::Amount(self.total);
        crate::export::Sheet {
            name: "发票".into(),
            title: format!(
                "{} {} {} 平台补贴发票 {}（{}）",
                self.county_name, self.platform_name, self.period, self.number, self.fund
            ),
            header: vec![
                "invoice_number",
                "county",
                "platform_id",
                "platform_name",
                "period",
                "fund",
                "state",
                "record_id",
                "trainee",
                "trainee_name",
                "occupation",
                "level",
                "study_hours",
                "assessed_on",
                "local_standard",
                "share",
                "amount",
            ],
            rows,
            totals: vec![total],
        }
    }

    /// The name a download of it is saved under: county, platform, period, "发票".
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}-发票",
            self.county_name, self.platform_name, self.period
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completion::tests::record;
    use crate::standards::{StandardInput, SubsidyStandard};

    fn change() -> Change {
        Change::new("op", "2020-04-01T00:00:00Z".parse().unwrap())
    }

    fn by(who: &str) -> Change {
        Change::new(who, "2020-04-02T00:00:00Z".parse().unwrap())
    }

    fn seed() -> PlatformRegister {
        PlatformRegister::seed_for(&CountyCode::parse("370902").unwrap())
    }

    fn standards(amount: &str) -> StandardsTable {
        let input = StandardInput {
            occupation: "4-03-02-01".into(),
            occupation_name: None,
            level: "5".into(),
            standard: crate::DecimalText(amount.into()),
            valid_from: Some("2020-02-06".into()),
            reason: None,
        };
        (StandardsTable::default())
            .with_standard(
                SubsidyStandard::parse_one(input, &change()).unwrap(),
                "2020-04-01".parse().unwrap(),
                &change(),
            )
            .unwrap()
    }

    #[test]
    fn a_course_hold_is_abandoned_only_with_no_marked_record_and_a_stale_intent() {
        let intent = BillingIntent {
            invoice: "370902-wljnpx-202003-1".into(),
            at: 1_000,
        };
        assert!(
            !course_hold_abandoned(1, None, 1_000_000),
            "a record holds it"
        );
        assert!(
            !course_hold_abandoned(0, Some(&intent), 1_599),
            "a build may be on its way"
        );
        assert!(course_hold_abandoned(0, Some(&intent), 1_600));
        assert!(course_hold_abandoned(0, None, 0));
    }

    #[test]
    fn invoice_numbers_name_county_platform_month_and_sequence() {
        let number = invoice_number(
            &CountyCode::parse("370902").unwrap(),
            &PlatformId::parse("wljnpx").unwrap(),
            "2020-03",
            7,
        );
        assert_eq!(number, "370902-wljnpx-202003-7");
    }

    #[test]
    fn a_line_is_twenty_percent_of_the_local_standard_to_the_fen() {
        let book = PolicyBook::built_in();
        let line = bill_line(&book, &standards("1234.57"), &seed(), true, &record("r1")).unwrap();
        assert_eq!(line.amount.to_string(), "246.91");
        assert_eq!(line.local_standard.to_string(), "1234.57");
        assert_eq!(line.share.to_string(), "0.20");
        let line = bill_line(&book, &standards("1234.58"), &seed(), true, &record("r1")).unwrap();
        assert_eq!(line.amount.to_string(), "246.92");
    }

    #[test]
    fn lines_are_held_with_every_reason() {
        let book = PolicyBook::built_in();
        let mut late = record("r1");
        late.facts.assessment.date = "2020-07-01".parse().unwrap();
        let held = bill_line(&book, &StandardsTable::default(), &seed(), false, &late).unwrap_err();
        let codes: Vec<&str> = held.reasons.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            [
                "key_group_not_verified",
                "no_local_standard",
                "outside_policy_window"
            ]
        );
        let mut elsewhere = record("r2");
        elsewhere.platform_id = PlatformId::parse("unlisted").unwrap();
        let held = bill_line(&book, &standards("1000"), &seed(), true, &elsewhere).unwrap_err();
        assert_eq!(held.reasons[0].code, "platform_not_approved");
    }

    #[test]
    fn a_build_in_steps_bills_only_what_its_committed_steps_marked() {
        let book = PolicyBook::built_in();
        let line = bill_line(&book, &standards("1000"), &seed(), true, &record("r1")).unwrap();
        let building = Invoice::building(
            "370902-wljnpx-202003-1".into(),
            CountyCode::parse("370902").unwrap(),
            "泰山区".into(),
            PlatformId::parse("wljnpx").unwrap(),
            "互联网+职业技能培训网".into(),
            "2020-03".into(),
            "职业技能提升行动专账资金".into(),
            by("pk_a"),
        );
        let first = building.stepped(std::slice::from_ref(&line), 250, 3, None);
        assert_eq!(first.state, InvoiceState::Building);
        assert_eq!(first.total.to_string(), "200.00");
        let progress = BuildProgress {
            after: 250,
            steps: 1,
            held: 3,
        };
        assert_eq!(first.build, Some(progress));
        let number = "370902-wljnpx-202003-1";
        let of_step = |step| record("r1").billed_by(number, step, 1_000);
        assert!(first.bills_mark(&of_step(1)));
        assert!(!first.bills_mark(&of_step(2)), "a step not committed");
        // Neither approved nor paid while building; cancelled, it bills nothing.
        assert_eq!(
            first.approved(by("op-finance")).unwrap_err().code,
            "invalid_transition"
        );
        let cancelled = first.cancelled(by("op-finance"), "x".into()).unwrap();
        assert!(!cancelled.bills_mark(&of_step(1)));

        let issued = first.stepped(&[line.clone(), line], 400, 0, Some(by("pk_b")));
        assert_eq!(
            (issued.state, issued.build.clone()),
            (InvoiceState::Issued, None)
        );
        assert_eq!(issued.total.to_string(), "600.00");
        let moves: Vec<_> = (issued.transitions.iter())
            .map(|t| (t.from, t.to, t.changed.by.as_str()))
            .collect();
        assert_eq!(
            moves,
            [
                (None, InvoiceState::Building, "pk_a"),
                (Some(InvoiceState::Building), InvoiceState::Issued, "pk_b")
            ]
        );
        assert!(issued.bills_mark(&of_step(7)));
        // Built in one step, it was simply issued.
        let at_once = building.stepped(&[], 9, 0, Some(by("pk_a")));
        assert_eq!(at_once.transitions.len(), 1);
        assert_eq!(at_once.transitions[0].from, None);
    }

    #[test]
    fn invoices_move_issued_approved_paid_and_no_other_way() {
        let invoice = two_line_invoice();
        assert_eq!(invoice.total.to_string(), "400.00");
        let payment = Payment {
            reference: "BANK-1".into(),
            paid_on: "2020-04-10".parse().unwrap(),
        };
        assert_eq!(
            invoice.paid(payment.clone(), change()).unwrap_err().code,
            "invalid_transition"
        );
        // Four eyes: the issuer does not approve, the approver does not pay.
        assert_eq!(invoice.approved(change()).unwrap_err().code, "four_eyes");
        let approved = invoice.approved(by("op-finance-a")).unwrap();
        // Approving again (a retry) changes nothing.
        assert_eq!(approved.approved(by("op-finance-a")).unwrap(), approved);
        assert_eq!(
            approved
                .paid(payment.clone(), by("op-finance-a"))
                .unwrap_err()
                .code,
            "four_eyes"
        );
        let paid = approved.paid(payment.clone(), by("op-finance-b")).unwrap();
        assert_eq!(paid.state, InvoiceState::Paid);
        assert_eq!(paid.transitions.len(), 3);
        assert_eq!(
            paid.paid(payment.clone(), by("op-finance-b")).unwrap(),
            paid
        );
        // Cancelled before payment only; a cancelled invoice bills nothing.
        assert_eq!(
            paid.cancelled(change(), "x".into()).unwrap_err().code,
            "invalid_transition"
        );
        let cancelled = approved.cancelled(change(), "金额有误".into()).unwrap();
        assert!(!cancelled.bills() && approved.bills());
        assert_eq!(cancelled.transitions[2].reason.as_deref(), Some("金额有误"));
        let other = Payment {
            reference: "BANK-2".into(),
            ..payment
        };
        assert_eq!(paid.paid(other, change()).unwrap_err().code, "already_paid");
        assert_eq!(
            paid.approved(change()).unwrap_err().code,
            "invalid_transition"
        );
    }

    /// Issued by `change()` for two lines of 200.00 (record r1).
    fn two_line_invoice() -> Invoice {
        let book = PolicyBook::built_in();
        let line = bill_line(&book, &standards("1000"), &seed(), true, &record("r1")).unwrap();
        Invoice::issue(
            "370902-wljnpx-202003-1".into(),
            CountyCode::parse("370902").unwrap(),
            "泰山区".into(),
            PlatformId::parse("wljnpx").unwrap(),
            "互联网+职业技能培训网".into(),
            "2020-03".into(),
            "职业技能提升行动专账资金".into(),
            vec![line.clone(), line],
            change(),
        )
    }

    #[test]
    fn a_paid_line_found_wrongly_paid_is_recovered_once_and_the_invoice_exports() {
        let payment = Payment {
            reference: "BANK-1".into(),
            paid_on: "2020-04-10".parse().unwrap(),
        };
        let approved = two_line_invoice().approved(by("op-finance-a")).unwrap();
        let paid = approved.paid(payment.clone(), by("op-finance-b")).unwrap();
        // A line found wrongly paid: recovered, at most its amount, once.
        let line = Yuan::parse("200").unwrap();
        let r1 = paid.lines.iter().find(|l| l.record_id == "r1");
        assert_eq!(
            approved
                .line_recovery_started("r1", r1, line, "x".into(), change())
                .unwrap_err()
                .code,
            "invoice_not_paid"
        );
        assert_eq!(
            paid.line_recovery_started("r1", None, line, "x".into(), change())
                .unwrap_err()
                .code,
            "no_such_line"
        );
        assert_eq!(
            paid.line_recovery_started(
                "r1",
                r1,
                Yuan::parse("200.01").unwrap(),
                "x".into(),
                change()
            )
            .unwrap_err()
            .code,
            "invalid_recovery_amount"
        );
        let recovering = paid
            .line_recovery_started("r1", r1, line, "冒名".into(), change())
            .unwrap();
        assert_eq!(
            recovering
                .line_recovery_started("r1", r1, line, "冒名".into(), change())
                .unwrap(),
            recovering
        );
        assert_eq!(recovering.recovered_amount(), Yuan::ZERO);
        let recovered = recovering.line_recovered("r1", payment.clone()).unwrap();
        assert_eq!(recovered.recovered_amount(), line);
        let csv = String::from_utf8(paid.to_sheet().to_csv()[3..].to_vec()).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 4);
        assert!(
            rows[1].contains(
                ",paid,r1,370***********1231,张三,4-03-02-01,5,24,2020-03-15,1000.00,0.20,200.00"
            ),
            "{}",
            rows[1]
        );
        assert!(rows[3].ends_with(",400.00") && rows[3].contains("TOTAL"));
        assert!(rows[1].contains("互联网+职业技能培训网"));
    }

    #[test]
    fn state_names_are_the_serialized_names() {
        for state in [
            InvoiceState::Issued,
            InvoiceState::Approved,
            InvoiceState::Paid,
        ] {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
        let refused = wrong_state(InvoiceState::Paid, InvoiceState::Approved);
        assert_eq!(
            refused.message_en,
            "An invoice in state paid cannot become approved"
        );
    }
}
