//! What every file for a spreadsheet shares: text a spreadsheet will not run as a formula.

use std::borrow::Cow;

/// A text cell as a spreadsheet will show it and never evaluate: a cell starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return is a formula to Excel and WPS, so it is prefixed
/// with `'` (OWASP's CSV-injection advice). A platform controls names it reports; finance
/// opens the file.
pub fn spreadsheet_text(text: &str) -> Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_neutralised_and_other_text_kept() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(spreadsheet_text(formula), format!("'{formula}"));
        }
        for plain in ["张三", "WL-2020-1", "", "a=b"] {
            assert_eq!(spreadsheet_text(plain), plain);
        }
    }
}
