//! Invoices: the invoice and its lines in pages, built in steps.

use super::*;

impl Store {
    /// The next invoice number of a platform for a month.
    pub fn next_invoice_number(
        &self,
        platform: &PlatformId,
        month: &str,
    ) -> Result<String, ApiError> {
        let key = store_keys::invoice_sequence(&self.county, platform, month);
        let n = atomics::increment(&self.bucket, &key, 1).map_err(store_error)?;
        Ok(subsidy_rules::invoice::invoice_number(
            &self.county,
            platform,
            month,
            n,
        ))
    }

    /// An invoice with every line: for its export. Answers read one page (`invoice_page`).
    pub fn invoice(&self, number: &str) -> Result<Option<Invoice>, ApiError> {
        let Some(stored) = self.invoice_header(number)? else {
            return Ok(None);
        };
        let mut invoice = stored.invoice;
        for page in 0..stored.line_pages {
            invoice.lines.extend(self.invoice_lines(number, page)?);
        }
        Ok(Some(invoice))
    }

    /// A stored page of an invoice's lines, which must exist.
    pub(super) fn invoice_lines(
        &self,
        number: &str,
        page: u32,
    ) -> Result<Vec<InvoiceLine>, ApiError> {
        let key = store_keys::invoice_lines(&self.county, number, page);
        self.get_json(&key)?.ok_or_else(|| {
            ApiError::server(
                ErrorKind::Internal,
                "store_damaged",
                "发票数据不完整，请联系系统管理员",
                "The invoice's data is incomplete; the log names the missing part",
                format_args!("{key} is missing"),
            )
        })
    }

    /// An invoice as stored, without its lines (none for one stored in pages): its state,
    /// totals and line count, for a single read.
    pub fn invoice_header(&self, number: &str) -> Result<Option<StoredInvoice>, ApiError> {
        self.get_json(&store_keys::invoice(&self.county, number))
    }

    /// An invoice with page `page` (from 0) of its lines only: a read of the invoice and one
    /// of its pages, whatever its size. `None` if there is no such invoice; a page past the
    /// last has no lines.
    pub fn invoice_page(&self, number: &str, page: usize) -> Result<Option<InvoicePage>, ApiError> {
        match self.invoice_header(number)? {
            Some(stored) => self.with_page(stored, page).map(Some),
            None => Ok(None),
        }
    }

    /// A stored invoice with page `page` of its lines (a read of that page).
    pub fn with_page(
        &self,
        mut stored: StoredInvoice,
        page: usize,
    ) -> Result<InvoicePage, ApiError> {
        // What the feeds confirm by is the store's business, never shown.
        stored.invoice.feed_marks.clear();
        if stored.line_pages == 0 {
            // Stored whole by an earlier version, or a build with no line yet.
            return Ok(InvoicePage::of(stored.invoice, page));
        }
        let mut invoice = stored.invoice;
        if page < stored.line_pages as usize {
            invoice.lines = self.invoice_lines(&invoice.number, page as u32)?;
        }
        Ok(InvoicePage {
            invoice,
            line_count: stored.line_count,
            line_pages: stored.line_pages as usize,
            page,
        })
    }

    /// An invoice's lines `from..to` (in order), reading only the pages that hold them.
    pub fn invoice_lines_between(
        &self,
        stored: &StoredInvoice,
        from: usize,
        to: usize,
    ) -> Result<Vec<InvoiceLine>, ApiError> {
        use subsidy_rules::invoice::LINES_PER_PAGE;
        if stored.line_pages == 0 {
            return Ok(
                stored.invoice.lines[from.min(to)..to.min(stored.invoice.lines.len())].to_vec(),
            );
        }
        let mut lines = Vec::new();
        for page in from / LINES_PER_PAGE..to.div_ceil(LINES_PER_PAGE) {
            let first = page * LINES_PER_PAGE;
            let page_lines = self.invoice_lines(&stored.invoice.number, page as u32)?;
            lines.extend(
                (page_lines.into_iter().enumerate())
                    .filter(|(i, _)| (from..to).contains(&(first + i)))
                    .map(|(_, line)| line),
            );
        }
        Ok(lines)
    }

    /// Frees a record from invoice `number`'s mark and gives its course back; only the request
    /// whose swap clears the mark gives it back. The record as it now is.
    pub fn unbill_record(
        &self,
        platform: &PlatformId,
        record_id: &str,
        number: &str,
    ) -> Result<CompletionRecord, ApiError> {
        let mut cleared = false;
        let record = self.change_billing(platform, record_id, |current| {
            cleared = current.invoice.as_deref() == Some(number);
            Ok(current.unbilled_from(number, None))
        })?;
        if cleared {
            let f = &record.facts;
            self.release_course(&f.trainee.person, &f.course())?;
        }
        Ok(record)
    }

