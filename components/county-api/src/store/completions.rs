//! Completion records, listed under their platform's month and their trainee.

use subsidy_rules::completion::CompletionFacts;

use super::*;

impl Store {
    /// The completion records reported for a person, by any platform.
    pub fn person_completions(
        &self,
        person: &PersonKey,
    ) -> Result<Vec<CompletionRecord>, ApiError> {
        let mut records = Vec::new();
        for entry in self.entries(&store_keys::person_completions(&self.county, person))? {
            let Some((platform, record_id)) = entry.split_once('/') else {
                continue;
            };
            let Ok(platform) = PlatformId::parse(platform) else {
                continue;
            };
            if let Some(record) = self.completion(&platform, record_id)?
                && &record.facts.trainee.person == person
            {
                records.push(record);
            }
        }
        Ok(records)
    }

    pub fn completion(
        &self,
        platform: &PlatformId,
        record_id: &str,
    ) -> Result<Option<CompletionRecord>, ApiError> {
        self.get_json(&store_keys::completion(&self.county, platform, record_id))
    }

    /// Lists a record under its platform's month and its trainee, for facts it is about to
    /// hold, and says where. Called before the record is written, so a record that exists is
    /// always findable; entries left by a write that then failed, or by a correction that moved
    /// the record, are skipped by the readers, which check each record against the entry.
    pub fn index_completion(
        &self,
        platform: &PlatformId,
        facts: &subsidy_rules::completion::CompletionFacts,
    ) -> Result<Listed, ApiError> {
        let by_month = store_keys::platform_month(&self.county, platform, &facts.month());
        let month_slot = self.append_at(&by_month, &facts.record_id)?;
        let by_person = store_keys::person_completions(&self.county, &facts.trainee.person);
        let person_slot = self.append_at(&by_person, &person_entry(platform, &facts.record_id))?;
        Ok(Listed {
            month_slot,
            person_slot,
        })
    }

    /// A new record's first write, with its listings under its platform's month and its
    /// trainee, in one write: by the one request that takes its creation (true). `false` when
    /// another request creates it: then list it and write it as any change
    /// (`index_completion`, `write_completion`).
    pub fn create_completion(&self, record: &CompletionRecord) -> Result<bool, ApiError> {
        let (platform, f) = (&record.platform_id, &record.facts);
        let created = store_keys::completion_created(&self.county, platform, &f.record_id);
        if !self.take_once(&created)? {
            return Ok(false);
        }
        let by_month = store_keys::platform_month(&self.county, platform, &f.month());
        let by_person = store_keys::person_completions(&self.county, &f.trainee.person);
        // Slots taken and never written (a kill before the write) are skipped by readers.
        let month_slot = self.add(&by_month.counter(), 1)?.max(1) as u64;
        let person_slot = self.add(&by_person.counter(), 1)?.max(1) as u64;
        let mut record = record.clone().listed_at(Some(Listed {
            month_slot,
            person_slot,
        }));
        let key = store_keys::completion(&self.county, platform, &f.record_id);
        let write = self.next_write_id()?;
        let events = self.announce(&key, None, &mut record, &Slots::default(), &write)?;
        let entry = person_entry(platform, &f.record_id);
        let mut documents = vec![
            (key, self.enveloped(&write, &record)),
            (
                by_month.slot(month_slot),
                self.enveloped(&write, &f.record_id),
            ),
            (by_person.slot(person_slot), self.enveloped(&write, &entry)),
        ];
        documents.extend(events);
        self.write_all(&write, documents)?;
        Ok(true)
    }

    /// Whether a record's listings are where it says: a record stored before listings were
    /// recorded, or whose listing was lost, is not.
    pub fn completion_listed(&self, record: &CompletionRecord) -> Result<bool, ApiError> {
        let Some(listed) = record.listed else {
            return Ok(false);
        };
        let f = &record.facts;
        let by_month = store_keys::platform_month(&self.county, &record.platform_id, &f.month());
        let by_person = store_keys::person_completions(&self.county, &f.trainee.person);
        let in_month = self.get_json::<String>(&by_month.slot(listed.month_slot))?;
        let in_person = self.get_json::<String>(&by_person.slot(listed.person_slot))?;
        Ok(in_month.as_deref() == Some(f.record_id.as_str())
            && in_person == Some(person_entry(&record.platform_id, &f.record_id)))
    }

