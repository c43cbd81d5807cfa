//! The contract, `docs/openapi.json`, held to what the server answers: every request the API
//! tests send through `Call::send` and every answer they get is checked against it, in both
//! store modes, and a test fails at the exchange that breaks it. A path no route documents
//! must answer 404, a documented path with an undocumented method 405; a documented
//! operation must answer a documented status, with a documented content type and a body its
//! schema (where `additionalProperties: false` refuses an undocumented field, and each error
//! response lists its codes) accepts. A request the server accepted (2xx) must be one the
//! document describes: its JSON body. (Query parameters the document does not list are
//! ignored by the server, as the document says.)
//!
//! With `COUNTY_API_EXERCISED` set to a file, each operation exercised is written to it once
//! per test binary (`scripts/openapi-check.py` fails for a documented one never exercised).

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use county_host::client::Exchange;
use serde_json::{Value, json};

struct Operation {
    method: String,
    template: String,
    /// JSON pointer of the operation object in the document.
    pointer: String,
}

struct Contract {
    document: Value,
    operations: Vec<Operation>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
    exercised: Mutex<BTreeSet<String>>,
}

/// The document as the repository keeps it (and `GET /api/openapi.json` serves it).
pub fn document() -> Value {
    let path = county_host::dev::manifest_path().with_file_name("docs/openapi.json");
    let text = std::fs::read_to_string(&path).expect("docs/openapi.json");
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let document = document();
        let mut operations = Vec::new();
        for (template, item) in document["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                let escaped = template.replace('~', "~0").replace('/', "~1");
                operations.push(Operation {
                    method: method.to_uppercase(),
                    template: template.clone(),
                    pointer: format!("/paths/{escaped}/{method}"),
                });
            }
        }
        Contract {
            document,
            operations,
            validators: Mutex::new(HashMap::new()),
            exercised: Mutex::new(BTreeSet::new()),
        }
    })
}

