//! The parts of `spin.toml` a Spin host acts on: variables, HTTP routes, components with
//! their sources, key-value stores and variable templates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDecl>,
    pub trigger: Triggers,
    pub component: BTreeMap<String, ComponentDecl>,
}

#[derive(Debug, Deserialize)]
pub struct VariableDecl {
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Deserialize)]
pub struct Triggers {
    pub http: Vec<HttpTrigger>,
}

#[derive(Debug, Deserialize)]
pub struct HttpTrigger {
    pub route: String,
    pub component: String,
}

#[derive(Debug, Deserialize)]
pub struct ComponentDecl {
    pub source: String,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let manifest: Manifest =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        for trigger in &manifest.trigger.http {
            if !manifest.component.contains_key(&trigger.component) {
                bail!(
                    "route {} names unknown component {}",
                    trigger.route,
                    trigger.component
                );
            }
        }
        Ok(manifest)
    }

    /// Adds a component with no store and no variables at `route`.
    pub fn add_component(&mut self, id: &str, route: &str, source: &Path) {
        self.component.insert(
            id.to_owned(),
            ComponentDecl {
                source: source.to_string_lossy().into_owned(),
                key_value_stores: vec![],
                variables: BTreeMap::new(),
            },
        );
        self.trigger.http.push(HttpTrigger {
            route: route.to_owned(),
            component: id.to_owned(),
        });
    }

    /// A component's source, relative to the manifest's folder.
    pub fn source_path(&self, manifest_path: &Path, component: &str) -> PathBuf {
        let folder = manifest_path.parent().unwrap_or(Path::new("."));
        folder.join(&self.component[component].source)
    }

    /// The application variables' values: `provided` first, else the default; every required
    /// variable must have one, as `spin up` insists.
    pub fn resolve_variables(
        &self,
        provided: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        let mut values = BTreeMap::new();
        for (name, decl) in &self.variables {
            match provided.get(name).or(decl.default.as_ref()) {
                Some(value) => {
                    values.insert(name.clone(), value.clone());
                }
                None if decl.required => bail!(
                    "required variable {name} has no value (set SPIN_VARIABLE_{})",
                    name.to_uppercase()
                ),
                None => {}
            }
        }
        Ok(values)
    }

    /// A component's own variables, their `{{ app_variable }}` templates filled in.
    pub fn component_variables(
        &self,
        component: &str,
        app: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        let mut values = BTreeMap::new();
        for (name, template) in &self.component[component].variables {
            values.insert(
                name.clone(),
                expand(template, app)
                    .with_context(|| format!("component {component} variable {name}"))?,
            );
        }
        Ok(values)
    }
}

fn expand(template: &str, app: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            bail!("unclosed {{{{ in {template:?}")
        };
        let name = rest[start + 2..start + end].trim();
        match app.get(name) {
            Some(value) => out.push_str(value),
            None => bail!("template {template:?} names variable {name}, which has no value"),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A Spin HTTP route: `/exact` or `/prefix/...` (which also matches `/prefix` itself); Spin
/// also reads `/prefix/*` as the same trailing wildcard (`spin-routes`' `parse_route`).
#[derive(Debug, Clone)]
pub struct Route {
    pub pattern: String,
    prefix: String,
    wildcard: bool,
}

impl Route {
    pub fn parse(pattern: &str) -> Result<Route> {
        let (prefix, wildcard) = match pattern
            .strip_suffix("/...")
            .or_else(|| pattern.strip_suffix("/*"))
        {
            Some(prefix) => (prefix.to_owned(), true),
            None => (pattern.trim_end_matches('/').to_owned(), false),
        };
        // Real Spin matches routes with `routefinder`, where `:name` captures a segment and
        // `*` matches the rest; this host matches only exact and trailing-wildcard routes, so
        // it refuses the others rather than read them as literal text, as Spin does not.
        if prefix
            .split('/')
            .any(|segment| segment.starts_with(':') || segment.contains('*'))
        {
            bail!(
                "route {pattern}: `:name` and `*` segments are routed by real Spin but not by \
                 this host; use exact routes and trailing wildcards (`/...`)"
            );
        }
        Ok(Route {
            pattern: pattern.to_owned(),
            prefix,
            wildcard,
        })
    }

    /// The path info (what follows the route's prefix) when the path matches.
    pub fn path_info<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix(&self.prefix)?;
        let trimmed = rest.trim_end_matches('/');
        match (self.wildcard, trimmed.is_empty()) {
            (_, true) => Some(""),
            (true, false) if rest.starts_with('/') => Some(rest),
            _ => None,
        }
    }

    /// The component route: the pattern without its wildcard.
    pub fn component_route(&self) -> &str {
        &self.prefix
    }

    /// Exact routes beat wildcards; among wildcards the longest prefix wins, as in Spin.
    pub fn specificity(&self) -> (bool, usize) {
        (!self.wildcard, self.prefix.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_like_spin() {
        let wild = Route::parse("/api/policy/...").unwrap();
        assert_eq!(wild.path_info("/api/policy"), Some(""));
        assert_eq!(wild.path_info("/api/policy/standards"), Some("/standards"));
        assert_eq!(wild.path_info("/api/policyx"), None);
        let exact = Route::parse("/health").unwrap();
        assert_eq!(exact.path_info("/health"), Some(""));
        assert_eq!(exact.path_info("/health/x"), None);
        assert!(exact.specificity() > wild.specificity());
        let star = Route::parse("/api/policy/*").unwrap();
        assert_eq!(star.path_info("/api/policy/standards"), Some("/standards"));
        assert_eq!(star.specificity(), wild.specificity());
    }

    #[test]
    fn routes_this_host_cannot_match_as_spin_does_are_refused() {
        for pattern in ["/api/claims/:id/approve", "/api/*/x"] {
            let refused = Route::parse(pattern).unwrap_err().to_string();
            assert!(refused.contains("not by this host"), "{refused}");
        }
    }

    #[test]
    fn templates_expand() {
        let app = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        assert_eq!(expand("x{{ a }}y{{a}}", &app).unwrap(), "x1y1");
        assert!(expand("{{ b }}", &app).is_err());
    }
}
