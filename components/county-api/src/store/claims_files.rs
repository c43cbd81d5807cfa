//! A person's claims file (`claims_file::ClaimsFile`), read with their claims in one batch and
//! changed under compare-and-swap by their submissions.

use subsidy_rules::claims_file::ClaimsFile;

use super::*;

/// How long a request waits for another to write a person's first claims file before it
/// presumes the writer dead. A writer gives up writing at half of it (`first_filing_in_time`),
/// so that it has written, or never will, before anyone moves past it.
const FIRST_FILING_WAIT_MS: i64 = 500;

/// Refuses a first filing whose right was taken (`taken`, wall clock ms) too long ago.
fn first_filing_in_time(taken: i64) -> Result<(), ApiError> {
    if chrono::Utc::now().timestamp_millis() - taken < FIRST_FILING_WAIT_MS / 2 {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorKind::InProgress,
        subsidy_rules::Reason::new(
            "request_in_progress",
            "此人的另一项申领正在处理中，请稍后重试",
            "Another submission of this person is in progress; please retry shortly",
        ),
    ))
}

impl Store {
    /// A person's claims file and their stored claims, in filing order, reading `ahead` (the
    /// other keys the request will read) in the same batch. A person whose claims were stored
    /// before files were kept has theirs built from their index.
    pub fn person_file(
        &self,
        person: &PersonKey,
        ahead: &[String],
    ) -> Result<(ClaimsFile, Vec<Claim>), ApiError> {
        let key = store_keys::claims_file(&self.county, person);
        let legacy = store_keys::person_claims(&self.county, person).counter();
        self.prefetch(&[&[key.clone(), legacy], ahead].concat());
        let file = match self.get_json::<ClaimsFile>(&key)? {
            Some(file) => file,
            None => self.file_from_index(person)?,
        };
        let claims = self.claims_of_file(&file, &[])?;
        Ok((file, claims))
    }

    /// Changes a person's claims file under compare-and-swap. `decide` sees the file and the
    /// person's stored claims as they are at each attempt (after a concurrent filing, again),
    /// and returns the file to write (the same file: nothing written). `ahead`: the other keys
    /// the request reads, read in the first attempt's batch with the claims. The first file of
    /// a person is written by one request at a time (`first_filing`): a swap from absent is
    /// blind on Spin's SQLite store.
    pub fn update_person_file(
        &self,
        person: &PersonKey,
        ahead: &[String],
        mut decide: impl FnMut(&ClaimsFile, &[Claim]) -> Result<ClaimsFile, ApiError>,
    ) -> Result<ClaimsFile, ApiError> {
        let key = store_keys::claims_file(&self.county, person);
        let first = store_keys::first_filing(&self.county, person);
        let mut extra = [
            ahead,
            &[store_keys::person_claims(&self.county, person).counter()],
        ]
        .concat();
        extra.push(first.generation());
        for _ in 0..CAS_ATTEMPTS {
            let opened = self.open_json::<ClaimsFile>(&key)?;
            let writing_first = match &opened.current {
                Some(_) => None,
                None => {
                    self.prefetch(&extra);
                    match self.take_first_filing(&first)? {
                        Some(taken) => Some(taken),
                        None => {
                            self.await_first_file(&key, &first)?;
                            continue;
                        }
                    }
                }
            };
            let mut change = |current: Option<ClaimsFile>| {
                let file = match current {
                    Some(file) => file,
                    None => self.file_from_index(person)?,
                };
                let claims = self.claims_of_file(&file, &std::mem::take(&mut extra))?;
                let next = decide(&file, &claims);
                if let Some(taken) = writing_first {
                    // Too late, a writer presumed dead may have been succeeded: write nothing.
                    first_filing_in_time(taken)?;
                    if next.is_err() {
                        // Refused: the first file all the same, for those waiting on it.
                        self.set_json(&key, &file)?;
                    }
                }
                next
            };
            if let Some(done) = self.try_swap(opened, &mut change)? {
                return Ok(done);
            }
        }
        Err(concurrent_change())
    }

