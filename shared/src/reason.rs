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

    /// One item of a list, parsed on its own: its value, or its reasons recorded and `None`.
    pub fn item<T>(&mut self, parsed: Result<T, Vec<Reason>>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(reasons) => {
                self.0.extend(reasons);
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

/// One field's parse, its reason pinned to the field: an item for [`AllParsed`].
pub fn field<T>(name: &str, parsed: Result<T, Reason>) -> Result<T, Vec<Reason>> {
    parsed.map_err(|reason| vec![reason.at(name)])
}

/// An optional field's parse: absent is `None`, present must parse.
pub fn optional_field<T>(
    name: &str,
    input: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, Reason>,
) -> Result<Option<T>, Vec<Reason>> {
    input.map(|value| field(name, parse(value))).transpose()
}

/// Several parses at once: every value when all parsed, else every reason of every field, so
/// a client fixes them all in one go. Matching on the tuple means no value is taken on trust.
pub trait AllParsed {
    type Values;
    fn all_parsed(self) -> Result<Self::Values, Vec<Reason>>;
}

macro_rules! all_parsed {
    ($($t:ident $v:ident),+) => {
        impl<$($t),+> AllParsed for ($(Result<$t, Vec<Reason>>,)+) {
            type Values = ($($t,)+);
            fn all_parsed(self) -> Result<Self::Values, Vec<Reason>> {
                match self {
                    ($(Ok($v),)+) => Ok(($($v,)+)),
                    ($($v,)+) => {
                        let mut reasons = Vec::new();
                        $(if let Err(r) = $v { reasons.extend(r); })+
                        Err(reasons)
                    }
                }
            }
        }
    };
}

all_parsed!(A a, B b);
all_parsed!(A a, B b, C c);
all_parsed!(A a, B b, C c, D d);
all_parsed!(A a, B b, C c, D d, E e);
all_parsed!(A a, B b, C c, D d, E e, F f);
all_parsed!(A a, B b, C c, D d, E e, F f, G g);
all_parsed!(A a, B b, C c, D d, E e, F f, G g, H h);

#[cfg(test)]
mod all_parsed_tests {
    use super::*;

    #[test]
    fn every_reason_of_every_field_is_kept() {
        let bad = || Err(Reason::new("bad", "坏", "bad"));
        let parsed: Result<(u8, u8, u8), _> =
            (field("a", bad()), field("b", Ok(2)), field("c", bad())).all_parsed();
        let fields: Vec<_> = parsed.unwrap_err().into_iter().map(|r| r.field).collect();
        assert_eq!(fields, [Some("a".to_owned()), Some("c".to_owned())]);
        assert_eq!(
            (field("a", Ok(1)), field("b", Ok(2))).all_parsed(),
            Ok((1, 2))
        );
    }
}
