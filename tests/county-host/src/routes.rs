//! HTTP routing exactly as Spin 4.0.2 does it (`crates/routes/src/lib.rs` at tag v4.0.2), with
//! the same crate underneath: `routefinder` 0.5, where an exact segment beats a `:name`
//! parameter, which beats a trailing wildcard. `/prefix/...` is Spin's spelling of the
//! trailing wildcard `/prefix/*`; both also match `/prefix` itself. A route named twice is
//! kept once, the later winning, as Spin's `IndexMap` does.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};

/// A route as the manifest writes it, with the component it goes to.
#[derive(Debug, Clone)]
pub struct RouteHandler {
    /// As written in `spin.toml` (`spin-matched-route`, `spin-raw-component-route`).
    pub pattern: String,
    pub component: String,
}

impl RouteHandler {
    /// The route without its trailing `/...` (`spin-component-route`).
    pub fn component_route(&self) -> &str {
        self.pattern.strip_suffix("/...").unwrap_or(&self.pattern)
    }
}

/// What a path matched: the handler, the named parameters and the path info.
#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    pub handler: &'a RouteHandler,
    /// `:name` captures, each sent as header `spin-path-match-<name>`.
    pub parameters: BTreeMap<String, String>,
    /// What the trailing wildcard matched, as Spin writes it (`spin-path-info`): empty, or
    /// starting with `/`, with a trailing slash kept.
    pub path_info: String,
}

pub struct Router {
    inner: routefinder::Router<RouteHandler>,
}

impl Router {
    /// A router over `(route, component)` pairs in manifest order.
    pub fn build<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Router> {
        let mut unique: Vec<(String, String)> = Vec::new();
        for (route, component) in routes {
            unique.retain(|(r, _)| r != route);
            unique.push((route.to_owned(), component.to_owned()));
        }
        let mut inner = routefinder::Router::new();
        for (pattern, component) in unique {
            let spec = match pattern.strip_suffix("/...") {
                Some(prefix) => format!("{prefix}/*"),
                None => pattern.clone(),
            };
            let handler = RouteHandler {
                pattern: pattern.clone(),
                component: component.clone(),
            };
            inner
                .add(spec.as_str(), handler)
                .map_err(|e| anyhow!("route {pattern} of component {component}: {e}"))?;
        }
        Ok(Router { inner })
    }

    /// The best match for `path`, as Spin chooses it; `None` where Spin answers 404 itself.
    pub fn route(&self, path: &str) -> Option<RouteMatch<'_>> {
        let found = self.inner.best_match(path)?;
        let captures = found.captures();
        let parameters = (captures.iter())
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        // Spin keeps the slashes routefinder drops from the wildcard (`trailing_wildcard`).
        let path_info = match captures.wildcard() {
            None => String::new(),
            Some(rest) => match (rest.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_owned(),
                (false, false) => format!("/{rest}"),
                (false, true) => format!("/{rest}/"),
            },
        };
        Some(RouteMatch {
            handler: found.handler(),
            parameters,
            path_info,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::build([
            ("/api/claims/...", "trainee"),
            ("/api/claims/queue", "desk"),
            ("/api/claims/:id/approve", "desk"),
            ("/api/claims/:id", "trainee"),
            ("/api/policy/*", "policy"),
            ("/health", "health"),
        ])
        .unwrap()
    }

    /// Where a path goes: the component, the parameters and the path info.
    type Route = (String, Vec<(String, String)>, String);

    fn goes(path: &str) -> Option<Route> {
        let router = router();
        let found = router.route(path)?;
        Some((
            found.handler.component.clone(),
            found.parameters.into_iter().collect(),
            found.path_info,
        ))
    }

    #[test]
    fn exact_segments_beat_parameters_which_beat_wildcards() {
        assert_eq!(goes("/api/claims/queue").unwrap().0, "desk");
        let (component, parameters, _) = goes("/api/claims/c-1").unwrap();
        assert_eq!(component, "trainee");
        assert_eq!(parameters, [("id".to_owned(), "c-1".to_owned())]);
        let (component, parameters, _) = goes("/api/claims/c-1/approve").unwrap();
        assert_eq!((component.as_str(), parameters.len()), ("desk", 1));
        // A parameter takes any segment, words included: the component sorts them out.
        assert_eq!(goes("/api/claims/queue/approve").unwrap().0, "desk");
        let (component, parameters, info) = goes("/api/claims/c-1/unknown").unwrap();
        assert_eq!(
            (component.as_str(), parameters.len(), info.as_str()),
            ("trainee", 0, "/c-1/unknown")
        );
    }

    #[test]
    fn wildcards_match_their_prefix_and_keep_slashes_as_spin_does() {
        assert_eq!(goes("/api/claims").unwrap().2, "");
        assert_eq!(goes("/api/claims/").unwrap().2, "/");
        assert_eq!(goes("/api/policy/standards").unwrap().2, "/standards");
        assert_eq!(goes("/api/policy/standards/").unwrap().2, "/standards/");
        assert!(goes("/api/policyx").is_none());
        assert_eq!(goes("/health").unwrap().0, "health");
        assert!(goes("/health/x").is_none());
        assert!(goes("/elsewhere").is_none());
    }

    #[test]
    fn a_route_named_twice_goes_to_the_later() {
        let router = Router::build([("/a/...", "first"), ("/a/...", "second")]).unwrap();
        assert_eq!(router.route("/a/b").unwrap().handler.component, "second");
    }
}
