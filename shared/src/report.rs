//! The province report (上报省厅): claim counts and amounts by key group, platform, occupation,
//! status and month of assessment, with totals.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::export::Cell;
use crate::{ClaimStatus, CountyCode, PersonGroup, Yuan, claim::Claim, completion::month_of};

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

impl Group {
    /// The row a claim counts in.
    pub fn of(claim: &Claim) -> Group {
        Group {
            key_group: claim.key_group.code(),
            platform_id: claim.platform_id.to_string(),
            occupation: claim.course().occupation.to_string(),
            status: claim.status.as_str(),
            month: month_of(claim.assessed_on),
        }
    }

    /// The row's name within its month, for store keys: `{key_group}:{platform}:{occupation}:
    /// {status}` (each part is free of `:`).
    pub fn cell(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.key_group, self.platform_id, self.occupation, self.status
        )
    }

    /// The row a cell of `month` names; `None` for a name no claim could have written.
    pub fn from_cell(month: &str, cell: &str) -> Option<Group> {
        let mut parts = cell.split(':');
        let (Some(group), Some(platform), Some(occupation), Some(status), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        Some(Group {
            key_group: PersonGroup::parse(group).ok()?.code(),
            platform_id: platform.to_owned(),
            occupation: occupation.to_owned(),
            status: ClaimStatus::ALL
                .into_iter()
                .find(|s| s.as_str() == status)?
                .as_str(),
            month: month.to_owned(),
        })
    }
}

/// What one claim adds to the report: a claim in its row, at its amount, and what was
/// recovered of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub group: Group,
    pub fen: i64,
    pub recovered_fen: i64,
}

impl Contribution {
    pub fn of(claim: &Claim) -> Contribution {
        Contribution {
            group: Group::of(claim),
            fen: claim.amount.fen(),
            recovered_fen: claim.recovered_amount().fen(),
        }
    }
}

/// One change of the report's counters: a row's count and fen, and the month's recovered fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub group: Group,
    pub count: i64,
    pub fen: i64,
    pub recovered_fen: i64,
}

/// How the report's counters move when a claim goes from `before` (none: a new claim) to
/// `after`: nothing when its row, amount and recovery are unchanged.
pub fn deltas(before: Option<&Claim>, after: &Claim) -> Vec<Delta> {
    let after = Contribution::of(after);
    let before = before.map(Contribution::of);
    if before.as_ref() == Some(&after) {
        return Vec::new();
    }
    let mut deltas = Vec::new();
    if let Some(before) = before {
        deltas.push(Delta {
            group: before.group,
            count: -1,
            fen: -before.fen,
            recovered_fen: -before.recovered_fen,
        });
    }
    deltas.push(Delta {
        group: after.group,
        count: 1,
        fen: after.fen,
        recovered_fen: after.recovered_fen,
    });
    deltas
}

/// A row's counters, as read back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    pub count: i64,
    pub fen: i64,
}

/// Fen a row's tally keeps below its count: the count moves in units of 2^40, so that one
/// atomic increment moves both (a row's count and money never part), and any fen total of a
/// row within ±2^39 (5.4 billion yuan) reads back exactly.
const FEN_BITS: u32 = 40;

impl Tally {
    /// The row's count and fen as one counter's value (or one increment of it).
    pub fn packed(&self) -> i64 {
        (self.count << FEN_BITS) + self.fen
    }

    /// A counter's value read as a row's count and fen.
    pub fn from_packed(value: i64) -> Tally {
        let count = (value + (1 << (FEN_BITS - 1))) >> FEN_BITS;
        Tally {
            count,
            fen: value - (count << FEN_BITS),
        }
    }

    pub fn plus(&self, other: &Tally) -> Tally {
        Tally {
            count: self.count + other.count,
            fen: self.fen + other.fen,
        }
    }
}

