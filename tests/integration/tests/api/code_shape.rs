//! The shape of what is built and read: every component of `spin.toml`, as built, at most
//! 830 KB (830,000 bytes), what a county's pods load on each cold start (800,000 until the
//! event feeds, which every component that changes claims, records or invoices writes, added
//! up to 42 KB to a component: platform-invoices went to 815,448, 2026-12-07); no function in
//! `components/` or `shared/` longer than 60 lines, from its `fn` to its closing brace (a
//! longer one is split where its steps are, each step named for what it does).

use std::path::{Path, PathBuf};

use county_host::manifest::Manifest;
use syn::visit::Visit;

use crate::helpers::manifest_path;

#[test]
fn every_component_as_built_is_at_most_830_kb() {
    let manifest = Manifest::load(&manifest_path()).unwrap();
    let root = manifest_path().parent().unwrap().to_owned();
    let mut over = Vec::new();
    for (id, component) in &manifest.component {
        let bytes = std::fs::metadata(root.join(&component.source))
            .unwrap_or_else(|e| panic!("{id}: {}: {e}", component.source))
            .len();
        if bytes > 830_000 {
            over.push(format!("{id}: {bytes} bytes"));
        }
    }
    assert!(
        manifest.component.len() >= 9,
        "{:?}",
        manifest.component.keys()
    );
    assert!(over.is_empty(), "over 830,000 bytes: {over:?}");
}

const MOST_LINES: usize = 60;

/// Every `.rs` file under `dir`, build output left out.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() && path.file_name().is_some_and(|n| n != "target") {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// Functions longer than `MOST_LINES`: name, first line, lines.
#[derive(Default)]
struct LongFunctions(Vec<(String, usize, usize)>);

impl LongFunctions {
    fn check(&mut self, name: &syn::Ident, fn_token: &syn::token::Fn, block: &syn::Block) {
        let first = fn_token.span.start().line;
        let lines = block.brace_token.span.close().end().line - first + 1;
        if lines > MOST_LINES {
            self.0.push((name.to_string(), first, lines));
        }
    }
}

impl<'ast> Visit<'ast> for LongFunctions {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.check(&f.sig.ident, &f.sig.fn_token, &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.check(&f.sig.ident, &f.sig.fn_token, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.check(&f.sig.ident, &f.sig.fn_token, block);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

#[test]
fn no_function_in_the_components_or_the_rules_crate_is_over_60_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("components"), &mut files);
    rust_files(&root.join("shared"), &mut files);
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut too_long = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).expect("source file");
        let syntax = syn::parse_file(&source)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        let mut long = LongFunctions::default();
        long.visit_file(&syntax);
        for (name, line, lines) in long.0 {
            let path = path.strip_prefix(&root).unwrap_or(path).display();
            too_long.push(format!("{path}:{line} fn {name}: {lines} lines"));
        }
    }
    assert!(
        too_long.is_empty(),
        "functions over {MOST_LINES} lines:\n{}",
        too_long.join("\n")
    );
}
