//! The province report (上报省厅): claim counts and amounts by key group, platform, occupation,
//! status and month of assessment, with totals.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{CountyCode, Yuan, claim::Claim, completion::month_of};

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

#[derive(Debug, Serialize)]
pub struct ProvinceReport {
    pub county: CountyCode,
    pub rows: Vec<Row>,
    pub total_count: usize,
    pub total_amount: Yuan,
}

impl ProvinceReport {
    /// Every claim counted once, in the row of its group; rows in order of their group.
    pub fn of<'a>(county: &CountyCode, claims: impl IntoIterator<Item = &'a Claim>) -> Self {
        let mut groups: BTreeMap<Group, (usize, Yuan)> = BTreeMap::new();
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
            total_amount: rows.iter().map(|r| r.amount).sum(),
            rows,
        }
    }

    /// The report as CSV, a TOTAL line last.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = csv::Writer::from_writer(Vec::new());
        let county = self.county.to_string();
        let header = [
            "county",
            "key_group",
            "platform_id",
            "occupation",
            "status",
            "month",
            "count",
            "amount",
        ];
        out.write_record(header).expect("in-memory CSV");
        for row in &self.rows {
            let g = &row.group;
            out.write_record([
                county.as_str(),
                g.key_group,
                &g.platform_id,
                &g.occupation,
                g.status,
                &g.month,
                &row.count.to_string(),
                &row.amount.to_string(),
            ])
            .expect("in-memory CSV");
        }
        out.write_record([
            county.as_str(),
            "TOTAL",
            "",
            "",
            "",
            "",
            &self.total_count.to_string(),
            &self.total_amount.to_string(),
        ])
        .expect("in-memory CSV");
        out.into_inner().expect("in-memory CSV")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_counted_and_summed_by_group_with_a_total() {
        let claim = crate::claim::tests::claim();
        let paid = Claim {
            status: crate::eligibility::ClaimStatus::Paid,
            ..claim.clone()
        };
        let county = CountyCode::parse("370902").unwrap();
        let report = ProvinceReport::of(&county, [&claim, &claim, &paid]);
        assert_eq!(report.rows.len(), 2);
        assert_eq!(report.total_count, 3);
        assert_eq!(report.total_amount, Yuan::parse("360").unwrap());
        let csv = String::from_utf8(report.to_csv()).unwrap();
        assert!(
            csv.contains("370902,migrant_worker,wljnpx,4-03-02-01,submitted,2020-03,2,240.00"),
            "{csv}"
        );
        assert!(csv.ends_with("370902,TOTAL,,,,,3,360.00\n"), "{csv}");
    }
}
