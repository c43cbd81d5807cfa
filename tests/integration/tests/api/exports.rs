//! Exports a county's finance office opens in Excel or WPS on Chinese Windows, read back by an
//! independent reader: Python's `csv` and `openpyxl` (from PyPI; `.ci/run` installs it).

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::helpers::*;

/// Runs a Python check on files the app produced; its assertion message on failure.
pub fn python(script: &str, files: &[&Path]) {
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(files)
        .output()
        .expect("python3 runs (with openpyxl: pip install openpyxl)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

pub const CHECK_CSV: &str = r#"
import csv, decimal, sys
raw = open(sys.argv[1], 'rb').read()
assert raw.startswith(b'\xef\xbb\xbf'), 'no byte-order mark'
assert b'\r\n' in raw and b'\n' not in raw.replace(b'\r\n', b''), 'lines do not end CRLF'
text = raw.decode('utf-8-sig')
rows = list(csv.reader(text.splitlines()))
header, body = rows[0], rows[1:]
amount = header.index('amount')
total = next(r for r in body if 'TOTAL' in r)
lines = [r for r in body if 'TOTAL' not in r]
assert sum(decimal.Decimal(r[amount]) for r in lines) == decimal.Decimal(total[amount]), rows
assert all(len(r[amount].split('.')[1]) == 2 for r in body), 'two places'
assert sys.argv[2] in text, 'Chinese text round-trips'
"#;

pub const CHECK_XLSX: &str = r#"
import datetime, decimal, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
sheet = book.active
rows = list(sheet.iter_rows(values_only=True))
title, header, body = rows[0], rows[1], rows[2:]
for part in sys.argv[2].split('|'):
    assert part in title[0], (part, title)
amount = header.index('amount')
total = next(r for r in body if 'TOTAL' in r)
lines = [r for r in body if 'TOTAL' not in r]
assert all(isinstance(r[amount], (int, float)) for r in body), 'amounts are numbers'
cents = lambda v: decimal.Decimal(str(v)).quantize(decimal.Decimal('0.01'))
assert sum(cents(r[amount]) for r in lines) == cents(total[amount]), rows
for row in sheet.iter_rows(min_row=3):
    if row[amount].value is not None:
        assert row[amount].number_format == '0.00', row[amount].number_format
if 'assessed_on' in header:
    day = header.index('assessed_on')
    assert all(isinstance(r[day], datetime.datetime) for r in lines), 'dates are dates'
widths = [sheet.column_dimensions[c].width for c in 'ABCDEFGH']
assert all(w and w >= 6 for w in widths), widths
"#;

#[tokio::test(flavor = "multi_thread")]
async fn invoices_and_the_report_open_in_a_spreadsheet_with_their_chinese_text_and_exact_sums() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1234.57").await;
    let trainees = [TRAINEE_A.to_owned(), resident_id("37090219900307002")];
    let records = (trainees.iter().enumerate())
        .map(|(i, t)| {
            let mut r = record(&format!("r{i}"), t, "4-03-02-01", "2020-03-15");
            r["trainee"]["name"] = json!(["张三", "李四"][i]);
            r
        })
        .collect();
    report(&county, &platform, records).await;
    for t in &trainees {
        verify_key_group(&county, t).await;
        let claim = submit_claim(
            &county,
            t,
            &claim_body("wljnpx", if t == TRAINEE_A { "r0" } else { "r1" }),
        )
        .await;
        assert_eq!(claim.status, 201, "{}", claim.json());
    }
    let number = invoice_number(&issue_invoice(&county, &platform, "2020-03").await);
    let folder = std::env::temp_dir().join(format!("county-exports-{}", nonce()));
    std::fs::create_dir_all(&folder).unwrap();

    let get = |path: String, accept: Option<&str>| {
        let mut c = call("GET", &path).bearer(&finance());
        if let Some(accept) = accept {
            c = c.header("accept", accept);
        }
        c
    };
    let xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let downloads = [
        (
            format!("/api/platform/invoices/{number}/csv"),
            None,
            "text/csv",
            "csv",
        ),
        (
            format!("/api/platform/invoices/{number}/export?format=xlsx"),
            None,
            xlsx_type,
            "xlsx",
        ),
        (
            format!("/api/platform/invoices/{number}/export"),
            Some(xlsx_type),
            xlsx_type,
            "xlsx",
        ),
        (
            "/api/claims/report?format=csv".into(),
            None,
            "text/csv",
            "csv",
        ),
        (
            "/api/claims/report?format=xlsx".into(),
            None,
            xlsx_type,
            "xlsx",
        ),
    ];
    for (i, (path, accept, content_type, extension)) in downloads.into_iter().enumerate() {
        let reply = get(path.clone(), accept).send(&county).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
        let disposition = reply.header("content-disposition").unwrap().to_owned();
        let file = folder.join(format!("{i}.{extension}"));
        std::fs::write(&file, &reply.body).unwrap();
        let invoice = path.contains("invoices");
        if invoice {
            // 泰山区-互联网+职业技能培训网-2020-03-发票, as RFC 5987 encodes it.
            let name: String = form_urlencoded::byte_serialize(
                format!("泰山区-互联网+职业技能培训网-2020-03-发票.{extension}").as_bytes(),
            )
            .collect();
            let name = name.replace("%2B", "+");
            assert!(
                disposition.contains(&format!("filename*=UTF-8''{name}")),
                "{disposition}"
            );
        }
        assert!(
            disposition.contains(&format!(".{extension}\"")),
            "{disposition}"
        );
        match (extension, invoice) {
            ("csv", true) => python(CHECK_CSV, &[&file, Path::new("李四")]),
            ("csv", false) => python(CHECK_CSV, &[&file, Path::new("migrant_worker")]),
            (_, true) => python(
                CHECK_XLSX,
                &[
                    &file,
                    Path::new("泰山区|互联网+职业技能培训网|2020-03|职业技能提升行动专账资金"),
                ],
            ),
            (_, false) => python(CHECK_XLSX, &[&file, Path::new("泰山区|370902")]),
        }
    }
    std::fs::remove_dir_all(&folder).unwrap();
}
