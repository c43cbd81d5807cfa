//! Operator accounts: county staff sign in with a login name and a password and receive the
//! short-lived operator token every API already accepts (`auth`). Tokens from an external
//! identity service, signed with the same secret, keep working beside them.
//!
//! Passwords are kept as Argon2id hashes (PHC strings) with the parameters OWASP gives as its
//! first choice: 19 MiB of memory, 2 passes, 1 lane. One hash is one sign-in's CPU: measured
//! in `county-bench --sign-in` (docs/benchmarks.md). Repeated failures lock the account for a
//! while, which bounds guessing far more than the hash's cost does.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use crate::{Change, Reason, auth::Role, bounded_text};

/// Failed sign-ins in a row that lock an account.
pub const FAILURES_BEFORE_LOCK: u32 = 5;
/// How long a lock lasts.
pub const LOCK_SECONDS: i64 = 15 * 60;
/// How long a token from a sign-in lives: an hour, so a disabled account's last token dies
/// within one, and no county's token lifetime cap (60 minutes at the least) need be read.
pub const SIGN_IN_TOKEN_SECONDS: i64 = 60 * 60;

/// Words of the accounts' paths (`/api/accounts/sign-in`, `/log`, `/me/password`): no login.
const RESERVED: [&str; 3] = ["sign-in", "log", "me"];

/// A login name: 3 to 32 of `a-z 0-9 . _ -`, starting with a letter or digit, not a word of
/// the accounts' paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LoginName(String);

