//! Files for a county's finance office, who open them in Excel or WPS on Chinese Windows: one
//! `Sheet` of an export, written as CSV (UTF-8 with a byte-order mark and CRLF, so that they
//! do not read it as GBK) or as an `.xlsx` workbook (a title row, a header row, the rows, a
//! totals row; amounts as numbers with two places written from their decimal text, dates as
//! dates, columns wide enough for Chinese text).
//!
//! The workbook is the smallest SpreadsheetML Excel, WPS and openpyxl read, in a stored
//! (uncompressed) ZIP. `rust_xlsxwriter` alone made an 818 KB wasm module: over the size of a
//! whole component.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::Yuan;

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

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A code or an id that looks like a number but is not one (kept as text).
    Code(String),
    Count(u64),
    /// A decimal that is not money (study hours, a share), as its text.
    Decimal(String),
    Amount(Yuan),
    Date(NaiveDate),
    Empty,
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    /// The cell as CSV text: amounts with two places, dates `YYYY-MM-DD`.
    fn csv(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(t) => spreadsheet_text(t),
            Cell::Code(c) | Cell::Decimal(c) => Cow::Borrowed(c),
            Cell::Count(n) => Cow::Owned(n.to_string()),
            Cell::Amount(y) => Cow::Owned(y.to_string()),
            Cell::Date(d) => Cow::Owned(d.to_string()),
            Cell::Empty => Cow::Borrowed(""),
        }
    }

    /// Display width in character cells: a Chinese character takes two.
    fn width(&self) -> usize {
        self.csv()
            .chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum()
    }
}

/// What an export holds.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The worksheet's name (at most 31 characters).
    pub name: String,
    /// The title row of a workbook: county, period, fund.
    pub title: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    pub totals: Vec<Vec<Cell>>,
}

/// The UTF-8 byte-order mark: Excel and WPS read a CSV without it as GBK.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The media type of an `.xlsx` workbook.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl Sheet {
    /// CSV: the byte-order mark, the header, the rows and the totals, CRLF line ends.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(BOM.to_vec());
        out.write_record(&self.header).expect("in-memory CSV");
        for row in self.rows.iter().chain(&self.totals) {
            out.write_record(row.iter().map(|c| c.csv().into_owned()))
                .expect("in-memory CSV");
        }
        out.into_inner().expect("in-memory CSV")
    }

    /// An `.xlsx` workbook of one worksheet.
    pub fn to_xlsx(&self) -> Vec<u8> {
        let mut zip = StoredZip::default();
        zip.add("[Content_Types].xml", CONTENT_TYPES.as_bytes());
        zip.add("_rels/.rels", ROOT_RELS.as_bytes());
        zip.add(
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
                xml(&self.name.chars().take(31).collect::<String>())
            )
            .as_bytes(),
        );
        zip.add("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes());
        zip.add("xl/styles.xml", STYLES.as_bytes());
        zip.add("xl/worksheets/sheet1.xml", self.worksheet().as_bytes());
        zip.finish()
    }

    fn worksheet(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.len()).collect();
        for row in self.rows.iter().chain(&self.totals) {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.width());
            }
        }
        let mut out = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols>"#,
        );
        for (i, width) in widths.iter().enumerate() {
            out += &format!(
                r#"<col min="{n}" max="{n}" width="{}" customWidth="1"/>"#,
                (width + 2).min(60),
                n = i + 1
            );
        }
        out += "</cols><sheetData>";
        let title = [Cell::text(self.title.clone())];
        let header: Vec<Cell> = self.header.iter().map(|h| Cell::text(*h)).collect();
        let all = [&title[..], &header[..]]
            .into_iter()
            .chain(self.rows.iter().map(Vec::as_slice))
            .chain(self.totals.iter().map(Vec::as_slice));
        for (r, row) in all.enumerate() {
            out += &format!(r#"<row r="{}">"#, r + 1);
            for (c, cell) in row.iter().enumerate() {
                out += &xlsx_cell(&format!("{}{}", column_name(c), r + 1), cell, r == 1);
            }
            out += "</row>";
        }
        out + "</sheetData></worksheet>"
    }
}

