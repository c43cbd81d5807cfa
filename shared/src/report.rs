//! The province report (上报省厅): claim counts and amounts by key group, platform, occupation,
//! status and month of assessment, with totals.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{CountyCode, Yuan, claim::Claim, completion::month_of, eligibility::ClaimStatus};

#[derive(Debug, Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Group {
    pub key_group: &'static str,
    pub platform_id: String,
    pub occupation: String,
    pub status: &'static str,
    pub month: String,
}

#[derive(Debug, Serialize)]
pub struct Row {
    #[serde(flatten)]
    pub group: Group,
    pub count: usize,
    pub amount: Yuan,
}

/// Claims in one status, and what they claim.
#[derive(Debug, Serialize)]
pub struct StatusTotal {
    pub status: &'static str,
    pub count: usize,
    pub amount: Yuan,
}

#[derive(Debug, Serialize)]
pub struct ProvinceReport {
    pub county: CountyCode,
    pub rows: Vec<Row>,
    /// Every status, in the order of the claim's life, with what its claims claim.
    pub by_status: Vec<StatusTotal>,
    pub total_count: usize,
    /// Paid out: claims paid, and paid claims whose money is being or was recovered.
    pub paid_amount: Yuan,
    /// Recovered (追回) of paid claims.
    pub recovered_amount: Yuan,
    /// The headline: paid minus recovered.
    pub net_paid_amount: Yuan,
}

impl ProvinceReport {
    /// Every claim counted once, in the row of its group; rows in order of their group.
    pub fn of<'a>(county: &CountyCode, claims: impl IntoIterator<Item = &'a Claim>) -> Self {
        let mut groups: BTreeMap<Group, (usize, Yuan)> = BTreeMap::new();
        let mut by_status: Vec<StatusTotal> = ClaimStatus::ALL
            .iter()
            .map(|s| StatusTotal {
                status: s.as_str(),
                count: 0,
                amount: Yuan::ZERO,
            })
            .collect();
        let (mut paid, mut recovered) = (Yuan::ZERO, Yuan::ZERO);
        for claim in claims {
            let group = Group {
                key_group: claim.key_group.code(),
                platform_id: claim.platform_id.to_string(),
                occupation: claim.occupation.to_string(),
                status: claim.status.as_str(),
                month: month_of(claim.assessed_on),
            };
            let entry = groups.entry(group).or_insert((0, Yuan::ZERO));
            entry.0 += 1;
            entry.1 = entry.1 + claim.amount;
            if let Some(total) = by_status
                .iter_mut()
                .find(|t| t.status == claim.status.as_str())
            {
                total.count += 1;
                total.amount = total.amount + claim.amount;
            }
            if claim.status.money_paid_out() {
                paid = paid + claim.amount;
            }
            recovered = recovered + claim.recovered_amount();
        }
        let rows: Vec<Row> = groups
            .into_iter()
            .map(|(group, (count, amount))| Row {
                group,
                count,
                amount,
            })
            .collect();
        ProvinceReport {
            county: county.clone(),
            total_count: rows.iter().map(|r| r.count).sum(),
            rows,
            by_status,
            paid_amount: paid,
            recovered_amount: recovered,
            net_paid_amount: paid - recovered,
        }
    }

    /// The report for a spreadsheet (CSV or workbook): its rows, a total line per status,
    /// then what was paid, recovered, and paid minus recovered.
    pub fn to_sheet(&self, title: String) -> crate::export::Sheet {
        use crate::export::Cell;
        let county = || Cell::Code(self.county.to_string());
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let g = &row.group;
                vec![
                    county(),
                    Cell::Code(g.key_group.to_owned()),
                    Cell::Code(g.platform_id.clone()),
                    Cell::Code(g.occupation.clone()),
                    Cell::Code(g.status.to_owned()),
                    Cell::Code(g.month.clone()),
                    Cell::Count(row.count as u64),
                    Cell::Amount(row.amount),
                ]
            })
            .collect();
        let mut totals: Vec<Vec<Cell>> = (self.by_status.iter())
            .filter(|t| t.count > 0)
            .map(|t| {
                vec![
                    county(),
                    Cell::text("TOTAL"),
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Code(t.status.to_owned()),
                    Cell::Empty,
                    Cell::Count(t.count as u64),
                    Cell::Amount(t.amount),
                ]
            })
            .collect();
        for (line, amount) in [
            ("PAID", self.paid_amount),
            ("RECOVERED", self.recovered_amount),
            ("PAID_MINUS_RECOVERED", self.net_paid_amount),
        ] {
            let mut row = vec![county(), Cell::text(line)];
            row.extend([
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]);
            row.push(Cell::Amount(amount));
            totals.push(row);
        }
        crate::export::Sheet {
            name: "上报省厅".into(),
            title,
            header: vec![
                "county",
                "key_group",
                "platform_id",
                "occupation",
                "status",
                "month",
                "count",
                "amount",
            ],
            rows,
            totals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_counted_and_summed_by_group_and_status_and_the_headline_is_paid_minus_recovered()
    {
        let claim = crate::claim::tests::claim();
        let with = |status| Claim {
            status,
            ..claim.clone()
        };
        let paid = with(ClaimStatus::Paid);
        let rejected = with(ClaimStatus::Rejected);
        let mut recovered = with(ClaimStatus::Recovered);
        recovered.recovery = Some(crate::claim::Recovery {
            amount: Yuan::parse("100").unwrap(),
            reason: "冒名".into(),
            recovered: None,
        });
        let county = CountyCode::parse("370902").unwrap();
        let report = ProvinceReport::of(&county, [&claim, &claim, &paid, &rejected, &recovered]);
        assert_eq!(report.rows.len(), 4);
        assert_eq!(report.total_count, 5);
        // Paid out: the paid claim and the one recovered (120 + 120); recovered 100.
        assert_eq!(report.paid_amount, Yuan::parse("240").unwrap());
        assert_eq!(report.recovered_amount, Yuan::parse("100").unwrap());
        assert_eq!(report.net_paid_amount, Yuan::parse("140").unwrap());
        let submitted = &report.by_status[0];
        assert_eq!((submitted.status, submitted.count), ("submitted", 2));
        let csv = String::from_utf8(report.to_sheet("t".into()).to_csv()[3..].to_vec())
            .unwrap()
            .replace("\r\n", "\n");
        assert!(
            csv.contains("370902,migrant_worker,wljnpx,4-03-02-01,submitted,2020-03,2,240.00"),
            "{csv}"
        );
        assert!(csv.contains("370902,TOTAL,,,rejected,,1,120.00\n"), "{csv}");
        assert!(
            csv.ends_with(
                "370902,PAID,,,,,,240.00\n370902,RECOVERED,,,,,,100.00\n370902,PAID_MINUS_RECOVERED,,,,,,140.00\n"
            ),
            "{csv}"
        );
    }
}