impl LoginName {
    pub fn parse(input: &str) -> Result<LoginName, Reason> {
        let name = input.trim().to_ascii_lowercase();
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
        if (3..=32).contains(&name.len())
            && name.bytes().all(allowed)
            && name.as_bytes()[0].is_ascii_alphanumeric()
            && !RESERVED.contains(&name.as_str())
        {
            Ok(LoginName(name))
        } else {
            Err(Reason::new(
                "invalid_login",
                "登录名应为3至32位小写字母、数字或 . _ -，以字母或数字开头",
                "A login name is 3 to 32 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as chosen: 10 to 128 characters, not the login name.
pub struct Password(String);

impl Password {
    pub fn parse(input: &str, login: Option<&LoginName>) -> Result<Password, Reason> {
        let length = input.chars().count();
        if !(10..=128).contains(&length) {
            return Err(Reason::new(
                "weak_password",
                "密码应为10至128个字符",
                "A password is 10 to 128 characters",
            ));
        }
        if login.is_some_and(|l| input.eq_ignore_ascii_case(l.as_str())) {
            return Err(Reason::new(
                "weak_password",
                "密码不能与登录名相同",
                "A password may not be the login name",
            ));
        }
        Ok(Password(input.to_owned()))
    }

    /// Its Argon2id hash with `salt` (16 random bytes), as a PHC string.
    pub fn hash(&self, salt: &[u8; 16]) -> String {
        hash(&self.0, salt)
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP's Argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash(password: &str, salt: &[u8; 16]) -> String {
    let salt = SaltString::encode_b64(salt).expect("16 bytes make a salt");
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2id hashes any password")
        .to_string()
}

/// Whether `password` is the one `hash` was made from.
pub fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of a check against a real hash, for a login name that has no account, so
/// that the answer's timing does not tell which names exist.
pub fn spend_a_check(password: &str) {
    let _ = hash(password, &[0; 16]);
}

/// The roles an account may sign in as: one or more of admin, reviewer and finance.
pub fn parse_roles(input: &[String]) -> Result<Vec<Role>, Reason> {
    let invalid = || {
        Reason::new(
            "invalid_roles",
            "角色应为 admin、reviewer、finance 中的一个或多个",
            "Roles are one or more of admin, reviewer and finance",
        )
    };
    let mut roles = Vec::new();
    for role in input {
        match Role::parse(role) {
            Ok(Role::Trainee) | Err(_) => return Err(invalid()),
            Ok(role) if !roles.contains(&role) => roles.push(role),
            Ok(_) => {}
        }
    }
    if roles.is_empty() {
        return Err(invalid());
    }
    Ok(roles)
}

/// A display name: the person's name as colleagues know it, at most 40 characters.
pub fn parse_display_name(input: &str) -> Result<String, Reason> {
    bounded_text(input, 40)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorAccount {
    pub login: LoginName,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Argon2id, PHC string: never answered.
    pub password_hash: String,
    #[serde(default)]
    pub disabled: bool,
    /// Failed sign-ins since the last success or lock.
    #[serde(default)]
    pub failures: u32,
    /// Locked until then (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<i64>,
    pub created: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Change>,
}

/// How a sign-in attempt ends, and the account after it.
#[derive(Debug, PartialEq)]
pub enum SignIn {
    Accepted(OperatorAccount),
    /// A wrong password; the account has this many more failures before it locks (0: it is
    /// locked now).
    Refused(OperatorAccount),
    /// Locked until then (Unix seconds): the password was not checked.
    Locked(i64),
    Disabled,
}

impl OperatorAccount {
    pub fn locked_at(&self, now: i64) -> Option<i64> {
        self.locked_until.filter(|until| now < *until)
    }

    /// A sign-in attempt at `now` whose password did (`matched`) or did not match.
    pub fn sign_in(&self, matched: bool, now: i64) -> SignIn {
        if self.disabled {
            return SignIn::Disabled;
        }
        if let Some(until) = self.locked_at(now) {
            return SignIn::Locked(until);
        }
        let mut next = self.clone();
        if matched {
            next.failures = 0;
            next.locked_until = None;
            return SignIn::Accepted(next);
        }
        next.failures += 1;
        if next.failures >= FAILURES_BEFORE_LOCK {
            next.failures = 0;
            next.locked_until = Some(now + LOCK_SECONDS);
        }
        SignIn::Refused(next)
    }

    /// The role a sign-in asks for, or the account's only one.
    pub fn role_for(&self, asked: Option<&str>) -> Result<Role, Reason> {
        match asked {
            None if self.roles.len() == 1 => Ok(self.roles[0]),
            None => Err(Reason::new(
                "role_required",
                "该账户有多个角色，请选择以哪个角色登录",
                "The account has several roles: say which to sign in as",
            )
            .at("role")),
            Some(asked) => match Role::parse(asked) {
                Ok(role) if self.roles.contains(&role) => Ok(role),
                _ => Err(Reason::new(
                    "role_not_held",
                    "该账户没有此角色",
                    "The account does not hold this role",
                )
                .at("role")),
            },
        }
    }
}

/// What is shown of an account: never its password hash.
#[derive(Debug, Serialize)]
pub struct AccountView<'a> {
    pub login: &'a LoginName,
    pub display_name: &'a str,
    pub roles: &'a [Role],
    pub disabled: bool,
    pub locked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
    pub created: &'a Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<&'a Change>,
}

impl OperatorAccount {
    pub fn view(&self, now: i64) -> AccountView<'_> {
        let locked_until = self.locked_at(now);
        AccountView {
            login: &self.login,
            display_name: &self.display_name,
            roles: &self.roles,
            disabled: self.disabled,
            locked: locked_until.is_some(),
            locked_until: locked_until
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(crate::dates::audit_timestamp),
            created: &self.created,
            changed: self.changed.as_ref(),
        }
    }
}

/// What happened to an account, for its log: every sign-in, failure and change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountEventKind {
    SignedIn,
    SignInFailed,
    /// The failure that locked it.
    Locked,
    SignInWhileLocked,
    SignInWhileDisabled,
    /// A sign-in as a login name no account has.
    SignInUnknown,
    Created,
    /// By an admin.
    PasswordReset,
    /// By the account's holder, who gave the current one.
    PasswordChanged,
    /// Its holder gave a wrong current password.
    PasswordChangeRefused,
    RolesChanged,
    Disabled,
    Enabled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEvent {
    /// Random: two like events in one second are two entries of the log.
    pub id: String,
    pub login: String,
    pub event: AccountEventKind,
    /// When, and by whom: the account itself for a sign-in, an admin for a change.
    pub changed: Change,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> OperatorAccount {
        let login = LoginName::parse("Wang.Li").unwrap();
        let password = Password::parse("correct horse", Some(&login)).unwrap();
        OperatorAccount {
            password_hash: password.hash(&[7; 16]),
            login,
            display_name: "王丽".into(),
            roles: vec![Role::Reviewer, Role::Finance],
            disabled: false,
            failures: 0,
            locked_until: None,
            created: Change::new("admin", "2026-11-29T00:00:00Z".parse().unwrap()),
            changed: None,
        }
    }

    #[test]
    fn login_names_and_passwords_parse_at_the_boundary() {
        assert_eq!(LoginName::parse(" Wang.Li ").unwrap().as_str(), "wang.li");
        for bad in [
            "ab",
            "-wang",
            "wang li",
            "王丽",
            &"a".repeat(33),
            "sign-in",
            "LOG",
        ] {
            assert_eq!(
                LoginName::parse(bad).unwrap_err().code,
                "invalid_login",
                "{bad}"
            );
        }
        let login = LoginName::parse("wangli1234").unwrap();
        assert!(Password::parse("short", None).is_err());
        assert!(Password::parse("WANGLI1234", Some(&login)).is_err());
        assert!(Password::parse(&"x".repeat(129), None).is_err());
        assert!(
            Password::parse("长城长城长城长城长城", None).is_ok(),
            "10 characters"
        );
        assert_eq!(
            parse_roles(&["finance".into(), "reviewer".into(), "finance".into()]).unwrap(),
            [Role::Finance, Role::Reviewer]
        );
        for bad in [vec![], vec!["trainee".to_owned()], vec!["boss".to_owned()]] {
            assert_eq!(parse_roles(&bad).unwrap_err().code, "invalid_roles");
        }
    }

    #[test]
    fn a_password_matches_its_hash_only() {
        let account = account();
        assert!(
            account
                .password_hash
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        assert!(password_matches("correct horse", &account.password_hash));
        assert!(!password_matches("correct horsE", &account.password_hash));
        assert!(!password_matches("correct horse", "not a hash"));
    }

    #[test]
    fn five_failures_in_a_row_lock_the_account_for_fifteen_minutes() {
        let mut account = account();
        for _ in 1..FAILURES_BEFORE_LOCK {
            match account.sign_in(false, 1_000) {
                SignIn::Refused(next) => account = next,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(account.failures, 4);
        let SignIn::Refused(locked) = account.sign_in(false, 1_000) else {
            panic!()
        };
        assert_eq!(locked.locked_at(1_000), Some(1_000 + LOCK_SECONDS));
        // Even the right password waits for the lock to end.
        assert_eq!(
            locked.sign_in(true, 1_000 + LOCK_SECONDS - 1),
            SignIn::Locked(1_000 + LOCK_SECONDS)
        );
        let SignIn::Accepted(after) = locked.sign_in(true, 1_000 + LOCK_SECONDS) else {
            panic!()
        };
        assert_eq!((after.failures, after.locked_until), (0, None));
        let disabled = OperatorAccount {
            disabled: true,
            ..after
        };
        assert_eq!(disabled.sign_in(true, 0), SignIn::Disabled);
    }

    #[test]
    fn an_account_of_several_roles_signs_in_as_one_it_holds() {
        let account = account();
        assert_eq!(account.role_for(Some("finance")), Ok(Role::Finance));
        assert_eq!(account.role_for(None).unwrap_err().code, "role_required");
        assert_eq!(
            account.role_for(Some("admin")).unwrap_err().code,
            "role_not_held"
        );
        let single = OperatorAccount {
            roles: vec![Role::Admin],
            ..account
        };
        assert_eq!(single.role_for(None), Ok(Role::Admin));
    }
}
