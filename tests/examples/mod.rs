//! The example scenarios: planned, checked, every worker delivered, and equal to the golden
//! plans in `tests/golden/` (set `BUSPLAN_BLESS=1` to rewrite them after a deliberate change).

use crate::common::{example, solve_and_check};
use busplan::Options;

const EXAMPLES: [&str; 3] = ["chaoyang-dalian", "zhuanghe-train", "nujiang-zhuhai"];

fn golden(name: &str) {
    let s = example(name);
    let p = solve_and_check(&s, &Options::default());
    assert_eq!(p.totals.workers_delivered, p.totals.workers, "{name}: workers left behind");
    assert!(p.unserved.is_empty());
    let json = serde_json::to_string_pretty(&p).unwrap() + "\n";
    let path = format!("{}/tests/golden/{name}.plan.json", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("BUSPLAN_BLESS").is_some() {
        std::fs::write(&path, &json).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e} (run with BUSPLAN_BLESS=1 once)"));
    assert!(want == json, "{name}: plan differs from {path}; if the change is deliberate, rerun with BUSPLAN_BLESS=1");
}

#[test]
fn chaoyang_dalian_golden() {
    golden("chaoyang-dalian");
}

#[test]
fn zhuanghe_train_golden() {
    golden("zhuanghe-train");
}

#[test]
fn nujiang_zhuhai_golden() {
    golden("nujiang-zhuhai");
}

#[test]
fn chaoyang_regroups_at_a_service_area_and_saves() {
    let p = solve_and_check(&example("chaoyang-dalian"), &Options::default());
    assert!(p.totals.transfers > 0, "nobody changes bus at the service area");
    assert!(p.vehicles.iter().any(|v| v.legs.len() == 2 && !v.legs[0].stay_on.is_empty()), "no bus keeps passengers through the hub");
    let saving = p.totals.saving_vs_direct.expect("direct baseline computed");
    assert!(saving > 0.0, "regrouping should beat direct buses here, saving {saving}");
}

#[test]
fn train_examples_use_their_trains() {
    for name in ["zhuanghe-train", "nujiang-zhuhai"] {
        let p = solve_and_check(&example(name), &Options::default());
        let on_trains: u32 = p.services.iter().flat_map(|s| &s.passengers).map(|x| x.count).sum();
        assert_eq!(u64::from(on_trains), p.totals.workers, "{name}: everyone goes by train");
    }
}

#[test]
fn examples_parse_and_validate() {
    for name in EXAMPLES {
        busplan::validate(&example(name)).unwrap();
    }
}
