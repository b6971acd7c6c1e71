//! The same scenario, options and seed give a byte-identical plan at any thread count.

use crate::common::{example, solve_and_check};
use busplan::generate::{small, Small};
use busplan::Options;
use proptest::prelude::*;

fn json_with_threads(s: &busplan::Scenario, threads: usize) -> String {
    serde_json::to_string(&solve_and_check(s, &Options { threads, ..Options::default() })).unwrap()
}

#[test]
fn chaoyang_same_plan_with_1_and_2_threads() {
    let s = example("chaoyang-dalian");
    assert_eq!(json_with_threads(&s, 1), json_with_threads(&s, 2));
}

/// The city tier (7,079 paths) takes the LP relaxation by PDHG and the simplex on its support:
/// the same plan on one thread and on two.
#[test]
fn city_tier_same_plan_with_1_and_2_threads() {
    let s = busplan::generate::tier(busplan::generate::Tier::City, 1);
    assert_eq!(json_with_threads(&s, 1), json_with_threads(&s, 2));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_scenarios_same_plan_with_1_and_2_threads(seed in any::<u64>(), hubs in 0usize..3, train in any::<bool>()) {
        let s = small(Small { origins: 3, hubs, destinations: 3, types: 2, train }, seed);
        prop_assert_eq!(json_with_threads(&s, 1), json_with_threads(&s, 2));
    }
}
