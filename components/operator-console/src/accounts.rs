//! Operator accounts and signing in.

use county_api::{ApiError, ApiRequest, Context, ErrorKind, LogPage, MAX_PAGE, json, random_hex};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Change, Reason,
    accounts::{
        AccountEvent, AccountEventKind, LoginName, OperatorAccount, Password,
        SIGN_IN_TOKEN_SECONDS, SignIn, parse_display_name, parse_roles, password_matches,
        spend_a_check,
    },
    auth::{Role, TokenClaims, sign_token},
    field,
};

const ADMINS: [Role; 1] = [Role::Admin];

fn log(ctx: &Context, login: &str, event: AccountEventKind, by: &str) -> Result<(), ApiError> {
    ctx.store()?.log_account_event(&AccountEvent {
        id: random_hex(6)?,
        login: login.to_owned(),
        event,
        changed: ctx.change_by(by),
    })
}

fn sign_in_refused() -> ApiError {
    ApiError::unauthenticated(Reason::new(
        "sign_in_failed",
        "登录名或密码不正确",
        "The login name or the password is wrong",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInInput {
    login: String,
    password: String,
    #[serde(default)]
    role: Option<String>,
}

#[derive(Serialize)]
struct SignedIn<'a> {
    /// The operator token: `Authorization: Bearer …` on every API.
    token: String,
    expires_at: String,
    role: Role,
    login: &'a LoginName,
    display_name: &'a str,
    /// Every role the account holds: sign in again to act in another.
    roles: &'a [Role],
}

/// How a refused password check is answered and logged: at sign-in, or when a holder
/// changes their own password.
struct Refusal {
    logged: AccountEventKind,
    answer: fn() -> ApiError,
}

const AT_SIGN_IN: Refusal = Refusal {
    logged: AccountEventKind::SignInFailed,
    answer: sign_in_refused,
};

const AT_PASSWORD_CHANGE: Refusal = Refusal {
    logged: AccountEventKind::PasswordChangeRefused,
    answer: current_password_wrong,
};

fn current_password_wrong() -> ApiError {
    ApiError::forbidden(
        Reason::new(
            "current_password_wrong",
            "当前密码不正确",
            "The current password is wrong",
        )
        .at("current_password"),
    )
}

/// Checks an account's password, counting toward its lockout wherever a password is checked
/// (decision: five failures in a row lock it for 15 minutes, at sign-in or at a password
/// change alike): a disabled account is refused (403), a locked one too (429) without its
/// password being judged, a wrong password counts and may lock it. Every attempt is logged.
/// The account as the attempt left it.
fn check_password(
    ctx: &Context,
    login: &LoginName,
    password: &str,
    refusal: &Refusal,
) -> Result<OperatorAccount, ApiError> {
    let Some(account) = ctx.store()?.account(login)? else {
        spend_a_check(password);
        log(
            ctx,
            login.as_str(),
            AccountEventKind::SignInUnknown,
            login.as_str(),
        )?;
        return Err((refusal.answer)());
    };
    // Checked before the lock is looked at, so that a locked account costs the same.
    let matched = password_matches(password, &account.password_hash);
    let now = ctx.now_unix();
    let mut outcome = None;
    let account = ctx.store()?.update_account(login, |current| {
        let attempt = current.sign_in(matched, now);
        let next = match &attempt {
            SignIn::Accepted(next) | SignIn::Refused(next) => next.clone(),
            SignIn::Locked(_) | SignIn::Disabled => current,
        };
        outcome = Some(attempt);
        Ok(next)
    })?;
    let by = login.as_str();
    match outcome.expect("the swap ran its change") {
        SignIn::Disabled => {
            log(ctx, by, AccountEventKind::SignInWhileDisabled, by)?;
            Err(ApiError::forbidden(Reason::new(
                "account_disabled",
                "该账户已停用，请联系管理员",
                "The account is disabled; ask an administrator",
            )))
        }
        SignIn::Locked(until) => {
            log(ctx, by, AccountEventKind::SignInWhileLocked, by)?;
            Err(locked(until))
        }
        SignIn::Refused(after) => match after.locked_at(now) {
            Some(until) => {
                log(ctx, by, AccountEventKind::Locked, by)?;
                Err(locked(until))
            }
            None => {
                log(ctx, by, refusal.logged.clone(), by)?;
                Err((refusal.answer)())
            }
        },
        SignIn::Accepted(_) => Ok(account),
    }
}

/// `{"login","password","role"?}` → an operator token for an hour, naming this county (no
/// other county takes it). A wrong login name or password is one answer (401
/// `sign_in_failed`); five in a row lock the account for 15 minutes (429 `account_locked`);
/// a disabled account is refused (403 `account_disabled`). Every attempt is logged.
pub fn sign_in(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let input: SignInInput = request.json()?;
    let Ok(login) = LoginName::parse(&input.login) else {
        spend_a_check(&input.password);
        return Err(sign_in_refused());
    };
    let account = check_password(ctx, &login, &input.password, &AT_SIGN_IN)?;
    let role = account
        .role_for(input.role.as_deref())
        .map_err(|reason| ApiError::invalid(vec![reason]))?;
    let now = ctx.now_unix();
    let claims = TokenClaims {
        sub: login.as_str().to_owned(),
        role,
        iat: now,
        exp: now + SIGN_IN_TOKEN_SECONDS,
        nbf: None,
        aud: Some(ctx.config.county()?.to_string()),
    };
    let token = sign_token(&claims, ctx.config.operator_token_secret()?);
    log(
        ctx,
        login.as_str(),
        AccountEventKind::SignedIn,
        login.as_str(),
    )?;
    Ok(json(
        200,
        &SignedIn {
            token,
            expires_at: china_time(claims.exp),
            role,
            login: &account.login,
            display_name: &account.display_name,
            roles: &account.roles,
        },
    ))
}

/// A Unix time as the API writes times: RFC 3339, China Standard Time.
fn china_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(subsidy_rules::dates::audit_timestamp)
        .unwrap_or_default()
}

fn locked(until: i64) -> ApiError {
    let at = china_time(until);
    ApiError::new(
        ErrorKind::Locked,
        Reason::new(
            "account_locked",
            format!("连续登录失败次数过多，账户已锁定至 {at}"),
            format!("Too many failed sign-ins: the account is locked until {at}"),
        ),
    )
}

#[derive(Serialize)]
struct Listing<'a> {
    accounts: Vec<subsidy_rules::accounts::AccountView<'a>>,
    next_after: u64,
}

