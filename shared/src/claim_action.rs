//! What may be done with a claim, by whom, in which state: one table that the transitions
//! (`claim.rs`), the API's role checks and its `allowed_actions` all read, so that the
//! console keeps no state machine of its own.

use serde::Serialize;

use crate::{ClaimStatus, Reason, auth::Role, claim::Claim};

/// A claim as one caller sees it, and what they may do with it now.
#[derive(Debug, Serialize)]
pub struct ClaimView {
    #[serde(flatten)]
    pub claim: Claim,
    pub allowed_actions: Vec<ClaimAction>,
}

impl ClaimView {
    /// Without `pay` on `today` while the claim's 公示 forbids it (unpublished, or its notice
    /// still running): the console then offers no payment the API would refuse.
    pub fn on(mut self, today: chrono::NaiveDate) -> ClaimView {
        if self.claim.notice_allows_payment(today).is_err() {
            self.allowed_actions.retain(|a| *a != Pay);
        }
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimAction {
    /// The trainee takes back a claim not yet decided.
    Withdraw,
    /// The trainee corrects where to pay, after the bank returned a payment.
    CorrectPayee,
    Approve,
    Reject,
    /// Pay, or pay again after a returned payment.
    Pay,
    /// The bank returned the payment.
    RecordReturn,
    /// Found wrongly paid: recover (追回).
    StartRecovery,
    /// The money to recover came back.
    RecordRecovered,
    /// Anyone objected during its 公示: back to review (`publicity.rs`). No role takes it.
    Object,
}

use ClaimAction::*;
use ClaimStatus::*;

impl ClaimAction {
    pub const ALL: [ClaimAction; 9] = [
        Withdraw,
        CorrectPayee,
        Approve,
        Reject,
        Pay,
        RecordReturn,
        StartRecovery,
        RecordRecovered,
        Object,
    ];

    /// Who may take it: the trainee (on their own claim) or operators of these roles.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Withdraw | CorrectPayee => &[Role::Trainee],
            Approve | Reject => &[Role::Reviewer],
            Pay | RecordReturn | RecordRecovered => &[Role::Finance],
            StartRecovery => &[Role::Reviewer, Role::Finance],
            Object => &[],
        }
    }

    /// The states it is taken from, and the state it leaves the claim in.
    pub fn moves(self) -> (&'static [ClaimStatus], ClaimStatus) {
        match self {
            Withdraw => (&[Submitted], Withdrawn),
            CorrectPayee => (&[PaymentReturned], PaymentReturned),
            Approve => (&[Submitted], Approved),
            Reject => (&[Submitted], Rejected),
            Pay => (&[Approved, PaymentReturned], Paid),
            RecordReturn => (&[Paid], PaymentReturned),
            StartRecovery => (&[Paid], Recovering),
            RecordRecovered => (&[Recovering], Recovered),
            Object => (&[Approved], Submitted),
        }
    }

    /// The action that moves a claim from `from` to `to`, if one does.
    pub fn between(from: ClaimStatus, to: ClaimStatus) -> Option<ClaimAction> {
        (ClaimAction::ALL.into_iter())
            .filter(|a| *a != CorrectPayee)
            .find(|a| a.moves().0.contains(&from) && a.moves().1 == to)
    }
}

pub(crate) fn not_now(from: ClaimStatus, to: ClaimStatus) -> Reason {
    Reason::new(
        "invalid_transition",
        format!("申领状态为 {}，不能变更为 {}", from.as_str(), to.as_str()),
        format!(
            "A claim in state {} cannot become {}",
            from.as_str(),
            to.as_str()
        ),
    )
}

/// Four eyes over a claim's whole history (decision).
pub fn four_eyes(zh: &str, en: &str) -> Reason {
    Reason::new("four_eyes", zh.to_owned(), en.to_owned())
}

impl Claim {
    /// Whether `by` may take `action` now: the claim's state allows it, and four eyes hold
    /// (whoever approved a claim never pays it; whoever recorded its payment as returned never
    /// makes the next payment). Roles are checked where the caller is known (`roles`).
    pub fn may(&self, action: ClaimAction, by: &str) -> Result<(), Reason> {
        let (from, to) = action.moves();
        if !from.contains(&self.status) {
            return Err(not_now(self.status, to));
        }
        if action == Pay && self.approver() == Some(by) {
            return Err(four_eyes(
                "审核批准该申领的人员不能同时办理支付",
                "Whoever approved a claim may not also pay it",
            ));
        }
        if action == Pay && self.return_recorder() == Some(by) {
            return Err(four_eyes(
                "记录支付退回的人员不能办理重新支付",
                "Whoever recorded a payment as returned may not make the next payment",
            ));
        }
        Ok(())
    }

    /// What `by`, in `role`, may do with the claim now, in the order of `ClaimAction::ALL`.
    pub fn allowed_actions(&self, role: Role, by: &str) -> Vec<ClaimAction> {
        (ClaimAction::ALL.into_iter())
            .filter(|a| a.roles().contains(&role) && self.may(*a, by).is_ok())
            .collect()
    }

