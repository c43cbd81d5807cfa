//! Operator accounts and their log.

use super::*;

impl Store {
    pub fn account(&self, login: &LoginName) -> Result<Option<OperatorAccount>, ApiError> {
        self.get_json(&store_keys::account(&self.county, login))
    }

    /// Creates an account, listed first; false when the login name is taken. The first to
    /// take the login's counter creates it; a later creation finding the counter taken and no
    /// account writes it (its first creator died before writing).
    pub fn create_account(&self, account: &OperatorAccount) -> Result<bool, ApiError> {
        let login = &account.login;
        if !self.take_once(&store_keys::account_created(&self.county, login))?
            && self.account(login)?.is_some()
        {
            return Ok(false);
        }
        self.append(&store_keys::accounts(&self.county), login.as_str())?;
        self.set_json(&store_keys::account(&self.county, login), account)?;
        Ok(true)
    }

    /// Changes an account under compare-and-swap; 404 when there is none.
    pub fn update_account(
        &self,
        login: &LoginName,
        mut change: impl FnMut(OperatorAccount) -> Result<OperatorAccount, ApiError>,
    ) -> Result<OperatorAccount, ApiError> {
        self.update_json(&store_keys::account(&self.county, login), |current| {
            change(current.ok_or_else(ApiError::not_found)?)
        })
    }

    /// A page of the accounts, in order of creation: from slot `after + 1`, at most `limit`;
    /// and the slot to continue after.
    pub fn accounts_page(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<OperatorAccount>, u64), ApiError> {
        let index = store_keys::accounts(&self.county);
        let (logins, next_after, _) = self.entries_page(&index, after, limit)?;
        let mut accounts = Vec::new();
        for login in logins {
            if let Ok(login) = LoginName::parse(&login) {
                accounts.extend(self.account(&login)?);
            }
        }
        Ok((accounts, next_after))
    }

    /// Records a sign-in, a failure or a change in the accounts' log.
    pub fn log_account_event(&self, event: &AccountEvent) -> Result<(), ApiError> {
        let entry = serde_json::to_string(event).expect("account events serialize");
        self.append(&store_keys::account_log(&self.county), &entry)
    }

    /// A page of the accounts' log, oldest first: from slot `after + 1`, at most `limit`; the
    /// slot to continue after, and whether it is the last.
    pub fn account_log_page(
        &self,
        page: LogPage,
        limit: usize,
    ) -> Result<(Vec<AccountEvent>, u64, bool), ApiError> {
        let index = store_keys::account_log(&self.county);
        let (entries, next_after, done) = match page {
            LogPage::After(after) => self.entries_page(&index, after, limit)?,
            LogPage::Before(before) => self.entries_page_newest(&index, before, limit)?,
        };
        let events = (entries.iter())
            .filter_map(|e| serde_json::from_str(e).ok())
            .collect();
        Ok((events, next_after, done))
    }
}
