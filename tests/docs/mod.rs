//! The documentation lists what the code does.

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn every_code_is_documented() {
    let doc = read("docs/codes.md");
    for (code, what) in busplan::validate::codes().iter().chain(busplan::check::codes()) {
        assert!(doc.contains(&format!("| `{code}` | {what} |")), "docs/codes.md lacks {code}: {what}");
    }
}

#[test]
fn every_scenario_field_is_documented() {
    let doc = read("docs/scenario.md");
    // Every field name that scenario.rs declares appears in the scenario documentation.
    let src = read("crates/busplan-core/src/scenario.rs");
    for line in src.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("pub ") {
            if let Some((name, _)) = rest.split_once(':') {
                if !name.contains(' ') && !name.contains('(') {
                    assert!(doc.contains(&format!("`{name}`")), "docs/scenario.md lacks field `{name}`");
                }
            }
        }
    }
}