/// The accounts, in order of creation, `after` and `limit` for paging (admins).
pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &ADMINS)?;
    let (after, limit) = request.paging()?;
    let (accounts, next_after) = ctx.store()?.accounts_page(after, limit)?;
    let now = ctx.now_unix();
    Ok(json(
        200,
        &Listing {
            accounts: accounts.iter().map(|a| a.view(now)).collect(),
            next_after,
        },
    ))
}

fn login_param(login: &str) -> Result<LoginName, ApiError> {
    // A name no account can have names no account.
    LoginName::parse(login).map_err(|_| ApiError::not_found())
}

pub fn show(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let login = request.param("login");
    ctx.require_operator(request, &ADMINS)?;
    let login = login_param(login)?;
    let account = (ctx.store()?.account(&login)?).ok_or_else(ApiError::not_found)?;
    Ok(json(200, &account.view(ctx.now_unix())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    login: String,
    display_name: String,
    roles: Vec<String>,
    password: String,
}

/// An admin creates an account: `{"login","display_name","roles","password"}` → 201; 409
/// `account_exists` when the login name is taken.
pub fn create(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let admin = ctx.require_operator(request, &ADMINS)?;
    let input: NewAccount = request.json()?;
    let as_login = LoginName::parse(&input.login).ok();
    let (login, display_name, roles, password) = (
        field("login", LoginName::parse(&input.login)),
        field("display_name", parse_display_name(&input.display_name)),
        field("roles", parse_roles(&input.roles)),
        field(
            "password",
            Password::parse(&input.password, as_login.as_ref()),
        ),
    )
        .all_parsed()?;
    let account = OperatorAccount {
        password_hash: password.hash(&salt()?),
        login,
        display_name,
        roles,
        disabled: false,
        failures: 0,
        locked_until: None,
        created: ctx.change_by(&admin.sub),
        changed: None,
    };
    if !ctx.store()?.create_account(&account)? {
        return Err(ApiError::conflict(
            Reason::new(
                "account_exists",
                "该登录名已被使用",
                "An account with this login name exists",
            )
            .at("login"),
        ));
    }
    log(
        ctx,
        account.login.as_str(),
        AccountEventKind::Created,
        &admin.sub,
    )?;
    Ok(json(201, &account.view(ctx.now_unix())))
}

fn salt() -> Result<[u8; 16], ApiError> {
    let hex = random_hex(16)?;
    let mut salt = [0u8; 16];
    for (i, byte) in salt.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("random_hex writes hex");
    }
    Ok(salt)
}

/// Changes an account an admin names, logs the change and answers the account.
fn change_account(
    request: &ApiRequest,
    ctx: &Context,
    login: &str,
    event: AccountEventKind,
    change: impl Fn(OperatorAccount, Change) -> Result<OperatorAccount, ApiError>,
) -> Result<Response, ApiError> {
    let admin = ctx.require_operator(request, &ADMINS)?;
    let login = login_param(login)?;
    let changed = ctx.change_by(&admin.sub);
    let account = ctx.store()?.update_account(&login, |current| {
        change(current, changed.clone()).map(|next| OperatorAccount {
            changed: Some(changed.clone()),
            ..next
        })
    })?;
    log(ctx, login.as_str(), event, &admin.sub)?;
    Ok(json(200, &account.view(ctx.now_unix())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordInput {
    password: String,
}

/// An admin sets a new password (`{"password"}`); the account's lock and failures are cleared.
pub fn reset_password(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let login = request.param("login");
    let input: PasswordInput = request.json()?;
    let name = login_param(login)?;
    let password = Password::parse(&input.password, Some(&name))
        .map_err(|reason| ApiError::invalid(vec![reason.at("password")]))?;
    let hash = password.hash(&salt()?);
    change_account(
        request,
        ctx,
        login,
        AccountEventKind::PasswordReset,
        |current, _| {
            Ok(OperatorAccount {
                password_hash: hash.clone(),
                failures: 0,
                locked_until: None,
                ..current
            })
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnPasswordInput {
    current_password: String,
    new_password: String,
}

/// The holder of a signed-in account sets their own password:
/// `{"current_password","new_password"}`. The current password is checked as at sign-in,
/// counting toward the lockout: wrong, 403 `current_password_wrong`; five wrong in a row lock
/// the account (429); a disabled account changes nothing (403), whatever token it still has.
pub fn change_own_password(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let operator = ctx.require_operator(request, &[Role::Admin, Role::Reviewer, Role::Finance])?;
    let input: OwnPasswordInput = request.json()?;
    let not_an_account = || {
        ApiError::conflict(Reason::new(
            "not_an_account",
            "此凭证不属于本系统的账户，请在签发它的身份系统中修改密码",
            "This token is not of an account here: change the password where it was issued",
        ))
    };
    let login = LoginName::parse(&operator.sub).map_err(|_| not_an_account())?;
    if ctx.store()?.account(&login)?.is_none() {
        return Err(not_an_account());
    }
    let password = Password::parse(&input.new_password, Some(&login))
        .map_err(|reason| ApiError::invalid(vec![reason.at("new_password")]))?;
    check_password(ctx, &login, &input.current_password, &AT_PASSWORD_CHANGE)?;
    let hash = password.hash(&salt()?);
    let changed = ctx.change_by(login.as_str());
    let account = ctx.store()?.update_account(&login, |current| {
        Ok(OperatorAccount {
            password_hash: hash.clone(),
            changed: Some(changed.clone()),
            ..current
        })
    })?;
    log(
        ctx,
        login.as_str(),
        AccountEventKind::PasswordChanged,
        login.as_str(),
    )?;
    Ok(json(200, &account.view(ctx.now_unix())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesInput {
    roles: Vec<String>,
}

pub fn change_roles(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let login = request.param("login");
    let input: RolesInput = request.json()?;
    let roles = parse_roles(&input.roles).map_err(|r| ApiError::invalid(vec![r.at("roles")]))?;
    change_account(
        request,
        ctx,
        login,
        AccountEventKind::RolesChanged,
        |current, _| {
            Ok(OperatorAccount {
                roles: roles.clone(),
                ..current
            })
        },
    )
}

/// Disables an account (its tokens already issued live out their hour) or enables it again.
/// An admin may not disable their own account: a county must not lock out its last admin.
pub fn disable(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    set_disabled(request, ctx, true)
}

pub fn enable(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    set_disabled(request, ctx, false)
}

fn set_disabled(request: &ApiRequest, ctx: &Context, disabled: bool) -> Result<Response, ApiError> {
    let login = request.param("login");
    let admin = ctx.require_operator(request, &ADMINS)?;
    // Login names compare case-folded, the path's as well as the token's.
    let named = login_param(login)?;
    if disabled && LoginName::parse(&admin.sub).is_ok_and(|own| own == named) {
        return Err(ApiError::conflict(Reason::new(
            "cannot_disable_self",
            "不能停用自己的账户",
            "An admin may not disable their own account",
        )));
    }
    let event = match disabled {
        true => AccountEventKind::Disabled,
        false => AccountEventKind::Enabled,
    };
    change_account(request, ctx, login, event, |current, _| {
        Ok(OperatorAccount {
            disabled,
            ..current
        })
    })
}

#[derive(Serialize)]
struct Log {
    events: Vec<AccountEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_after: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_before: Option<u64>,
    done: bool,
}

/// Every sign-in, failure and account change (admins), paged: oldest first (`after`), or with
/// `order=newest` newest first (`before`, from the newest when absent).
pub fn log_page(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &ADMINS)?;
    let newest = match request.query_param("order").as_deref() {
        None | Some("oldest") => false,
        Some("newest") => true,
        Some(_) => {
            return Err(ApiError::invalid(vec![
                Reason::new(
                    "invalid_order",
                    "order 应为 oldest 或 newest",
                    "order is oldest or newest",
                )
                .at("order"),
            ]));
        }
    };
    let (page, limit) = match newest {
        false => {
            let (after, limit) = request.paging()?;
            (LogPage::After(after), limit)
        }
        true => {
            let (before, limit) = (
                request.number_param("before", 0, u64::MAX),
                request.limit_param(50, MAX_PAGE as u64),
            )
                .all_parsed()?;
            (LogPage::Before(before), limit)
        }
    };
    let (events, next, done) = ctx.store()?.account_log_page(page, limit)?;
    Ok(json(
        200,
        &Log {
            events,
            next_after: (!newest).then_some(next),
            next_before: newest.then_some(next),
            done,
        },
    ))
}
