//! What finance enters when it marks a claim or an invoice paid.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{AllParsed, Reason, bounded_text, dates::parse_day, field};

/// The request body of every "mark paid" endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub reference: String,
    pub paid_on: String,
}

/// A payment as finance recorded it: the bank's or the social-security office's reference
/// (at most 64 characters) and the day it was paid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub reference: String,
    pub paid_on: NaiveDate,
}

impl TryFrom<PaymentInput> for Payment {
    type Error = Vec<Reason>;

    fn try_from(input: PaymentInput) -> Result<Payment, Vec<Reason>> {
        let (reference, paid_on) = (
            field("reference", bounded_text(&input.reference, 64)),
            field("paid_on", parse_day(&input.paid_on)),
        )
            .all_parsed()?;
        Ok(Payment { reference, paid_on })
    }
}

/// A second, different payment of something paid already.
pub fn paid_otherwise() -> Reason {
    Reason::new(
        "already_paid",
        "已按另一笔付款登记为已支付，不能重复支付",
        "Already recorded as paid by another payment; it is paid once",
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A payment of 2020-04-15 with `reference`.
    pub(crate) fn payment(reference: &str) -> Payment {
        Payment {
            reference: reference.to_owned(),
            paid_on: "2020-04-15".parse().unwrap(),
        }
    }

    #[test]
    fn both_fields_are_checked_at_once() {
        let bad = Payment::try_from(PaymentInput {
            reference: " ".into(),
            paid_on: "2020-13-01".into(),
        })
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|r| r.field.as_deref().unwrap()).collect();
        assert_eq!(fields, ["reference", "paid_on"]);
        let good = Payment::try_from(PaymentInput {
            reference: " BANK-1 ".into(),
            paid_on: "2020-04-15".into(),
        })
        .unwrap();
        assert_eq!(good.reference, "BANK-1");
    }
}
