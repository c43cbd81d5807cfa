//! A claim for the living allowance: made by a trainee from one completion record, reviewed,
//! approved or rejected, paid. Every transition is recorded.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    AllParsed, Change, Course, OccupationCode, PersonGroup, PersonKey, PlatformId, Reason,
    ResidentId, SkillLevel, StudyHours, Yuan, bounded_text,
    claim_action::ClaimAction,
    claim_status::ClaimStatus,
    completion::CompletionRecord,
    eligibility::{KeyGroupStatus, Outcome, Verdict},
    optional_field,
    payment::Payment,
};

/// The queue a submitted claim waits in until a reviewer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewQueue {
    /// The registry confirmed the key group: approvable in bulk.
    Verified,
    /// The key group is only declared: a reviewer checks it claim by claim.
    Review,
}

impl ReviewQueue {
    /// Where a claim goes, by what the registry said of its key group.
    pub fn for_key_group(status: KeyGroupStatus) -> ReviewQueue {
        match status {
            KeyGroupStatus::Verified => ReviewQueue::Verified,
            _ => ReviewQueue::Review,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewQueue::Verified => "verified",
            ReviewQueue::Review => "review",
        }
    }

    pub fn parse(input: &str) -> Result<ReviewQueue, Reason> {
        match input {
            "verified" => Ok(ReviewQueue::Verified),
            "review" => Ok(ReviewQueue::Review),
            _ => Err(Reason::new(
                "invalid_queue",
                "kind 应为 review 或 verified",
                "kind is review or verified",
            )),
        }
    }
}

/// What the trainee adds to their completion record when claiming: the rest comes from the
/// record, never from the trainee.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    pub group: PersonGroup,
    pub graduation_date: Option<NaiveDate>,
    pub employed: Option<bool>,
    pub payee: Payee,
}

/// A submission, ready to become a claim once the rules have judged it.
pub struct Submission<'a> {
    pub id: String,
    pub resident_id: &'a ResidentId,
    pub person: &'a PersonKey,
    pub record: &'a CompletionRecord,
    pub request: &'a ClaimRequest,
    /// The `Idempotency-Key` it came with, and its request's fingerprint
    /// (`request_fingerprint`).
    pub idempotency: Option<(String, String)>,
    /// How many of its platform's records share the record's pattern of dates and hours
    /// (`completion::pattern_flag`).
    pub shared_pattern: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayeeKind {
    /// 社会保障卡 (its financial account).
    SocialSecurityCard,
    BankAccount,
}

/// Where the allowance is paid. The account is kept whole for finance and shown masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payee {
    pub kind: PayeeKind,
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    /// The account holder, when not the trainee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayeeInput {
    pub kind: String,
    pub account: String,
    #[serde(default)]
    pub bank_name: Option<String>,
    /// The account holder's name; by default the trainee.
    #[serde(default)]
    pub holder_name: Option<String>,
}

impl PayeeInput {
    pub fn parse(self) -> Result<Payee, Vec<Reason>> {
        let kind = match self.kind.as_str() {
            "social_security_card" => Ok(PayeeKind::SocialSecurityCard),
            "bank_account" => Ok(PayeeKind::BankAccount),
            _ => Err(vec![
                Reason::new(
                    "invalid_payee_kind",
                    "收款方式应为 social_security_card（社会保障卡）或 bank_account（银行账户）",
                    "The payee kind is social_security_card or bank_account",
                )
                .at("payee.kind"),
            ]),
        };
        let account: String = self
            .account
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let account =
            if (12..=30).contains(&account.len()) && account.bytes().all(|b| b.is_ascii_digit()) {
                Ok(account)
            } else {
                Err(vec![
                    Reason::new(
                        "invalid_account",
                        "收款账号应为12至30位数字",
                        "The account number is 12 to 30 digits",
                    )
                    .at("payee.account"),
                ])
            };
        let bank_name = optional_field("payee.bank_name", self.bank_name.as_deref(), |name| {
            bounded_text(name, 50)
        });
        let bank_named = match (&kind, &bank_name) {
            (Ok(PayeeKind::BankAccount), Ok(None)) => Err(vec![
                Reason::new(
                    "bank_name_required",
                    "银行账户须填写开户行",
                    "A bank account needs the bank's name",
                )
                .at("payee.bank_name"),
            ]),
            _ => Ok(()),
        };
        let holder_name = optional_field("payee.holder_name", self.holder_name.as_deref(), |n| {
            bounded_text(n, 50)
        });
        let (kind, account, bank_name, (), holder_name) =
            (kind, account, bank_name, bank_named, holder_name).all_parsed()?;
        Ok(Payee {
            kind,
            account,
            bank_name,
            holder_name,
        })
    }
}