    /// Creates or changes a record under compare-and-swap (`change` sees `None` when there is
    /// none yet), so that two first sends, a correction and a claim or a billing never
    /// overwrite each other. Index the new facts first (`index_completion`).
    pub fn write_completion(
        &self,
        platform: &PlatformId,
        record_id: &str,
        change: impl FnMut(Option<CompletionRecord>) -> Result<CompletionRecord, ApiError>,
    ) -> Result<CompletionRecord, ApiError> {
        let key = store_keys::completion(&self.county, platform, record_id);
        // Read ahead with its batch, or read now (a record is never deleted: one read ahead as
        // there is there still).
        if self.raw_get(&key)?.is_some() {
            return self.update_announced(&key, change);
        }
        // A first write. On SQLite a swap from absent is an upsert that cannot see a concurrent
        // first write, which could erase a claim bound in between: one sender wins the right to
        // create; the others wait for its record and change that, under a swap that sees.
        if !self.take_once(&store_keys::completion_created(
            &self.county,
            platform,
            record_id,
        ))? {
            for _ in 0..CREATE_WAITS {
                if self.bucket.exists(&key).map_err(store_error)? {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        self.update_announced(&key, change)
    }

    /// Changes an existing record under compare-and-swap, so that a correction and a billing
    /// never both win.
    pub fn update_completion(
        &self,
        platform: &PlatformId,
        record_id: &str,
        mut change: impl FnMut(CompletionRecord) -> Result<CompletionRecord, ApiError>,
    ) -> Result<CompletionRecord, ApiError> {
        self.write_completion(platform, record_id, |r| {
            change(r.ok_or_else(ApiError::not_found)?)
        })
    }

    /// Marks a record billed, or frees it from a bill (`change`), under compare-and-swap.
    /// Billing is not announced (its invoice is), so this write takes no feed slot; a change
    /// of anything but the billing fields is refused as the program error it would be.
    pub fn change_billing(
        &self,
        platform: &PlatformId,
        record_id: &str,
        mut change: impl FnMut(CompletionRecord) -> Result<CompletionRecord, ApiError>,
    ) -> Result<CompletionRecord, ApiError> {
        let key = store_keys::completion(&self.county, platform, record_id);
        let unbilled = |r: &CompletionRecord| CompletionRecord {
            invoice: None,
            billed_at: None,
            billed_step: None,
            ..r.clone()
        };
        self.update_json(&key, |current: Option<CompletionRecord>| {
            let current = current.ok_or_else(ApiError::not_found)?;
            let before = unbilled(&current);
            let next = change(current)?;
            if unbilled(&next) != before {
                return Err(ApiError::server(
                    ErrorKind::Internal,
                    "internal_error",
                    "内部错误，请联系系统管理员",
                    "Internal error; please tell the system administrator",
                    "a billing change changed more than billing",
                ));
            }
            Ok(next)
        })
    }

    /// A page of a platform's records assessed in `month`, in order of first report: from slot
    /// `after + 1`, at most `limit`; the slot to continue after, and whether it is the last.
    pub fn completions_page(
        &self,
        platform: &PlatformId,
        month: &str,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<CompletionRecord>, u64, bool), ApiError> {
        let index = store_keys::platform_month(&self.county, platform, month);
        let (record_ids, next_after, done) = self.entries_page(&index, after, limit)?;
        let keys: Vec<String> = (record_ids.iter())
            .map(|id| store_keys::completion(&self.county, platform, id))
            .collect();
        self.prefetch(&keys);
        let mut records = Vec::new();
        for record_id in record_ids {
            // A corrected record may have moved to another month: its old entry stays behind.
            if let Some(record) = self.completion(platform, &record_id)?
                && record.facts.month() == month
            {
                records.push(record);
            }
        }
        Ok((records, next_after, done))
    }

    /// A person's training calendar; built from their records (voided ones left out) for a
    /// person whose records were stored before calendars were kept, and stored then.
    pub fn calendar(&self, person: &PersonKey) -> Result<TrainingCalendar, ApiError> {
        let key = store_keys::person_calendar(&self.county, person);
        if let Some(calendar) = self.get_json(&key)? {
            return Ok(calendar);
        }
        let records = self.person_completions(person)?;
        let entries = (records.iter())
            .filter(|r| r.void_reason.is_none())
            .map(CompletionRecord::calendar_entry)
            .collect();
        Ok(TrainingCalendar { entries })
    }

    /// Changes a person's calendar under compare-and-swap (`change` sees it as it is).
    pub fn update_calendar(
        &self,
        person: &PersonKey,
        mut change: impl FnMut(TrainingCalendar) -> Result<TrainingCalendar, ApiError>,
    ) -> Result<TrainingCalendar, ApiError> {
        let built = self.calendar(person)?;
        let key = store_keys::person_calendar(&self.county, person);
        self.update_json(&key, |current: Option<TrainingCalendar>| {
            change(current.unwrap_or_else(|| built.clone()))
        })
    }

    /// A record read under a compare-and-swap opened now, to be changed later in the request
    /// (`change_opened_completion`).
    pub fn open_completion(
        &self,
        platform: &PlatformId,
        record_id: &str,
    ) -> Result<Opened<CompletionRecord>, ApiError> {
        self.open_json(&store_keys::completion(&self.county, platform, record_id))
    }

    /// Changes a record opened earlier (`open_completion`), from what is stored now should it
    /// have changed meanwhile.
    pub fn change_opened_completion(
        &self,
        opened: Opened<CompletionRecord>,
        mut change: impl FnMut(CompletionRecord) -> Result<CompletionRecord, ApiError>,
    ) -> Result<CompletionRecord, ApiError> {
        self.swap_opened_announced(opened, |r| change(r.ok_or_else(ApiError::not_found)?))
    }

    /// What storing a reported record reads: the record as stored, its trainee's calendar, its
    /// platform's count of its pattern (read ahead, a batch's at once).
    pub fn reporting_keys(&self, platform: &PlatformId, facts: &CompletionFacts) -> [String; 3] {
        [
            store_keys::completion(&self.county, platform, &facts.record_id),
            store_keys::person_calendar(&self.county, &facts.trainee.person),
            store_keys::pattern_count(&self.county, platform, &facts.pattern()),
        ]
    }

    /// Where a platform's count of records of a pattern is kept, to read it ahead.
    pub fn pattern_key(&self, platform: &PlatformId, pattern: &str) -> String {
        store_keys::pattern_count(&self.county, platform, pattern)
    }

    /// Counts a new record of a platform's pattern: how many there are now.
    pub fn count_pattern(&self, platform: &PlatformId, pattern: &str) -> Result<i64, ApiError> {
        self.add(
            &store_keys::pattern_count(&self.county, platform, pattern),
            1,
        )
    }

    /// How many of a platform's records share a pattern.
    pub fn pattern_count(&self, platform: &PlatformId, pattern: &str) -> Result<i64, ApiError> {
        self.counter_signed(&store_keys::pattern_count(&self.county, platform, pattern))
    }
}