    /// Whether a reviewer may approve it with a page of others (decision): only a claim whose
    /// key group the registry verified, whose record was not flagged for individual review, and
    /// whose record's pattern of dates and hours is shared by fewer than
    /// `IDENTICAL_PATTERN_FLAG` of its platform's records now (`shared_pattern`).
    pub fn approvable_in_bulk(&self, shared_pattern: i64) -> Result<(), Reason> {
        if self.key_group_status != crate::eligibility::KeyGroupStatus::Verified
            || self.review_reason.is_some()
            || crate::completion::pattern_flag(shared_pattern).is_some()
        {
            return Err(Reason::new(
                "needs_individual_review",
                "重点群体身份未经登记核实，须逐件审核",
                "The key group is declared only: review this claim on its own",
            ));
        }
        Ok(())
    }

    /// The claim as `role` sees it: finance, who pays to it, sees the whole payee account;
    /// everyone else (the trainee included) its last four digits.
    pub fn as_seen_by(&self, role: Role) -> Claim {
        match role {
            Role::Finance => self.shown(),
            Role::Trainee => self.for_trainee(),
            _ => self.masked(),
        }
    }

    /// The claim as `by`, in `role`, sees it, with what they may do with it now.
    pub fn view_for(&self, role: Role, by: &str) -> ClaimView {
        ClaimView {
            allowed_actions: self.allowed_actions(role, by),
            claim: self.as_seen_by(role),
        }
    }

    /// Who recorded the payment now returned, while the claim waits to be paid again.
    pub fn return_recorder(&self) -> Option<&str> {
        match self.status {
            PaymentReturned => (self.transitions.iter())
                .rfind(|t| t.to == PaymentReturned && t.from == Some(Paid))
                .map(|t| t.changed.by.as_str()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Change, claim::tests::claim};

    fn by(who: &str) -> Change {
        Change::new(who, chrono::Utc::now())
    }

    #[test]
    fn each_role_is_offered_what_the_state_and_four_eyes_allow() {
        let submitted = claim();
        assert_eq!(
            submitted.allowed_actions(Role::Reviewer, "li"),
            [Approve, Reject]
        );
        assert_eq!(submitted.allowed_actions(Role::Trainee, "x"), [Withdraw]);
        assert!(submitted.allowed_actions(Role::Finance, "zhao").is_empty());
        let approved =
            crate::publicity::tests::after_notice(&submitted.approved(by("li"), None).unwrap());
        assert_eq!(approved.allowed_actions(Role::Finance, "zhao"), [Pay]);
        // Four eyes: the approver holding the finance role too is not offered the payment.
        assert!(approved.allowed_actions(Role::Finance, "li").is_empty());
        let payment = crate::payment::tests::payment("B-1");
        let paid = approved.paid(by("zhao"), payment).unwrap();
        assert_eq!(
            paid.allowed_actions(Role::Finance, "zhao"),
            [RecordReturn, StartRecovery]
        );
        assert_eq!(paid.allowed_actions(Role::Reviewer, "li"), [StartRecovery]);
        let returned = paid.payment_returned(by("qian"), "销户".into()).unwrap();
        assert_eq!(returned.allowed_actions(Role::Trainee, "x"), [CorrectPayee]);
        assert_eq!(returned.allowed_actions(Role::Finance, "zhao"), [Pay]);
        assert!(returned.allowed_actions(Role::Finance, "qian").is_empty());
    }

    #[test]
    fn every_transition_is_one_action_from_its_states() {
        for action in ClaimAction::ALL {
            let (from, to) = action.moves();
            for status in ClaimStatus::ALL {
                let expected = from.contains(&status);
                let claim = Claim { status, ..claim() };
                assert_eq!(
                    claim.may(action, "nobody").is_ok(),
                    expected,
                    "{action:?} {status:?}"
                );
            }
            if action != CorrectPayee {
                assert_eq!(ClaimAction::between(from[0], to), Some(action));
            }
        }
    }

    #[test]
    fn only_a_registry_verified_unflagged_claim_is_approved_in_bulk() {
        let declared = claim();
        assert_eq!(
            declared.approvable_in_bulk(1).unwrap_err().code,
            "needs_individual_review"
        );
        let verified = Claim {
            key_group_status: crate::eligibility::KeyGroupStatus::Verified,
            ..claim()
        };
        assert!(verified.approvable_in_bulk(19).is_ok());
        assert!(
            verified.approvable_in_bulk(20).is_err(),
            "a pattern reported 20 times"
        );
        let flagged = Claim {
            review_reason: Some("同批".into()),
            ..verified.clone()
        };
        assert!(flagged.approvable_in_bulk(1).is_err());
        assert_eq!(verified.as_seen_by(Role::Finance).payee, verified.payee);
        assert_ne!(verified.as_seen_by(Role::Reviewer).payee, verified.payee);
    }
}
