//! 公示: before an approved claim is paid, the county publishes it (a batch a day) for the
//! working days its policy version sets (`calendar`), name and ID masked, so that anyone may
//! object (异议). An objection is kept with the claim and sends it back to review; a claim is
//! paid only once its notice has ended (money invariant 9, `docs/rules.md`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    Change, ClaimStatus, Reason,
    calendar::NoticePeriod,
    claim::{Claim, ClaimTransition},
};

/// The notice a claim was published in: the day's batch, its first and last working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimNotice {
    /// The publication day, which names the batch (`/api/notices/{day}`).
    pub batch: NaiveDate,
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub published: Change,
}

/// An objection filed during the notice. `contact` is shown to the county, never to the
/// trainee nor published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact: String,
    pub filed: Change,
}

/// Who an objection's transition names: the public, not a person.
pub const OBJECTOR: &str = "public";

pub fn publicity_required() -> Reason {
    Reason::new(
        "publicity_required",
        "该申领尚未公示，公示期满后方可支付",
        "The claim has not been published: it is paid after its notice ends",
    )
}

pub fn publicity_period_running(until: NaiveDate) -> Reason {
    Reason::new(
        "publicity_period_running",
        format!("该申领正在公示，{until} 公示期满后方可支付"),
        format!("The claim is under public notice until {until}; it is paid after that"),
    )
}

fn publicity_period_over(until: NaiveDate) -> Reason {
    Reason::new(
        "publicity_period_over",
        format!("公示期已于 {until} 结束，不再受理异议"),
        format!("The notice ended on {until}: objections are no longer taken"),
    )
}

fn not_published_here() -> Reason {
    Reason::new(
        "not_in_notice",
        "该批公示中没有这笔申领",
        "This notice does not list that claim",
    )
    .at("claim_id")
}

impl Claim {
    /// Published in `period` (a batch of the day `published.at`): only an approved claim not
    /// published yet. Published already, it is left as it is (a retry).
    pub fn published(&self, period: NoticePeriod, published: Change) -> Result<Claim, Reason> {
        if self.notice.is_some() {
            return Ok(self.clone());
        }
        if self.status != ClaimStatus::Approved {
            return Err(crate::claim_action::not_now(
                self.status,
                ClaimStatus::Approved,
            ));
        }
        Ok(Claim {
            notice: Some(ClaimNotice {
                batch: crate::dates::day_of(&published.at),
                from: period.from,
                until: period.until,
                published,
            }),
            ..self.clone()
        })
    }

    /// An objection to the claim in the notice of `batch`, on day `today`: kept, and an
    /// approved claim goes back to review (a claim back in review already only keeps it).
    pub fn objected(
        &self,
        batch: NaiveDate,
        objection: Objection,
        today: NaiveDate,
    ) -> Result<Claim, Reason> {
        let notice = (self.notice.as_ref())
            .filter(|n| n.batch == batch)
            .ok_or_else(not_published_here)?;
        if today > notice.until {
            return Err(publicity_period_over(notice.until));
        }
        let mut next = self.clone();
        if self.status == ClaimStatus::Approved {
            next.transitions.push(ClaimTransition {
                from: Some(self.status),
                to: ClaimStatus::Submitted,
                changed: objection.filed.clone(),
                reason: Some(format!("异议：{}", objection.reason)),
            });
            next.status = ClaimStatus::Submitted;
        } else if self.status != ClaimStatus::Submitted {
            return Err(publicity_period_over(notice.until));
        }
        next.objections.push(objection);
        Ok(next)
    }

    /// Whether an approved claim may be paid on `today`: published, and its notice over. (A
    /// claim whose payment came back was published before its first payment.)
    pub fn notice_allows_payment(&self, today: NaiveDate) -> Result<(), Reason> {
        if self.status != ClaimStatus::Approved {
            return Ok(());
        }
        match &self.notice {
            None => Err(publicity_required()),
            Some(notice) if today <= notice.until => Err(publicity_period_running(notice.until)),
            Some(_) => Ok(()),
        }
    }
}

