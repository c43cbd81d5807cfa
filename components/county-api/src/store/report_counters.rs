//! The province report's counters, moved by every claim change, and a month's recount.

use super::*;

impl Store {
    /// Moves the report's counters (`report::deltas`). The claim's change has landed: a
    /// failure here must not undo or deny it, so it is logged, naming the month to recount.
    /// A kill here likewise leaves the counters behind the claims until the month's recount
    /// (`recount_report_month`) sets them right.
    pub(super) fn count_in_report(&self, deltas: &[report::Delta]) {
        if let Err(error) = self.try_count_in_report(deltas) {
            let months: Vec<&str> = deltas.iter().map(|d| d.group.month.as_str()).collect();
            let line = format!(
                "report_counters_behind: months {months:?} need POST /api/admin/report-recount: {}\n",
                error.reason
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        }
    }

    /// A row counted for the first time is listed under its month, and a month under the
    /// report, by whoever counts it first. A kill between counting and listing leaves a row
    /// counted and unlisted, which the month's recount lists.
    pub(super) fn try_count_in_report(&self, deltas: &[report::Delta]) -> Result<(), ApiError> {
        let county = &self.county;
        for delta in deltas {
            let (month, cell) = (&delta.group.month, delta.group.cell());
            let counter = |name: &str| store_keys::report_cell(county, month, &cell, name);
            let moved = report::Tally {
                count: delta.count,
                fen: delta.fen,
            };
            let after = report::Tally::from_packed(self.add(&counter("tally"), moved.packed())?);
            // Counted from none: listed, by whoever counts it first (`listed` says who).
            if delta.count > 0
                && after.count == delta.count
                && self.add(&counter("listed"), 1)? == 1
            {
                self.list_report_row(month, &cell)?;
            }
            if delta.recovered_fen != 0 {
                self.add(
                    &store_keys::report_recovered_fen(county, month),
                    delta.recovered_fen,
                )?;
            }
        }
        Ok(())
    }

    pub(super) fn list_report_row(&self, month: &str, cell: &str) -> Result<(), ApiError> {
        if self.add(&store_keys::report_month_listed(&self.county, month), 1)? == 1 {
            self.append(&store_keys::report_months(&self.county), month)?;
        }
        self.append(&store_keys::report_cells(&self.county, month), cell)
    }

    /// The report's rows of months `from` to `to` (`YYYY-MM`, inclusive; open when absent) and
    /// the fen recovered in them, from the counters: a batch read a month, none per claim.
    pub fn report_rows(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(BTreeMap<report::Group, report::Tally>, i64), ApiError> {
        let county = &self.county;
        let mut rows = BTreeMap::new();
        let mut recovered = 0;
        for month in self.entries(&store_keys::report_months(county))? {
            if from.is_some_and(|f| month.as_str() < f) || to.is_some_and(|t| month.as_str() > t) {
                continue;
            }
            let cells = self.entries(&store_keys::report_cells(county, &month))?;
            let mut keys: Vec<String> = (cells.iter())
                .flat_map(|cell| self.row_counters(&month, cell))
                .collect();
            keys.push(store_keys::report_recovered_fen(county, &month));
            self.prefetch(&keys);
            for cell in cells {
                if let Some(group) = report::Group::from_cell(&month, &cell) {
                    rows.insert(group, self.report_cell_tally(&month, &cell)?);
                }
            }
            recovered += self.counter_signed(&store_keys::report_recovered_fen(county, &month))?;
        }
        Ok((rows, recovered))
    }

    /// A row's counters: its tally, and the count and fen an earlier version kept apart
    /// (no longer moved, still counted).
    fn row_counters(&self, month: &str, cell: &str) -> [String; 3] {
        ["tally", "count", "fen"]
            .map(|name| store_keys::report_cell(&self.county, month, cell, name))
    }

    /// One step of a recount of `month`'s report from its claims: up to `limit` more claims
    /// are tallied (progress is kept under `report_recount`); once every claim is, the
    /// counters that differ are returned (`None` before) and, with `repair`, set to the tally. Exact when no
    /// claim of the month changes during the recount; a change meanwhile is set right by the
    /// next recount.
    pub fn recount_report_month(
        &self,
        month: &str,
        limit: u64,
        repair: bool,
    ) -> Result<(report::Recount, Option<Vec<report::Difference>>), ApiError> {
        let county = &self.county;
        let progress_key = store_keys::report_recount(county, month);
        let mut recount: report::Recount = self.get_json(&progress_key)?.unwrap_or_default();
        let index = store_keys::month_claims(county, month);
        let slots = self.counter(&index.counter())?;
        let until = slots.min(recount.through.saturating_add(limit));
        let mut claims = Vec::new();
        for slot in recount.through + 1..=until {
            // A claim id is listed once: each submission draws a new one.
            if let Some(id) = self.get_json::<String>(&index.slot(slot))?
                && let Some(claim) = self.claim(&id)?
                && !claims.iter().any(|c: &Claim| c.id == claim.id)
            {
                claims.push(claim);
            }
        }
        recount.add(&claims, until);
        if until < slots {
            self.set_json(&progress_key, &recount)?;
            return Ok((recount, None));
        }
        let (mut kept, recovered) = self.report_rows(Some(month), Some(month))?;
        let listed: Vec<String> = kept.keys().map(report::Group::cell).collect();
        // Rows a kill counted but left unlisted show nothing in the report: they differ by all
        // they count, and the repair lists them.
        for cell in recount.cells() {
            if let Some(group) = report::Group::from_cell(month, cell)
                && !listed.iter().any(|l| l == cell)
            {
                kept.insert(group, report::Tally::default());
            }
        }
        let differences = recount.differences(month, &kept, recovered);
        if repair && !differences.is_empty() {
            self.set_report_right(month, &listed, &differences)?;
        }
        // Finished: the next recount of the month starts afresh.
        self.bucket.delete(&progress_key).map_err(store_error)?;
        Ok((recount, Some(differences)))
    }

    /// A report row's counters as stored, whether or not the row is listed.
    fn report_cell_tally(&self, month: &str, cell: &str) -> Result<report::Tally, ApiError> {
        let [tally, count, fen] = self.row_counters(month, cell);
        let earlier = report::Tally {
            count: self.counter_signed(&count)?,
            fen: self.counter_signed(&fen)?,
        };
        Ok(report::Tally::from_packed(self.counter_signed(&tally)?).plus(&earlier))
    }

    /// Moves each of a month's counters that differs from its recount by the difference, and
    /// lists the month and the rows that were not (`listed` are).
    fn set_report_right(
        &self,
        month: &str,
        listed: &[String],
        differences: &[report::Difference],
    ) -> Result<(), ApiError> {
        let county = &self.county;
        if !(self.entries(&store_keys::report_months(county))?.iter()).any(|m| m == month) {
            self.append(&store_keys::report_months(county), month)?;
        }
        for difference in differences {
            let Some(group) = &difference.group else {
                let key = store_keys::report_recovered_fen(county, month);
                self.add(&key, difference.fen.1 - difference.fen.0)?;
                continue;
            };
            let cell = group.cell();
            let counter = |name: &str| store_keys::report_cell(county, month, &cell, name);
            self.add(&counter("listed"), 1)?;
            if !listed.contains(&cell) {
                self.append(&store_keys::report_cells(county, month), &cell)?;
            }
            // From the counters as stored (an unlisted row's may be right already) to the
            // recount.
            let stored = self.report_cell_tally(month, &cell)?;
            let moved = report::Tally {
                count: difference.count.1 - stored.count,
                fen: difference.fen.1 - stored.fen,
            };
            if moved != report::Tally::default() {
                self.add(&counter("tally"), moved.packed())?;
            }
        }
        Ok(())
    }
}