    /// Takes the right to write a person's first file in the current generation: when it was
    /// taken (wall clock, milliseconds), or `None` when another request has it.
    fn take_first_filing(&self, first: &store_keys::FirstFiling) -> Result<Option<i64>, ApiError> {
        let generation = self.counter(&first.generation())?;
        match self.take_once(&first.writer(generation))? {
            true => Ok(Some(chrono::Utc::now().timestamp_millis())),
            false => Ok(None),
        }
    }

    /// Waits for another request to write the person's first file; one that has not within
    /// `FIRST_FILING_WAIT_MS` is presumed dead and its generation moved past (once), so the
    /// next attempt may take the next.
    fn await_first_file(&self, key: &str, first: &store_keys::FirstFiling) -> Result<(), ApiError> {
        let generation = self.counter(&first.generation())?;
        for _ in 0..FIRST_FILING_WAIT_MS / 10 {
            if self.bucket.get(key).map_err(store_error)?.is_some() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        if self.take_once(&first.superseded(generation))? {
            self.add(&first.generation(), 1)?;
        }
        self.forget(&first.generation());
        Ok(())
    }

    /// The stored claims a file names, read in one batch with `extra`.
    fn claims_of_file(&self, file: &ClaimsFile, extra: &[String]) -> Result<Vec<Claim>, ApiError> {
        let mut keys: Vec<String> = (file.claim_ids())
            .map(|id| store_keys::claim(&self.county, id))
            .collect();
        keys.extend_from_slice(extra);
        self.prefetch(&keys);
        let ids: Vec<String> = file.claim_ids().map(str::to_owned).collect();
        self.claims_by_id(&ids)
    }

    /// The file of a person whose claims an earlier version listed in their index (empty for
    /// a person with none).
    fn file_from_index(&self, person: &PersonKey) -> Result<ClaimsFile, ApiError> {
        let claims = self.claims_of(&store_keys::person_claims(&self.county, person))?;
        Ok(ClaimsFile::from_claims(&claims))
    }
}

impl Store {
    /// For each record, whether its binding holds it: its claim is stored and counts, or is
    /// filed and its submission in flight (false for a record bound to none). Two batch reads
    /// at most: the claims named, then the files of the persons whose named claim is not
    /// stored.
    pub fn bindings_hold(
        &self,
        records: &[CompletionRecord],
        now: i64,
    ) -> Result<Vec<bool>, ApiError> {
        let named = |r: &CompletionRecord| r.claim.clone();
        let ids: Vec<String> = records.iter().filter_map(named).collect();
        let claims = self.claims_by_id(&ids)?;
        let stored = subsidy_rules::claims_file::status_among(&claims);
        let unstored: Vec<&CompletionRecord> = (records.iter())
            .filter(|r| r.claim.as_deref().is_some_and(|id| stored(id).is_none()))
            .collect();
        let files: Vec<String> = (unstored.iter())
            .map(|r| store_keys::claims_file(&self.county, &r.facts.trainee.person))
            .collect();
        self.prefetch(&files);
        let mut holds = Vec::new();
        for record in records {
            let Some(id) = &record.claim else {
                holds.push(false);
                continue;
            };
            let status = stored(id);
            let file = match status {
                Some(_) => None,
                None => self.get_json::<ClaimsFile>(&store_keys::claims_file(
                    &self.county,
                    &record.facts.trainee.person,
                ))?,
            };
            let filed = file.as_ref().and_then(|f| f.get(id));
            let standing = match filed {
                Some(filed) => filed.standing(status, now),
                None => match status {
                    Some(status) => subsidy_rules::claims_file::Standing::Stored(status),
                    None => subsidy_rules::claims_file::Standing::Dead,
                },
            };
            holds.push(standing.counts());
        }
        Ok(holds)
    }
}