/// Style ids in `STYLES`: 0 plain, 1 amount (0.00), 2 date (yyyy-mm-dd), 3 bold (header).
fn xlsx_cell(reference: &str, cell: &Cell, header: bool) -> String {
    let text = |t: &str, style: u8| {
        format!(
            r#"<c r="{reference}" t="inlineStr" s="{style}"><is><t xml:space="preserve">{}</t></is></c>"#,
            xml(t)
        )
    };
    match cell {
        Cell::Text(t) => text(&spreadsheet_text(t), if header { 3 } else { 0 }),
        Cell::Code(c) => text(c, 0),
        Cell::Count(n) => format!(r#"<c r="{reference}"><v>{n}</v></c>"#),
        Cell::Decimal(d) => format!(r#"<c r="{reference}"><v>{d}</v></c>"#),
        // The value is the amount's exact decimal text; the style shows two places.
        Cell::Amount(y) => format!(r#"<c r="{reference}" s="1"><v>{y}</v></c>"#),
        Cell::Date(d) => format!(r#"<c r="{reference}" s="2"><v>{}</v></c>"#, excel_day(*d)),
        Cell::Empty => String::new(),
    }
}

/// A day as Excel counts it: days since 1899-12-30.
fn excel_day(day: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid day");
    (day - epoch).num_days()
}

/// A, B, …, Z, AA, …
fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII")
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 allows no other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>"#;

/// A ZIP archive of stored (uncompressed) entries: all an `.xlsx` container needs.
#[derive(Default)]
struct StoredZip {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl StoredZip {
    fn add(&mut self, name: &str, data: &[u8]) {
        let crc = crc32fast::hash(data);
        let offset = self.out.len() as u32;
        let size = data.len() as u32;
        // Version 2.0; flag bit 11: the name is UTF-8; method 0: stored; a fixed DOS time.
        let common = |out: &mut Vec<u8>| {
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&0x0800u16.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&0x5021u16.to_le_bytes());
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
        };
        self.out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut self.out);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(data);

        self.central
            .extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        self.central.extend_from_slice(&20u16.to_le_bytes());
        common(&mut self.central);
        // Comment length, disk, internal and external attributes, offset.
        self.central.extend_from_slice(&[0; 8]);
        self.central.extend_from_slice(&0u32.to_le_bytes()[..2]);
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let central_offset = self.out.len() as u32;
        let central_size = self.central.len() as u32;
        self.out.extend_from_slice(&self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&[0; 4]);
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&central_size.to_le_bytes());
        self.out.extend_from_slice(&central_offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

/// `Content-Disposition` for a download named `name` (Chinese allowed): an ASCII `filename`
/// for old clients and the UTF-8 `filename*` of RFC 6266 / RFC 5987 that browsers and WeChat
/// use.
pub fn attachment(name: &str, ascii_fallback: &str) -> String {
    let mut encoded = String::new();
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    format!("attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{encoded}")
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

    fn sheet() -> Sheet {
        Sheet {
            name: "发票".into(),
            title: "泰山区 2020-03 职业技能提升行动专账资金".into(),
            header: vec!["trainee_name", "assessed_on", "amount"],
            rows: vec![vec![
                Cell::text("=张三"),
                Cell::Date("2020-03-15".parse().unwrap()),
                Cell::Amount(Yuan::parse("200.1").unwrap()),
            ]],
            totals: vec![vec![
                Cell::text("TOTAL"),
                Cell::Empty,
                Cell::Amount(Yuan::parse("200.1").unwrap()),
            ]],
        }
    }

    #[test]
    fn a_csv_starts_with_the_bom_and_ends_lines_with_crlf() {
        let csv = sheet().to_csv();
        assert!(csv.starts_with(BOM));
        let text = String::from_utf8(csv[3..].to_vec()).unwrap();
        assert_eq!(
            text,
            "trainee_name,assessed_on,amount\r\n'=张三,2020-03-15,200.10\r\nTOTAL,,200.10\r\n"
        );
    }

    #[test]
    fn a_workbook_is_a_zip_of_its_parts_with_exact_amounts_and_excel_days() {
        let book = sheet().to_xlsx();
        assert!(book.starts_with(b"PK\x03\x04"));
        let text = String::from_utf8_lossy(&book);
        assert!(
            text.contains(r#"<c r="C3" s="1"><v>200.10</v></c>"#),
            "{text}"
        );
        // 2020-03-15 is Excel day 43905.
        assert!(text.contains(r#"<c r="B3" s="2"><v>43905</v></c>"#));
        assert!(text.contains("&apos;") || text.contains("'=张三"));
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
    }

    #[test]
    fn a_download_keeps_its_chinese_name() {
        assert_eq!(
            attachment("泰山区-发票.csv", "invoice.csv"),
            "attachment; filename=\"invoice.csv\"; filename*=UTF-8''%E6%B3%B0%E5%B1%B1%E5%8C%BA-%E5%8F%91%E7%A5%A8.csv"
        );
    }
}