impl Payee {
    /// The last 4 digits only.
    pub fn masked(&self) -> Payee {
        let tail = &self.account[self.account.len() - 4..];
        Payee {
            account: format!("{}{tail}", "*".repeat(self.account.len() - 4)),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimTransition {
    pub from: Option<ClaimStatus>,
    pub to: ClaimStatus,
    pub changed: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimPayment {
    pub reference: String,
    pub paid_on: NaiveDate,
    pub fund: String,
}

/// Approved claims as the bank's payment batch (代发): who is paid (the account holder, by
/// default the trainee), where, how much, the claim as the reference, and the total.
pub fn payment_batch(claims: &[Claim], title: String) -> crate::export::Sheet {
    use crate::export::Cell;
    let rows = claims
        .iter()
        .map(|c| {
            vec![
                Cell::Code(c.id.clone()),
                Cell::text(c.trainee_name.clone()),
                Cell::text(
                    c.payee
                        .holder_name
                        .clone()
                        .unwrap_or_else(|| c.trainee_name.clone()),
                ),
                Cell::Code(
                    match c.payee.kind {
                        PayeeKind::SocialSecurityCard => "social_security_card",
                        PayeeKind::BankAccount => "bank_account",
                    }
                    .to_owned(),
                ),
                Cell::Code(c.payee.account.clone()),
                Cell::text(c.payee.bank_name.clone().unwrap_or_default()),
                Cell::Amount(c.amount),
                Cell::text(c.fund.clone()),
            ]
        })
        .collect();
    let mut total = vec![Cell::Empty; 8];
    total[0] = Cell::text("TOTAL");
    total[1] = Cell::Count(claims.len() as u64);
    total[6] = Cell::Amount(claims.iter().map(|c| c.amount).sum());
    crate::export::Sheet {
        name: "代发".into(),
        title,
        header: vec![
            "claim_id",
            "trainee_name",
            "holder_name",
            "payee_kind",
            "account",
            "bank_name",
            "amount",
            "fund",
        ],
        rows,
        totals: vec![total],
    }
}

/// Whether an id from a path can be a claim's (`c-` and hex, as `Submission` ids are made):
/// anything else is not found, and never reaches a store key.
pub fn plausible_claim_id(id: &str) -> bool {
    id.len() <= 40
        && id
            .strip_prefix("c-")
            .is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A payment the bank returned, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnedPayment {
    pub payment: ClaimPayment,
    pub reason: String,
    pub changed: Change,
}

/// What is to be recovered of a paid claim, and once recovered, how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    pub amount: Yuan,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<Payment>,
}

/// A claim as stored. Its `occupation`, `level`, `assessed_on` and `status` are what the rules
/// read back as the person's claim history (`PriorClaim`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub id: String,
    pub person: PersonKey,
    /// Masked.
    pub resident_id: String,
    pub platform_id: PlatformId,
    pub record_id: String,
    /// The trainee's name, as the platform's record gives it.
    #[serde(default)]
    pub trainee_name: String,
    pub occupation: OccupationCode,
    pub level: SkillLevel,
    pub study_hours: StudyHours,
    pub assessed_on: NaiveDate,
    pub status: ClaimStatus,
    pub amount: Yuan,
    pub fund: String,
    pub key_group: PersonGroup,
    /// A graduate's declarations, shown to the reviewer: when they left school, and that they
    /// are not employed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graduation_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employed: Option<bool>,
    /// At submission: verified from the registry, or declared only.
    pub key_group_status: KeyGroupStatus,
    pub policy_version: String,
    pub payee: Payee,
    pub consent: Change,
    pub transitions: Vec<ClaimTransition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<ClaimPayment>,
    /// Payments the bank returned, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returned_payments: Vec<ReturnedPayment>,
    /// Money to recover (追回), once the claim was found wrongly paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<Recovery>,
    /// Why a reviewer must decide it on its own (its record was flagged), never in bulk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
    /// The submission's `Idempotency-Key`: a retry with it finds this claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The fingerprint of the request that made it (`request_fingerprint`): a retry with the
    /// key and another request is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_fingerprint: Option<String>,
    /// The event feeds' slots this document's changes announced (`events`): its mark there
    /// is what makes a slot an event. Never shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feed_marks: Vec<String>,
    /// 公示: the notice it was published in, once approved (`publicity.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<crate::publicity::ClaimNotice>,
    /// Objections filed during its notice, each kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objections: Vec<crate::publicity::Objection>,
}

/// A keyed hash of what a submission asked for (the record and everything the trainee added),
/// so that a retry can be told from another request sent with the same `Idempotency-Key`
/// without keeping the request. Keyed, so that it reveals nothing of the payee account.
pub fn request_fingerprint(
    secret: &[u8],
    platform: &PlatformId,
    record_id: &str,
    request: &ClaimRequest,
) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    let canonical = serde_json::json!([
        "claim-request/v1",
        platform,
        record_id,
        request.group,
        request.graduation_date,
        request.employed,
        request.payee,
    ]);
    mac.update(canonical.to_string().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

impl Claim {
    /// A claim made now by the trainee from their record, and the queue it waits in. An
    /// ineligible verdict makes no claim: every reason comes back instead.
    pub fn submit(
        submission: Submission,
        verdict: &Verdict,
        at: DateTime<Utc>,
    ) -> Result<(Claim, ReviewQueue), Vec<Reason>> {
        let amount = match (verdict.outcome, verdict.amount) {
            (Outcome::Eligible | Outcome::NeedsReview, Some(amount)) => amount,
            _ => return Err(verdict.reasons.clone()),
        };
        let f = &submission.record.facts;
        let change = Change::new(&submission.resident_id.masked(), at);
        let claim = Claim {
            id: submission.id,
            person: submission.person.clone(),
            resident_id: submission.resident_id.masked(),
            platform_id: submission.record.platform_id.clone(),
            record_id: f.record_id.clone(),
            trainee_name: f.trainee.name.clone(),
            occupation: f.occupation.clone(),
            level: f.level,
            study_hours: f.study_hours,
            assessed_on: f.assessment.date,
            status: ClaimStatus::Submitted,
            amount,
            fund: verdict.fund.clone(),
            key_group: submission.request.group,
            graduation_date: submission.request.graduation_date,
            employed: submission.request.employed,
            key_group_status: verdict.key_group_status,
            policy_version: verdict.policy_version.clone(),
            payee: submission.request.payee.clone(),
            consent: change.clone(),
            transitions: vec![ClaimTransition {
                from: None,
                to: ClaimStatus::Submitted,
                changed: change,
                reason: None,
            }],
            payment: None,
            returned_payments: Vec::new(),
            recovery: None,
            review_reason: (submission.record.flagged.clone())
                .or_else(|| crate::completion::pattern_flag(submission.shared_pattern)),
            idempotency_key: submission.idempotency.as_ref().map(|(key, _)| key.clone()),
            request_fingerprint: submission.idempotency.map(|(_, fingerprint)| fingerprint),
            feed_marks: Vec::new(),
            notice: None,
            objections: Vec::new(),
        };
        // A flagged record's claim waits for a reviewer, however verified its key group.
        let queue = match claim.review_reason {
            Some(_) => ReviewQueue::Review,
            None => ReviewQueue::for_key_group(verdict.key_group_status),
        };
        Ok((claim, queue))
    }

    fn moved(
        &self,
        to: ClaimStatus,
        change: Change,
        reason: Option<String>,
    ) -> Result<Claim, Reason> {
        // Asked again for what it already is (a retry whose first answer was lost): the claim
        // as it stands, with no second entry in its history.
        if self.status == to {
            return Ok(self.clone());
        }
        let action = ClaimAction::between(self.status, to)
            .ok_or_else(|| crate::claim_action::not_now(self.status, to))?;
        self.may(action, &change.by)?;
        let mut next = self.clone();
        next.transitions.push(ClaimTransition {
            from: Some(self.status),
            to,
            changed: change,
            reason,
        });
        next.status = to;
        Ok(next)
    }

    pub fn approved(&self, change: Change, note: Option<String>) -> Result<Claim, Reason> {
        self.moved(ClaimStatus::Approved, change, note)
    }

    pub fn rejected(&self, change: Change, reason: String) -> Result<Claim, Reason> {
        self.moved(ClaimStatus::Rejected, change, Some(reason))
    }

    pub fn withdrawn(&self, change: Change) -> Result<Claim, Reason> {
        self.moved(ClaimStatus::Withdrawn, change, None)
    }

    /// Paid with `payment`, by someone other than its approver. Paying a paid claim again with
    /// the same payment is a retry and changes nothing; with another payment it is refused:
    /// the allowance is paid once. After a returned payment it is paid anew.
    pub fn paid(&self, change: Change, payment: Payment) -> Result<Claim, Reason> {
        if self.status == ClaimStatus::Paid
            && let Some(paid) = &self.payment
        {
            if paid.reference != payment.reference || paid.paid_on != payment.paid_on {
                return Err(crate::payment::paid_otherwise());
            }
            return Ok(self.clone());
        }
        let today = crate::dates::day_of(&change.at);
        let mut next = self.moved(ClaimStatus::Paid, change, None)?;
        self.notice_allows_payment(today)?;
        next.payment = Some(ClaimPayment {
            reference: payment.reference,
            paid_on: payment.paid_on,
            fund: self.fund.clone(),
        });
        Ok(next)
    }

    /// What, in the facts as they are now, stands against approving it: its record gone or
    /// voided, or its platform no longer approved for the assessment day. Every reason.
    pub fn recheck(
        &self,
        record: Option<&CompletionRecord>,
        platforms: &crate::PlatformRegister,
    ) -> Vec<Reason> {
        let mut reasons = Vec::new();
        match record {
            Some(r) if r.void_reason.is_none() => {}
            _ => reasons.push(crate::completion::ClaimBlocked::Void.reason()),
        }
        reasons.extend(platforms.check_training_platform(&self.platform_id, self.assessed_on));
        reasons
    }

    /// The course it holds: its 职业 (a 工种 counts as its 职业) and level.
    pub fn course(&self) -> Course {
        Course::of(&self.occupation, self.level)
    }

    /// Who approved it, if anyone did.
    pub fn approver(&self) -> Option<&str> {
        (self.transitions.iter())
            .rfind(|t| t.to == ClaimStatus::Approved)
            .map(|t| t.changed.by.as_str())
    }

    /// The bank returned the payment: kept with the reason; the claim waits for the trainee
    /// to correct the payee and for finance to pay again.
    pub fn payment_returned(&self, change: Change, reason: String) -> Result<Claim, Reason> {
        if self.status == ClaimStatus::PaymentReturned {
            return Ok(self.clone());
        }
        let mut next = self.moved(
            ClaimStatus::PaymentReturned,
            change.clone(),
            Some(reason.clone()),
        )?;
        if let Some(payment) = next.payment.take() {
            next.returned_payments.push(ReturnedPayment {
                payment,
                reason,
                changed: change,
            });
        }
        Ok(next)
    }

    /// The trainee's corrected payee, after a returned payment (recorded in the history).
    pub fn payee_corrected(&self, change: Change, payee: Payee) -> Result<Claim, Reason> {
        if self.status != ClaimStatus::PaymentReturned {
            return Err(Reason::new(
                "payee_not_changeable",
                "仅在支付被退回后可更正收款账户",
                "The payee can be corrected only after a payment was returned",
            ));
        }
        if self.payee == payee {
            return Ok(self.clone());
        }
        let mut next = self.clone();
        next.payee = payee;
        next.transitions.push(ClaimTransition {
            from: Some(self.status),
            to: self.status,
            changed: change,
            reason: Some("收款账户已更正 / payee corrected".into()),
        });
        Ok(next)
    }

    /// Found wrongly paid: `amount` (at most what was paid) is to be recovered. The claim keeps
    /// its place in the limits.
    pub fn recovery_started(
        &self,
        change: Change,
        reason: String,
        amount: Yuan,
    ) -> Result<Claim, Reason> {
        if self.status == ClaimStatus::Recovering {
            return Ok(self.clone());
        }
        if amount.value() <= rust_decimal::Decimal::ZERO || amount > self.amount {
            return Err(Reason::new(
                "invalid_recovery_amount",
                format!("追回金额应大于0且不超过已发放的 {}", self.amount),
                format!(
                    "The amount to recover is above 0 and at most the {} paid",
                    self.amount
                ),
            )
            .at("amount"));
        }
        let mut next = self.moved(ClaimStatus::Recovering, change, Some(reason.clone()))?;
        next.recovery = Some(Recovery {
            amount,
            reason,
            recovered: None,
        });
        Ok(next)
    }

    /// The money to recover came back, by `payment`.
    pub fn recovered(&self, change: Change, payment: Payment) -> Result<Claim, Reason> {
        if self.status == ClaimStatus::Recovered {
            return Ok(self.clone());
        }
        let mut next = self.moved(ClaimStatus::Recovered, change, None)?;
        if let Some(recovery) = &mut next.recovery {
            recovery.recovered = Some(payment);
        }
        Ok(next)
    }

    /// What was recovered of it.
    pub fn recovered_amount(&self) -> Yuan {
        match (&self.status, &self.recovery) {
            (ClaimStatus::Recovered, Some(r)) => r.amount,
            _ => Yuan::ZERO,
        }
    }

    /// The claim as its submission answered it: submitted, before anything happened to it.
    pub fn as_submitted(&self) -> Claim {
        Claim {
            status: ClaimStatus::Submitted,
            transitions: self.transitions[..1.min(self.transitions.len())].to_vec(),
            payment: None,
            returned_payments: Vec::new(),
            recovery: None,
            ..self.clone()
        }
    }

    /// The verdict the claim was made on: a stored claim passed every rule, so its verdict is
    /// what the claim records (eligible when the registry verified the key group, else for
    /// review, no reasons).
    pub fn verdict(&self, paying_county: &crate::CountyCode) -> Verdict {
        Verdict {
            outcome: match self.key_group_status {
                KeyGroupStatus::Verified => Outcome::Eligible,
                _ => Outcome::NeedsReview,
            },
            amount: Some(self.amount),
            fund: self.fund.clone(),
            key_group: self.key_group,
            key_group_status: self.key_group_status,
            policy_version: self.policy_version.clone(),
            paying_county: paying_county.clone(),
            reasons: Vec::new(),
        }
    }

    /// The claim as anyone is shown it: without what the store keeps for itself (the feeds'
    /// marks, the submission's idempotency key and request fingerprint). Finance sees this.
    pub fn shown(&self) -> Claim {
        Claim {
            idempotency_key: None,
            request_fingerprint: None,
            feed_marks: Vec::new(),
            ..self.clone()
        }
    }

    /// The claim as its trainee sees it: payee masked, and of each objection to it what it
    /// says, not who filed it.
    pub fn for_trainee(&self) -> Claim {
        let mut claim = self.masked();
        claim.objections.iter_mut().for_each(|o| o.contact.clear());
        claim
    }

    /// The claim as shown to anyone but finance: payee masked.
    pub fn masked(&self) -> Claim {
        Claim {
            payee: self.payee.masked(),
            ..self.shown()
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::publicity::tests::after_notice;

    /// A claim approved by a reviewer, not yet published.
    pub(crate) fn approved_claim() -> Claim {
        claim().approved(change(), None).unwrap()
    }

    /// A claim of 120.00 made through `Claim::submit` from the test record `r1`: a declared
    /// migrant worker, paid to a social security card.
    pub(crate) fn claim() -> Claim {
        let record = crate::completion::tests::record("r1");
        let resident_id = ResidentId::parse("11010519491231002X").unwrap();
        let request = ClaimRequest {
            group: PersonGroup::MigrantWorker,
            graduation_date: None,
            employed: None,
            payee: PayeeInput {
                kind: "social_security_card".into(),
                account: "6217 0012 3456 7890 123".into(),
                bank_name: None,
                holder_name: None,
            }
            .parse()
            .unwrap(),
        };
        let submission = Submission {
            id: "c-1".into(),
            resident_id: &resident_id,
            person: &PersonKey::derive(b"s", &resident_id),
            record: &record,
            request: &request,
            idempotency: None,
            shared_pattern: 1,
        };
        let declared = verdict(Outcome::NeedsReview, KeyGroupStatus::NeedsReview, vec![]);
        let at = "2020-03-20T00:00:00Z".parse().unwrap();
        Claim::submit(submission, &declared, at).unwrap().0
    }

    fn payment(reference: &str, paid_on: NaiveDate) -> Payment {
        Payment {
            reference: reference.into(),
            paid_on,
        }
    }

    fn change() -> Change {
        Change::new("op", "2020-03-21T00:00:00Z".parse().unwrap())
    }

    /// A change by finance: not the reviewer who approved.
    fn finance() -> Change {
        Change::new("op-finance", "2020-04-01T00:00:00Z".parse().unwrap())
    }

    #[test]
    fn claims_move_only_along_the_policy_states() {
        let paid_on: NaiveDate = "2020-04-01".parse().unwrap();
        let submitted = claim();
        assert_eq!(
            submitted
                .paid(change(), payment("x", paid_on))
                .unwrap_err()
                .code,
            "invalid_transition"
        );
        let approved = after_notice(&submitted.approved(change(), None).unwrap());
        assert!(approved.status.verifies_key_group());
        assert_eq!(
            approved.withdrawn(change()).unwrap_err().code,
            "invalid_transition"
        );
        assert_eq!(
            approved.rejected(change(), "x".into()).unwrap_err().code,
            "invalid_transition"
        );
        assert_eq!(
            approved
                .paid(change(), payment("BANK-1", paid_on))
                .unwrap_err()
                .code,
            "four_eyes",
            "the approver does not pay"
        );
        let paid = approved
            .paid(finance(), payment("BANK-1", paid_on))
            .unwrap();
        assert_eq!(paid.payment.as_ref().unwrap().fund, "就业补助资金");
        assert_eq!(paid.transitions.len(), 3);
        // A retry of a transition that happened changes nothing; paying twice otherwise is
        // refused.
        assert_eq!(approved.approved(change(), None).unwrap(), approved);
        assert_eq!(
            paid.paid(finance(), payment("BANK-1", paid_on)).unwrap(),
            paid
        );
        assert_eq!(
            paid.paid(finance(), payment("BANK-2", paid_on))
                .unwrap_err()
                .code,
            "already_paid"
        );
        let rejected = submitted.rejected(change(), "材料不符".into()).unwrap();
        assert_eq!(rejected.transitions[1].reason.as_deref(), Some("材料不符"));
        assert!(!rejected.status.verifies_key_group());
        assert!(rejected.approved(change(), None).is_err());
        assert_eq!(
            submitted.withdrawn(change()).unwrap().status,
            ClaimStatus::Withdrawn
        );
    }

    #[test]
    fn a_returned_payment_is_paid_again_by_another_and_money_wrongly_paid_recovered() {
        let paid_on: NaiveDate = "2020-04-01".parse().unwrap();
        let approved = after_notice(&claim().approved(change(), None).unwrap());
        let paid = approved
            .paid(finance(), payment("BANK-1", paid_on))
            .unwrap();
        // The bank returns the payment; the trainee corrects the payee; finance pays again.
        let returned = paid
            .payment_returned(finance(), "账户已销户".into())
            .unwrap();
        assert_eq!(returned.status, ClaimStatus::PaymentReturned);
        assert!(returned.payment.is_none() && returned.status.counts_toward_limits());
        assert_eq!(returned.returned_payments[0].payment.reference, "BANK-1");
        assert_eq!(
            paid.payee_corrected(change(), paid.payee.clone())
                .unwrap_err()
                .code,
            "payee_not_changeable"
        );
        let new_payee = Payee {
            account: "6217001234567890999".into(),
            ..paid.payee.clone()
        };
        let corrected = returned
            .payee_corrected(change(), new_payee.clone())
            .unwrap();
        assert_eq!(corrected.payee, new_payee);
        // Four eyes after a return: who recorded it does not make the next payment.
        assert_eq!(
            (corrected.paid(finance(), payment("BANK-2", paid_on)))
                .unwrap_err()
                .code,
            "four_eyes"
        );
        let other_finance = Change::new("op-qian", "2020-04-02T00:00:00Z".parse().unwrap());
        let repaid = corrected
            .paid(other_finance, payment("BANK-2", paid_on))
            .unwrap();
        assert_eq!(repaid.status, ClaimStatus::Paid);
        assert_eq!(repaid.payment.as_ref().unwrap().reference, "BANK-2");
    }

    #[test]
    fn money_wrongly_paid_is_recovered_at_most_what_was_paid_the_place_kept() {
        let paid_on: NaiveDate = "2020-04-01".parse().unwrap();
        let approved = after_notice(&claim().approved(change(), None).unwrap());
        let repaid = approved
            .paid(finance(), payment("BANK-1", paid_on))
            .unwrap();
        // Found wrongly paid: recovered, never more than was paid, the limits still used.
        let too_much = Yuan::parse("120.01").unwrap();
        assert_eq!(
            repaid
                .recovery_started(change(), "冒名".into(), too_much)
                .unwrap_err()
                .code,
            "invalid_recovery_amount"
        );
        let recovering = repaid
            .recovery_started(change(), "冒名".into(), Yuan::parse("120").unwrap())
            .unwrap();
        assert_eq!(recovering.recovered_amount(), Yuan::ZERO);
        let recovered = recovering
            .recovered(finance(), payment("RECOVER-1", paid_on))
            .unwrap();
        assert!(
            recovered.status == ClaimStatus::Recovered && recovered.status.counts_toward_limits()
        );
        assert_eq!(
            (recovered.recovered_amount(), recovered.transitions.len()),
            (Yuan::parse("120").unwrap(), 5)
        );
    }

    fn verdict(outcome: Outcome, status: KeyGroupStatus, reasons: Vec<Reason>) -> Verdict {
        Verdict {
            outcome,
            amount: (outcome != Outcome::Ineligible).then(|| Yuan::parse("120").unwrap()),
            fund: "就业补助资金".into(),
            key_group: PersonGroup::MigrantWorker,
            key_group_status: status,
            policy_version: "shandong-2020-02".into(),
            paying_county: crate::CountyCode::parse("370902").unwrap(),
            reasons,
        }
    }

    #[test]
    fn a_claim_is_made_from_the_record_and_queued_by_what_the_registry_said() {
        let record = crate::completion::tests::record("r1");
        let resident_id = ResidentId::parse("11010519491231002X").unwrap();
        let person = PersonKey::derive(b"s", &resident_id);
        let request = ClaimRequest {
            group: PersonGroup::MigrantWorker,
            graduation_date: None,
            employed: None,
            payee: claim().payee,
        };
        let submission = || Submission {
            id: "c-1".into(),
            resident_id: &resident_id,
            person: &person,
            record: &record,
            request: &request,
            idempotency: Some(("mp-0001".into(), "f".repeat(32))),
            shared_pattern: 1,
        };
        let at = "2020-03-20T00:00:00Z".parse().unwrap();
        let verified = verdict(Outcome::Eligible, KeyGroupStatus::Verified, vec![]);
        let (claim, queue) = Claim::submit(submission(), &verified, at).unwrap();
        assert_eq!(queue, ReviewQueue::Verified);
        assert_eq!(claim.status, ClaimStatus::Submitted);
        assert_eq!(claim.amount, Yuan::parse("120").unwrap());
        assert_eq!(claim.study_hours, record.facts.study_hours);
        assert_eq!(claim.assessed_on, record.facts.assessment.date);
        assert_eq!(claim.transitions.len(), 1);
        assert_eq!(claim.transitions[0].changed.by, resident_id.masked());
        // What a retry is answered: the verdict and the claim as they were at submission.
        let county = crate::CountyCode::parse("370902").unwrap();
        assert_eq!(claim.verdict(&county), verified);
        let approved = claim.approved(Change::new("op", at), None).unwrap();
        assert_eq!(approved.as_submitted(), claim);
        assert_eq!(claim.request_fingerprint.as_deref(), Some(&*"f".repeat(32)));
        let declared = verdict(Outcome::NeedsReview, KeyGroupStatus::NeedsReview, vec![]);
        let (for_review, queue) = Claim::submit(submission(), &declared, at).unwrap();
        assert_eq!(queue, ReviewQueue::Review);
        assert_eq!(for_review.verdict(&county), declared);
        let refused = vec![Reason::new("outside_policy_window", "窗口外", "outside")];
        let ineligible = verdict(
            Outcome::Ineligible,
            KeyGroupStatus::Verified,
            refused.clone(),
        );
        assert_eq!(
            Claim::submit(submission(), &ineligible, at).unwrap_err(),
            refused
        );
    }

    #[test]
    fn a_request_fingerprint_changes_with_anything_asked_and_with_the_secret() {
        let request = ClaimRequest {
            group: PersonGroup::MigrantWorker,
            graduation_date: None,
            employed: None,
            payee: claim().payee,
        };
        let platform = PlatformId::parse("wljnpx").unwrap();
        let print = |secret: &[u8], record: &str, request: &ClaimRequest| {
            request_fingerprint(secret, &platform, record, request)
        };
        let first = print(b"s", "r1", &request);
        assert_eq!(first, print(b"s", "r1", &request));
        assert_eq!(first.len(), 32);
        assert_ne!(first, print(b"t", "r1", &request));
        assert_ne!(first, print(b"s", "r2", &request));
        let other_payee = ClaimRequest {
            payee: Payee {
                account: "6217001234567890124".into(),
                ..request.payee.clone()
            },
            ..request.clone()
        };
        assert_ne!(first, print(b"s", "r1", &other_payee));
    }

    #[test]
    fn a_payment_batch_pays_the_account_holder_and_totals_the_amounts() {
        let mine = claim();
        let mut theirs = claim();
        theirs.payee.holder_name = Some("张母".into());
        let sheet = payment_batch(&[mine.clone(), theirs], "批次".into());
        let csv = String::from_utf8(sheet.to_csv()[3..].to_vec()).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(
            rows[0],
            "claim_id,trainee_name,holder_name,payee_kind,account,bank_name,amount,fund"
        );
        assert!(
            rows[1].contains(&format!(",{},", mine.trainee_name)),
            "{csv}"
        );
        assert!(rows[2].contains(",张母,social_security_card,"), "{csv}");
        assert_eq!(rows[3], "TOTAL,2,,,,,240.00,");
    }

    #[test]
    fn queues_parse_from_their_names() {
        for queue in [ReviewQueue::Verified, ReviewQueue::Review] {
            assert_eq!(ReviewQueue::parse(queue.as_str()).unwrap(), queue);
        }
        assert_eq!(
            ReviewQueue::parse("paid").unwrap_err().code,
            "invalid_queue"
        );
    }

    #[test]
    fn payees_are_validated_and_masked() {
        let payee = claim().payee;
        assert_eq!(payee.account, "6217001234567890123");
        assert_eq!(payee.masked().account, "***************0123");
        let bad = PayeeInput {
            kind: "cash".into(),
            account: "12ab".into(),
            bank_name: None,
            holder_name: None,
        }
        .parse()
        .unwrap_err();
        let codes: Vec<&str> = bad.iter().map(|r| r.code).collect();
        assert_eq!(codes, ["invalid_payee_kind", "invalid_account"]);
        let no_bank = PayeeInput {
            kind: "bank_account".into(),
            account: "622202123456789".into(),
            bank_name: None,
            holder_name: None,
        };
        assert_eq!(no_bank.parse().unwrap_err()[0].code, "bank_name_required");
    }
}
