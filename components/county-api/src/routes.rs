//! One route table per component: method, pattern, handler. Routing, 404 and 405 (with
//! `Allow`) all come from it, so a route is written down once.
//!
//! Patterns use Spin's own syntax (`/api/claims/:id/approve`): the component matches them
//! against the whole path itself, so it answers the same whether `spin.toml` sends it a
//! pattern exactly or a wildcard above it. Where two patterns match, the one whose first
//! differing segment is exact wins over a `:name` parameter, as Spin's router (routefinder)
//! decides between components.

use spin_sdk::http::Response;

use crate::{ApiError, ApiRequest, Context};

pub type Handler = fn(&ApiRequest, &Context) -> Result<Response, ApiError>;

/// One line of a route table.
pub struct Route {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// `/api/claims/:id/approve`: exact segments and `:name` parameters.
    pub pattern: &'static str,
    pub handler: Handler,
}

/// A component's table, `METHOD "pattern" => handler` a line, as `pub const ROUTES`. Each
/// component writes it alone in `src/routes.rs` (`include!`d by its lib.rs), so that the
/// routing tests read the very same lines (with a `route_table!` of their own).
#[macro_export]
macro_rules! route_table {
    ($($method:ident $pattern:literal => $handler:path),* $(,)?) => {
        /// Every route of this component.
        pub const ROUTES: &[$crate::routes::Route] = &[$(
            $crate::routes::Route {
                method: stringify!($method),
                pattern: $pattern,
                handler: $handler,
            }
        ),*];
    };
}

/// The path's segments, a trailing slash ignored (routefinder ignores it too): `/a` and `/a/`
/// are one pattern.
fn segments(path: &str) -> Vec<&str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    path.split('/').collect()
}

/// The parameters `pattern` captures from `path`, if it matches: every exact segment equal,
/// every parameter a non-empty segment.
pub fn captures(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let (want, have) = (segments(pattern), segments(path));
    if want.len() != have.len() {
        return None;
    }
    let mut captured = Vec::new();
    for (w, h) in want.into_iter().zip(have) {
        match w.strip_prefix(':') {
            Some(name) if !h.is_empty() => captured.push((name, h.to_owned())),
            None if w == h => {}
            _ => return None,
        }
    }
    Some(captured)
}

/// Whether `a` is more specific than `b`: at the first segment where one is exact and the
/// other a parameter, the exact one.
fn more_specific(a: &str, b: &str) -> bool {
    for (x, y) in segments(a).into_iter().zip(segments(b)) {
        match (x.starts_with(':'), y.starts_with(':')) {
            (false, true) => return true,
            (true, false) => return false,
            _ => {}
        }
    }
    false
}

/// The pattern of `table` that `path` goes to, and what it captures.
fn best_pattern(
    table: &[Route],
    path: &str,
) -> Option<(&'static str, Vec<(&'static str, String)>)> {
    let mut best: Option<(&'static str, Vec<(&'static str, String)>)> = None;
    for route in table {
        if best.as_ref().is_some_and(|(p, _)| *p == route.pattern) {
            continue;
        }
        if let Some(captured) = captures(route.pattern, path)
            && best
                .as_ref()
                .is_none_or(|(p, _)| more_specific(route.pattern, p))
        {
            best = Some((route.pattern, captured));
        }
    }
    best
}

/// The methods `table` takes at `pattern`, in table order: what `Allow` says.
pub fn allowed(table: &[Route], pattern: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = Vec::new();
    for route in table.iter().filter(|r| r.pattern == pattern) {
        if !methods.contains(&route.method) {
            methods.push(route.method);
        }
    }
    methods
}

/// `Allow` for a pattern: its methods, and HEAD wherever GET is.
pub fn allow_header(table: &[Route], pattern: &str) -> String {
    let mut methods = allowed(table, pattern);
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    methods.join(", ")
}

/// Runs the request through the table: its handler, else 405 with `Allow` for a pattern
/// that takes other methods, else 404. Nothing is read or checked before a route is found.
pub fn dispatch(
    table: &[Route],
    request: &mut ApiRequest,
    ctx: &Context,
) -> Result<Response, ApiError> {
    let Some((pattern, captured)) = best_pattern(table, &request.path) else {
        return Err(ApiError::not_found());
    };
    // HEAD is answered as GET is, without the body (`crate::serve`).
    let method = match request.method.to_string().as_str() {
        "HEAD" => "GET".to_owned(),
        other => other.to_owned(),
    };
    let Some(route) = (table.iter()).find(|r| r.pattern == pattern && r.method == method) else {
        let mut response = ApiError::method_not_allowed().into_response();
        response.set_header("allow", allow_header(table, pattern));
        return Ok(response);
    };
    request.params = captured;
    (route.handler)(request, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &ApiRequest, _: &Context) -> Result<Response, ApiError> {
        Err(ApiError::not_found())
    }

    mod table {
        use super::nothing;
        crate::route_table! {
            GET "/api/claims" => nothing,
            POST "/api/claims" => nothing,
            GET "/api/claims/completions" => nothing,
            GET "/api/claims/:id" => nothing,
            POST "/api/claims/:id/withdraw" => nothing,
        }
    }
    use table::ROUTES as TABLE;

    #[test]
    fn exact_segments_win_over_parameters_whatever_the_order() {
        let (pattern, captured) = best_pattern(TABLE, "/api/claims/completions").unwrap();
        assert_eq!((pattern, captured.len()), ("/api/claims/completions", 0));
        let (pattern, captured) = best_pattern(TABLE, "/api/claims/c-12/").unwrap();
        assert_eq!(pattern, "/api/claims/:id");
        assert_eq!(captured, vec![("id", "c-12".to_owned())]);
        assert!(best_pattern(TABLE, "/api/claims//withdraw").is_none());
        assert!(best_pattern(TABLE, "/api/claims/c-1/unknown").is_none());
        assert!(best_pattern(TABLE, "/api/claimsx").is_none());
    }

    #[test]
    fn allow_lists_each_method_of_a_pattern_once() {
        assert_eq!(allowed(TABLE, "/api/claims"), ["GET", "POST"]);
        assert_eq!(allowed(TABLE, "/api/claims/:id/withdraw"), ["POST"]);
    }
}
