//! Platforms' signing keys and the nonces their requests used.

use super::*;

impl Store {
    pub fn credential(&self, key_id: &str) -> Result<Option<Credential>, ApiError> {
        self.get_json(&store_keys::credential(&self.county, key_id))
    }

    /// Stores a new credential (its key id is fresh and random) and lists it under its platform.
    pub fn insert_credential(&self, credential: &Credential) -> Result<(), ApiError> {
        let index = store_keys::platform_credentials(&self.county, &credential.platform_id);
        self.append(&index, &credential.key_id)?;
        self.set_json(
            &store_keys::credential(&self.county, &credential.key_id),
            credential,
        )
    }

    pub fn update_credential(
        &self,
        key_id: &str,
        mut change: impl FnMut(Credential) -> Result<Credential, ApiError>,
    ) -> Result<Credential, ApiError> {
        self.update_json(
            &store_keys::credential(&self.county, key_id),
            |c: Option<Credential>| change(c.ok_or_else(ApiError::not_found)?),
        )
    }

    pub fn platform_credentials(&self, platform: &PlatformId) -> Result<Vec<Credential>, ApiError> {
        let mut credentials = Vec::new();
        for key_id in self.entries(&store_keys::platform_credentials(&self.county, platform))? {
            credentials.extend(self.credential(&key_id)?);
        }
        Ok(credentials)
    }

    /// Counts a use of a request nonce; true the first time. Atomic on every backend.
    pub fn first_use_of_nonce(&self, key_id: &str, nonce: &str) -> Result<bool, ApiError> {
        let key = store_keys::nonce(&self.county, key_id, nonce);
        Ok(atomics::increment(&self.bucket, &key, 1).map_err(store_error)? == 1)
    }
}
