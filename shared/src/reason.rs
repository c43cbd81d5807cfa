//! One shape for everything that can be wrong: an input that does not parse, a rule a claim
//! fails, a request that is refused. Front ends switch on `code`; people read the messages.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable, machine-readable, snake_case. Never reworded once published.
    pub code: &'static str,
    /// The JSON path of the input the reason is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message_zh: String,
    pub message_en: String,
}

impl Reason {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Reason {
            code,
            field: None,
            message_zh: zh.into(),
            message_en: en.into(),
        }
    }

    /// The same reason, pinned to the input field it is about.
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} at {}: {}", self.code, field, self.message_en),
            None => write!(f, "{}: {}", self.code, self.message_en),
        }
    }
}

impl std::error::Error for Reason {}

/// A free text a person typed: trimmed, non-empty, at most `max_chars` characters.
pub fn bounded_text(value: &str, max_chars: usize) -> Result<String, Reason> {
    let trimmed = value.trim();
    if !trimmed.is_empty() && trimmed.chars().count() <= max_chars {
        Ok(trimmed.to_owned())
    } else {
        Err(Reason::new(
            "invalid_text",
            format!("应为不超过{max_chars}字的非空文本"),
            format!("A non-empty text of at most {max_chars} characters"),
        ))
    }
}

/// Collects every problem found while parsing one input, so a client fixes them all at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<Reason>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one field; on failure records the reason (pinned to `field`) and yields `None`.
    pub fn field<T>(&mut self, field: &str, parsed: Result<T, Reason>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(reason) => {
                self.0.push(reason.at(field));
                None
            }
        }
    }

    /// Records `repeated(i, item)` for each parsed item whose `key` an earlier item has.
    pub fn flag_repeats<T, K: PartialEq>(
        &mut self,
        items: &[Option<T>],
        key: impl Fn(&T) -> K,
        repeated: impl Fn(usize, &T) -> Reason,
    ) {
        for (i, item) in items.iter().enumerate() {
            let Some(item) = item else { continue };
            if items[..i]
                .iter()
                .flatten()
                .any(|earlier| key(earlier) == key(item))
            {
                self.push(repeated(i, item));
            }
        }
    }

    pub fn push(&mut self, reason: Reason) {
        self.0.push(reason);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, else every recorded reason.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<Reason>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }

    pub fn into_vec(self) -> Vec<Reason> {
        self.0
    }
}