/// The observer the helpers install: panics, failing the test, at an exchange the document
/// does not describe.
pub fn check(exchange: &Exchange) {
    let contract = contract();
    if let Err(problem) = contract.check(exchange) {
        let reply = exchange.reply;
        panic!(
            "docs/openapi.json does not describe {} {} answered {}: {problem}\nanswer: {}",
            exchange.method,
            exchange.path,
            reply.status,
            String::from_utf8_lossy(&reply.body[..reply.body.len().min(600)])
        );
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').collect()
}

fn matches(template: &str, path: &str) -> bool {
    let (want, have) = (segments(template), segments(path));
    want.len() == have.len()
        && want.iter().zip(&have).all(|(w, h)| {
            if w.starts_with('{') {
                !h.is_empty()
            } else {
                w == h
            }
        })
}

/// Whether `a` beats `b` for one path: at the first segment where one is exact and the other
/// a parameter, the exact one (as Spin's router and the components' tables decide).
fn more_specific(a: &str, b: &str) -> bool {
    for (x, y) in segments(a).into_iter().zip(segments(b)) {
        match (x.starts_with('{'), y.starts_with('{')) {
            (false, true) => return true,
            (true, false) => return false,
            _ => {}
        }
    }
    false
}

/// A batch (`x-items-answered-one-by-one: "records"`) is answered 200 with each item's own
/// answer in `results`: a platform's records by `index` with `outcome: "accepted"`, the bank's
/// lines in order with `applied: true`. Only the items it accepted are held to the schema; the
/// others were refused, each with its reason.
fn keep_accepted_items(body: &mut Value, items: &str, answer: &Value) {
    let accepted: Vec<u64> = (answer["results"].as_array().into_iter().flatten())
        .enumerate()
        .filter(|(_, result)| result["outcome"] == "accepted" || result["applied"] == true)
        .map(|(position, result)| result["index"].as_u64().unwrap_or(position as u64))
        .collect();
    if let Some(list) = body.get_mut(items).and_then(Value::as_array_mut) {
        let mut index = 0;
        list.retain(|_| {
            index += 1;
            accepted.contains(&(index - 1))
        });
    }
}

fn media_type(value: Option<&str>) -> &str {
    value.unwrap_or("").split(';').next().unwrap_or("").trim()
}

impl Contract {
    fn check(&self, exchange: &Exchange) -> Result<(), String> {
        let path = exchange.path.split('?').next().unwrap_or_default();
        let mut template: Option<&str> = None;
        for operation in &self.operations {
            if matches(&operation.template, path)
                && template.is_none_or(|t| more_specific(&operation.template, t))
            {
                template = Some(&operation.template);
            }
        }
        let reply = exchange.reply;
        // Spin's router answers a path no component of this deployment serves itself (the
        // public deployment leaves the desk out): a bare 404, whatever the document says.
        if reply.status == 404 && reply.header("content-type").is_none() {
            return Ok(());
        }
        let Some(template) = template else {
            return match reply.status {
                404 => Ok(()),
                _ => Err("no documented path matches, so the answer must be 404".into()),
            };
        };
        let method = match exchange.method {
            "HEAD" => "GET",
            other => other,
        };
        let Some(operation) =
            (self.operations.iter()).find(|o| o.template == template && o.method == method)
        else {
            if reply.status != 405 {
                return Err(format!(
                    "{template} documents no {method}: the answer must be 405"
                ));
            }
            let error = json!({"$ref": "#/components/schemas/Error"});
            return self.validate("405", &error, &reply.json());
        };
        self.exercised(&operation.method, template);
        let op = self.at(&operation.pointer);
        let status = reply.status.to_string();
        let response = self.resolved(&op["responses"][&status]);
        if response.is_null() {
            return Err(format!(
                "{} {template} documents no {status}",
                operation.method
            ));
        }
        self.check_answer(exchange, &operation.pointer, &status, response)?;
        if (200..300).contains(&reply.status) {
            self.check_accepted_request(exchange, &operation.pointer, op)?;
        }
        Ok(())
    }

    fn check_answer(
        &self,
        exchange: &Exchange,
        pointer: &str,
        status: &str,
        response: &Value,
    ) -> Result<(), String> {
        let reply = exchange.reply;
        let content = &response["content"];
        // HEAD and 304 carry no body; nor does the bare 500 Spin answers for an instance that
        // trapped or was killed (the reliability tests kill instances mid-request).
        if exchange.method == "HEAD" || reply.status == 304 {
            return Ok(());
        }
        if reply.body.is_empty() && (content.is_null() || reply.status == 500) {
            return Ok(());
        }
        let media = media_type(reply.header("content-type"));
        let Some(documented) = content.get(media) else {
            return Err(format!("{status} documents no content of type {media:?}"));
        };
        if media != "application/json" {
            return Ok(());
        }
        let schema = &documented["schema"];
        let at = format!("{pointer}/responses/{status}");
        self.validate(&at, schema, &reply.json())
    }

    fn check_accepted_request(
        &self,
        exchange: &Exchange,
        pointer: &str,
        op: &Value,
    ) -> Result<(), String> {
        if exchange.body.is_empty() {
            return Ok(());
        }
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        if schema.is_null() {
            return Err("the request had a body, but the operation documents none".into());
        }
        let mut body: Value = serde_json::from_slice(exchange.body)
            .map_err(|e| format!("an accepted request body is not JSON: {e}"))?;
        if let Some(items) = op["x-items-answered-one-by-one"].as_str() {
            keep_accepted_items(&mut body, items, &exchange.reply.json());
        }
        self.validate(&format!("{pointer}/requestBody"), schema, &body)
            .map_err(|e| format!("the accepted request: {e}"))
    }

    fn at(&self, pointer: &str) -> &Value {
        self.document
            .pointer(pointer)
            .expect("a pointer of the document")
    }

    /// A response object, through its `$ref` to `#/components/responses/…` if it has one.
    fn resolved<'a>(&'a self, response: &'a Value) -> &'a Value {
        match response["$ref"].as_str() {
            Some(reference) => self.at(reference.trim_start_matches('#')),
            None => response,
        }
    }

    /// Validates `instance` against `schema` (compiled once per `key`), whose `$ref`s name
    /// the document's components.
    fn validate(&self, key: &str, schema: &Value, instance: &Value) -> Result<(), String> {
        let validator = {
            let mut validators = self.validators.lock().expect("validators");
            let entry = validators.entry(key.to_owned()).or_insert_with(|| {
                let mut root = schema.clone();
                root["components"] = self.document["components"].clone();
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("the schema at {key} does not compile: {e}"));
                Arc::new(validator)
            });
            entry.clone()
        };
        let problems: Vec<String> = (validator.iter_errors(instance))
            .take(5)
            .map(|e| format!("at {:?}: {e}", e.instance_path().to_string()))
            .collect();
        match problems.is_empty() {
            true => Ok(()),
            false => Err(problems.join("; ")),
        }
    }

    fn exercised(&self, method: &str, template: &str) {
        let line = format!("{method} {template}");
        if !self
            .exercised
            .lock()
            .expect("exercised")
            .insert(line.clone())
        {
            return;
        }
        if let Ok(file) = std::env::var("COUNTY_API_EXERCISED") {
            let mut file = (std::fs::OpenOptions::new().create(true).append(true))
                .open(&file)
                .expect("COUNTY_API_EXERCISED names a writable file");
            writeln!(file, "{line}").expect("writing COUNTY_API_EXERCISED");
        }
    }
}
