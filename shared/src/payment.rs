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

impl Payment {
    /// A payment as finance entered it, on `today` (China Standard Time): a reference of at
    /// most 64 characters and a day not after today (money is recorded as it moved, never
    /// ahead of it).
    pub fn parse(input: PaymentInput, today: NaiveDate) -> Result<Payment, Vec<Reason>> {
        let paid_on = parse_day(&input.paid_on).and_then(|day| match day > today {
            true => Err(crate::dates::in_future(day, today)),
            false => Ok(day),
        });
        let (reference, paid_on) = (
            field("reference", bounded_text(&input.reference, 64)),
            field("paid_on", paid_on),
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
        let today = "2020-05-01".parse().unwrap();
        let bad = Payment::parse(
            PaymentInput {
                reference: " ".into(),
                paid_on: "2020-13-01".into(),
            },
            today,
        )
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|r| r.field.as_deref().unwrap()).collect();
        assert_eq!(fields, ["reference", "paid_on"]);
        let good = Payment::parse(
            PaymentInput {
                reference: " BANK-1 ".into(),
                paid_on: "2020-04-15".into(),
            },
            today,
        )
        .unwrap();
        assert_eq!(good.reference, "BANK-1");
        // Paid tomorrow: refused, naming the day.
        let ahead = PaymentInput {
            reference: "BANK-2".into(),
            paid_on: "2020-05-02".into(),
        };
        let refused = Payment::parse(ahead, today).unwrap_err();
        assert_eq!(
            (refused[0].code, refused[0].field.as_deref()),
            ("date_in_future", Some("paid_on"))
        );
    }
}