    /// An invoice's line of a record, if it has one: a read of each page until it is found.
    pub fn invoice_line(
        &self,
        number: &str,
        record_id: &str,
    ) -> Result<Option<InvoiceLine>, ApiError> {
        let Some(stored) = self.invoice_header(number)? else {
            return Ok(None);
        };
        let find = |lines: Vec<InvoiceLine>| lines.into_iter().find(|l| l.record_id == record_id);
        if let Some(line) = find(stored.invoice.lines) {
            return Ok(Some(line));
        }
        for page in 0..stored.line_pages {
            if let Some(line) = find(self.invoice_lines(number, page)?) {
                return Ok(Some(line));
            }
        }
        Ok(None)
    }

    /// Commits a step of an invoice's build: `lines` are appended to the pages after those of
    /// the invoice as it was (`before`; none before its first commit), then `next` replaces
    /// it under compare-and-swap (a new invoice is listed first). Pages are written before
    /// the invoice that counts them, so a step killed midway leaves nothing a reader sees;
    /// the next step writes the same pages again. 409 if another step committed meanwhile.
    pub fn commit_invoice_step(
        &self,
        before: Option<&StoredInvoice>,
        next: &Invoice,
        lines: &[InvoiceLine],
    ) -> Result<StoredInvoice, ApiError> {
        use subsidy_rules::invoice::LINES_PER_PAGE;
        let count_before = before.map_or(0, |b| b.line_count);
        let first_page = count_before / LINES_PER_PAGE;
        let mut pending: Vec<InvoiceLine> = match count_before % LINES_PER_PAGE {
            0 => Vec::new(),
            // The last page is partly full: it is written again with the new lines.
            kept => {
                let mut page = self.invoice_lines(&next.number, first_page as u32)?;
                page.truncate(kept);
                page
            }
        };
        pending.extend_from_slice(lines);
        for (i, page) in pending.chunks(LINES_PER_PAGE).enumerate() {
            let key =
                store_keys::invoice_lines(&self.county, &next.number, (first_page + i) as u32);
            self.set_json(&key, &page)?;
        }
        if before.is_none() {
            let index = store_keys::platform_invoices(&self.county, &next.platform_id);
            self.append(&index, &next.number)?;
        }
        let line_count = count_before + lines.len();
        let expected = before.map(|b| b.invoice.build.clone());
        self.update_announced(
            &store_keys::invoice(&self.county, &next.number),
            |current: Option<StoredInvoice>| {
                // Cancelled (or issued) meanwhile: the step's lines are not added to it, and the
                // step rolls back what it marked.
                if let Some(current) = &current
                    && current.invoice.state != InvoiceState::Building
                {
                    return Err(ApiError::conflict(subsidy_rules::Reason::new(
                        "invoice_not_building",
                        "发票已不在开具中（已作废或已开具），本步骤未计入",
                        "The invoice is no longer being built (cancelled or issued): this step was not added",
                    )));
                }
                let now = current.as_ref().map(|c| c.invoice.build.clone());
                if now != expected {
                    return Err(ApiError::conflict(subsidy_rules::Reason::new(
                        "invoice_build_moved",
                        "发票开具已由另一请求推进，请重试",
                        "Another request moved the invoice's build on; please retry",
                    )));
                }
                Ok(StoredInvoice {
                    invoice: next.clone(),
                    line_pages: line_count.div_ceil(LINES_PER_PAGE) as u32,
                    line_count,
                })
            },
        )
    }

    /// A platform month's build going on, if any.
    pub fn invoice_build(
        &self,
        platform: &PlatformId,
        month: &str,
    ) -> Result<Option<BuildStart>, ApiError> {
        self.get_json(&store_keys::invoice_build(&self.county, platform, month))
    }

    /// Records a platform month's build going on, or (none) that it ended.
    pub fn set_invoice_build(
        &self,
        platform: &PlatformId,
        month: &str,
        build: Option<&BuildStart>,
    ) -> Result<(), ApiError> {
        let key = store_keys::invoice_build(&self.county, platform, month);
        match build {
            Some(build) => self.set_json(&key, build),
            None => self.bucket.delete(&key).map_err(store_error),
        }
    }

    /// Changes an invoice's state under compare-and-swap, and answers its first page. Its
    /// lines never change once issued: only the invoice itself is read and written back.
    pub fn update_invoice(
        &self,
        number: &str,
        mut change: impl FnMut(Invoice) -> Result<Invoice, ApiError>,
    ) -> Result<InvoicePage, ApiError> {
        let stored = self.update_announced(
            &store_keys::invoice(&self.county, number),
            |current: Option<StoredInvoice>| {
                let current = current.ok_or_else(ApiError::not_found)?;
                Ok(StoredInvoice {
                    invoice: change(current.invoice)?,
                    ..current
                })
            },
        )?;
        self.with_page(stored, 0)
    }

    /// A page of a platform's invoices, oldest first, each with its first page of lines: from
    /// slot `after + 1`, at most `limit`; and the slot to continue after.
    pub fn platform_invoices(
        &self,
        platform: &PlatformId,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<InvoicePage>, u64), ApiError> {
        let index = store_keys::platform_invoices(&self.county, platform);
        let (numbers, next_after, _) = self.entries_page(&index, after, limit)?;
        let mut invoices = Vec::new();
        for number in numbers {
            invoices.extend(self.invoice_page(&number, 0)?);
        }
        Ok((invoices, next_after))
    }
}
