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

    /// Keeps only `ids` and their routes, as `spin up --component-id` does (repeated, one id
    /// each); an id the manifest lacks is an error.
    pub fn retain_components(&mut self, ids: &[String]) -> Result<()> {
        if let Some(unknown) = ids.iter().find(|id| !self.component.contains_key(*id)) {
            bail!("--component-id {unknown}: spin.toml has no such component");
        }
        self.component.retain(|id, _| ids.contains(id));
        self.trigger.http.retain(|t| ids.contains(&t.component));
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand() {
        let app = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        assert_eq!(expand("x{{ a }}y{{a}}", &app).unwrap(), "x1y1");
        assert!(expand("{{ b }}", &app).is_err());
    }
}
