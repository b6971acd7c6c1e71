//! Property tests on random small scenarios: every plan passes the checker, its cost is at
//! least its lower bound, allowing hubs never costs more than going direct, `fast` is never
//! worse than `greedy` or `direct`, and `exact` on `HiGHS` is never worse than `fast`.

use crate::common::solve_and_check;
use busplan::generate::{small, Small};
use busplan::Options;
use busplan::Strategy as Plan;
use proptest::prelude::*;

fn size() -> impl proptest::strategy::Strategy<Value = Small> {
    (1usize..5, 0usize..3, 1usize..5, 1usize..4, any::<bool>())
        .prop_map(|(origins, hubs, destinations, types, train)| Small { origins, hubs, destinations, types, train })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_plan_passes_the_checker(size in size(), seed in any::<u64>()) {
        let s = small(size, seed);
        let p = solve_and_check(&s, &Options::default());
        prop_assert_eq!(p.totals.workers_delivered + p.totals.workers_unserved, p.totals.workers);
    }

    #[test]
    fn hubs_never_cost_more_than_direct(size in size(), seed in any::<u64>()) {
        let s = small(size, seed);
        let with_hubs = solve_and_check(&s, &Options { compare_direct: true, ..Options::default() });
        let direct = solve_and_check(&s, &Options { strategy: Plan::Direct, ..Options::default() });
        prop_assert!(with_hubs.totals.cost <= direct.totals.cost + 1e-6,
            "with hubs {} > direct {}", with_hubs.totals.cost, direct.totals.cost);
        prop_assert_eq!(with_hubs.totals.direct_only_cost, Some(direct.totals.cost));
    }

    #[test]
    fn fast_is_never_worse_than_greedy_or_direct(size in size(), seed in any::<u64>()) {
        let s = small(size, seed);
        let only = |strategy| Options { strategy, compare_direct: false, ..Options::default() };
        // As run by default: the direct-only plan is a candidate of every run.
        let fast = solve_and_check(&s, &Options::default());
        let greedy = solve_and_check(&s, &only(Plan::Greedy));
        let direct = solve_and_check(&s, &only(Plan::Direct));
        prop_assert!(fast.totals.cost <= greedy.totals.cost + 1e-6, "fast {} > greedy {}", fast.totals.cost, greedy.totals.cost);
        prop_assert!(fast.totals.cost <= direct.totals.cost + 1e-6, "fast {} > direct {}", fast.totals.cost, direct.totals.cost);
        // One bound for every strategy of a run: it does not depend on the strategy.
        prop_assert!(greedy.lower_bound <= fast.totals.cost + 1e-6);
    }

    #[cfg(feature = "highs")]
    #[test]
    fn exact_on_highs_is_never_worse_than_fast(size in size(), seed in any::<u64>()) {
        let s = small(size, seed);
        let fast = solve_and_check(&s, &Options { compare_direct: false, ..Options::default() });
        let exact = solve_and_check(&s, &Options {
            strategy: Plan::Exact, backend: busplan::Backend::Highs, time_limit_s: 10.0, compare_direct: false, ..Options::default()
        });
        prop_assert!(exact.totals.cost <= fast.totals.cost + 1e-6, "exact {} > fast {}", exact.totals.cost, fast.totals.cost);
    }

    #[test]
    fn exact_strategy_plans_pass_the_checker(seed in any::<u64>(), hubs in 0usize..2) {
        let s = small(Small { origins: 2, hubs, destinations: 2, types: 1, train: false }, seed);
        let p = solve_and_check(&s, &Options { strategy: Plan::Exact, time_limit_s: 2.0, ..Options::default() });
        prop_assert!(p.totals.cost >= p.lower_bound);
    }
}