impl ProvinceReport {
    /// Every claim counted once, in the row of its group; rows in order of their group.
    pub fn of<'a>(county: &CountyCode, claims: impl IntoIterator<Item = &'a Claim>) -> Self {
        let (rows, recovered) = tally(claims);
        ProvinceReport::from_rows(county, rows, recovered)
    }

    /// The report from its rows' counters and the recovered fen: what the county's counters
    /// hold, read at a cost of the rows, not the claims. Rows counted empty are left out.
    pub fn from_rows(
        county: &CountyCode,
        rows: BTreeMap<Group, Tally>,
        recovered_fen: i64,
    ) -> Self {
        let mut by_status: Vec<StatusTotal> = ClaimStatus::ALL
            .iter()
            .map(|s| StatusTotal {
                status: s.as_str(),
                count: 0,
                amount: Yuan::ZERO,
            })
            .collect();
        let mut paid = Yuan::ZERO;
        let rows: Vec<Row> = (rows.into_iter())
            .filter(|(_, tally)| tally.count > 0)
            .map(|(group, tally)| Row {
                group,
                count: tally.count as usize,
                amount: Yuan::from_fen(tally.fen),
            })
            .collect();
        for row in &rows {
            if let Some(total) = by_status.iter_mut().find(|t| t.status == row.group.status) {
                total.count += row.count;
                total.amount = total.amount + row.amount;
            }
            if ClaimStatus::ALL
                .iter()
                .any(|s| s.as_str() == row.group.status && s.money_paid_out())
            {
                paid = paid + row.amount;
            }
        }
        let recovered = Yuan::from_fen(recovered_fen);
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
        let county = || Cell::Code(self.county.to_string());
        let rows = (self.rows.iter())
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
            totals: self.total_rows(),
        }
    }

    /// The sheet's totals: a row per status, then paid, recovered and their difference.
    fn total_rows(&self) -> Vec<Vec<Cell>> {
        let county = || Cell::Code(self.county.to_string());
        let mut totals: Vec<Vec<Cell>> = (self.by_status.iter())
            .filter(|t| t.count > 0)
            .map(|t| {
                let (status, count) =
                    (Cell::Code(t.status.to_owned()), Cell::Count(t.count as u64));
                let mut row = vec![county(), Cell::text("TOTAL"), Cell::Empty, Cell::Empty];
                row.extend([status, Cell::Empty, count, Cell::Amount(t.amount)]);
                row
            })
            .collect();
        for (line, amount) in [
            ("PAID", self.paid_amount),
            ("RECOVERED", self.recovered_amount),
            ("PAID_MINUS_RECOVERED", self.net_paid_amount),
        ] {
            let mut row = vec![county(), Cell::text(line)];
            row.extend(std::iter::repeat_n(Cell::Empty, 5));
            row.push(Cell::Amount(amount));
            totals.push(row);
        }
        totals
    }
}

/// A recount of one month's report from its claims, kept between the steps that make it.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Recount {
    /// Slots of the month's claim index tallied so far.
    pub through: u64,
    pub claims: u64,
    /// By `Group::cell`: claims and fen.
    rows: BTreeMap<String, (i64, i64)>,
    recovered_fen: i64,
}

/// A counter of a month's report that differs from its recount: a row's (`group`) count and
/// fen, or (no group) the month's recovered fen; `(kept, recounted)` each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    pub count: (i64, i64),
    pub fen: (i64, i64),
}

impl Recount {
    /// Tallies `claims` (each read once, from slots up to `through`).
    pub fn add(&mut self, claims: &[Claim], through: u64) {
        for claim in claims {
            let c = Contribution::of(claim);
            let row = self.rows.entry(c.group.cell()).or_default();
            row.0 += 1;
            row.1 += c.fen;
            self.recovered_fen += c.recovered_fen;
            self.claims += 1;
        }
        self.through = through;
    }

    /// The rows (`Group::cell`) the claims tallied so far count in.
    pub fn cells(&self) -> impl Iterator<Item = &str> {
        self.rows.keys().map(String::as_str)
    }