/// One line of a published notice: what the public sees of a claim.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeEntry<'a> {
    pub claim_id: &'a str,
    /// The surname and a `*` for each other character: 张*.
    pub name: String,
    pub resident_id: &'a str,
    pub occupation: &'a crate::OccupationCode,
    pub level: crate::SkillLevel,
    pub platform_id: &'a crate::PlatformId,
    pub platform_name: String,
    pub amount: crate::Yuan,
    pub from: NaiveDate,
    pub until: NaiveDate,
    /// Objections filed so far (what they say is the county's).
    pub objections: usize,
}

/// 张三 → 张*, 欧阳娜娜 → 欧***.
pub fn masked_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

impl Claim {
    /// The claim as its notice publishes it, when it is in the notice of `batch`.
    pub fn notice_entry(&self, batch: NaiveDate, platform_name: String) -> Option<NoticeEntry<'_>> {
        let notice = self.notice.as_ref().filter(|n| n.batch == batch)?;
        Some(NoticeEntry {
            claim_id: &self.id,
            name: masked_name(&self.trainee_name),
            resident_id: &self.resident_id,
            occupation: &self.occupation,
            level: self.level,
            platform_id: &self.platform_id,
            platform_name,
            amount: self.amount,
            from: notice.from,
            until: notice.until,
            objections: self.objections.len(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The claim as published in a notice long over: payable.
    pub(crate) fn after_notice(claim: &Claim) -> Claim {
        let long_ago: NaiveDate = "2000-01-03".parse().unwrap();
        let published = Change::new("op-reviewer", "2000-01-03T00:00:00Z".parse().unwrap());
        let period = NoticePeriod {
            from: long_ago,
            until: long_ago,
            working_days: 1,
        };
        claim.published(period, published).unwrap()
    }

    #[test]
    fn an_approved_claim_is_paid_after_its_notice_and_an_objection_sends_it_back() {
        let claim = crate::claim::tests::approved_claim();
        assert_eq!(
            claim
                .notice_allows_payment("2020-04-30".parse().unwrap())
                .unwrap_err()
                .code,
            "publicity_required"
        );
        let period = crate::calendar::WorkingCalendar::built_in()
            .notice("2020-04-30".parse().unwrap(), 5)
            .unwrap();
        let at = "2020-04-30T02:00:00Z".parse().unwrap();
        let published = claim.published(period, Change::new("op-r", at)).unwrap();
        let day = |d: &str| -> NaiveDate { d.parse().unwrap() };
        let running = published
            .notice_allows_payment(day("2020-05-09"))
            .unwrap_err();
        assert_eq!(running.code, "publicity_period_running");
        assert!(published.notice_allows_payment(day("2020-05-10")).is_ok());
        let objection = Objection {
            reason: "已就业".into(),
            contact: "138".into(),
            filed: Change::new(OBJECTOR, "2020-05-06T02:00:00Z".parse().unwrap()),
        };
        let objected =
            (published.objected(day("2020-04-30"), objection.clone(), day("2020-05-06"))).unwrap();
        assert_eq!(objected.status, ClaimStatus::Submitted);
        assert_eq!(objected.objections.len(), 1);
        let wrong_batch =
            published.objected(day("2020-05-01"), objection.clone(), day("2020-05-06"));
        assert_eq!(wrong_batch.unwrap_err().code, "not_in_notice");
        let late = published.objected(day("2020-04-30"), objection, day("2020-05-11"));
        assert_eq!(late.unwrap_err().code, "publicity_period_over");
    }

    #[test]
    fn names_are_masked_after_the_surname() {
        assert_eq!(masked_name("张三"), "张*");
        assert_eq!(masked_name("欧阳娜娜"), "欧***");
        assert_eq!(masked_name(""), "");
    }
}
