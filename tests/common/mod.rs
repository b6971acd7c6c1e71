//! Helpers shared by the test modules.

use busplan::{check, plan, Options, Plan, Scenario};

/// Plans and checks: no solved plan escapes the checker, and its cost respects its bound.
pub fn solve_and_check(s: &Scenario, opts: &Options) -> Plan {
    let p = plan(s, opts).unwrap_or_else(|e| panic!("planning {} failed: {e}", s.name));
    let report = check(s, &p);
    assert!(report.is_ok(), "plan for {} fails the checker:\n{report}", s.name);
    assert!(p.totals.cost + 1e-6 >= p.lower_bound, "cost {} below lower bound {}", p.totals.cost, p.lower_bound);
    assert!((0.0..=1.0).contains(&p.gap));
    p
}

/// Reads an example scenario from `examples/`.
pub fn example(name: &str) -> Scenario {
    let path = format!("{}/examples/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    busplan::parse_scenario(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}