    /// What the kept counters of `month` (rows, recovered fen) get wrong.
    pub fn differences(
        &self,
        month: &str,
        kept: &BTreeMap<Group, Tally>,
        kept_recovered: i64,
    ) -> Vec<Difference> {
        let mut differences = Vec::new();
        let kept: BTreeMap<String, (i64, i64)> = (kept.iter())
            .map(|(group, tally)| (group.cell(), (tally.count, tally.fen)))
            .collect();
        let mut cells: Vec<&String> = kept.keys().chain(self.rows.keys()).collect();
        cells.sort();
        cells.dedup();
        for cell in cells {
            let kept_row = kept.get(cell).copied().unwrap_or_default();
            let recounted = self.rows.get(cell).copied().unwrap_or_default();
            if kept_row != recounted {
                differences.push(Difference {
                    group: Group::from_cell(month, cell),
                    count: (kept_row.0, recounted.0),
                    fen: (kept_row.1, recounted.1),
                });
            }
        }
        if kept_recovered != self.recovered_fen {
            differences.push(Difference {
                group: None,
                count: (0, 0),
                fen: (kept_recovered, self.recovered_fen),
            });
        }
        differences
    }
}

/// The rows and recovered fen of `claims`, as the counters should hold them (a recount).
pub fn tally<'a>(claims: impl IntoIterator<Item = &'a Claim>) -> (BTreeMap<Group, Tally>, i64) {
    let mut rows: BTreeMap<Group, Tally> = BTreeMap::new();
    let mut recovered = 0;
    for claim in claims {
        let c = Contribution::of(claim);
        let row = rows.entry(c.group).or_default();
        row.count += 1;
        row.fen += c.fen;
        recovered += c.recovered_fen;
    }
    (rows, recovered)
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

    #[test]
    fn a_transition_moves_a_claim_between_rows_and_the_counters_give_the_same_report() {
        let submitted = crate::claim::tests::claim();
        let mut recovered = Claim {
            status: ClaimStatus::Recovered,
            ..submitted.clone()
        };
        recovered.recovery = Some(crate::claim::Recovery {
            amount: Yuan::parse("100").unwrap(),
            reason: "冒名".into(),
            recovered: None,
        });
        assert!(deltas(Some(&submitted), &submitted).is_empty());
        let moved = deltas(Some(&submitted), &recovered);
        assert_eq!(moved.len(), 2);
        assert_eq!((moved[0].count, moved[0].fen), (-1, -12_000));
        assert_eq!((moved[1].count, moved[1].recovered_fen), (1, 10_000));
        assert_eq!(moved[1].group.status, "recovered");

        // Counters kept by the deltas give the report a recount gives.
        let mut rows: BTreeMap<Group, Tally> = BTreeMap::new();
        let mut recovered_fen = 0;
        for delta in deltas(None, &submitted)
            .into_iter()
            .chain(deltas(None, &submitted))
            .chain(moved)
        {
            let row = rows.entry(delta.group).or_default();
            row.count += delta.count;
            row.fen += delta.fen;
            recovered_fen += delta.recovered_fen;
        }
        let county = CountyCode::parse("370902").unwrap();
        let kept = ProvinceReport::from_rows(&county, rows, recovered_fen);
        let recounted = ProvinceReport::of(&county, [&submitted, &recovered]);
        assert_eq!(
            serde_json::to_value(&kept).unwrap(),
            serde_json::to_value(&recounted).unwrap()
        );
        let group = Group::of(&recovered);
        assert_eq!(Group::from_cell(&group.month, &group.cell()), Some(group));
        assert_eq!(Group::from_cell("2020-03", "a:b"), None);
    }

    #[test]
    fn a_rows_count_and_fen_move_as_one_counter_and_read_back_exactly() {
        let cases = [
            (0, 0),
            (1, 12_000),
            (3, 36_000),
            (-1, -12_000),
            (-2, 5_000),
            (7, -9),
        ];
        for (count, fen) in cases {
            let tally = Tally { count, fen };
            assert_eq!(Tally::from_packed(tally.packed()), tally);
        }
        // Increments add as the rows do: one claim in, another in, the first out.
        let moved = [(1, 12_000), (1, 6_000), (-1, -12_000)]
            .map(|(count, fen)| Tally { count, fen }.packed())
            .iter()
            .sum::<i64>();
        assert_eq!(
            Tally::from_packed(moved),
            Tally {
                count: 1,
                fen: 6_000
            }
        );
    }
}
