//! The search once more on finer departure classes, where waiting at hubs costs what it does.
//!
//! The model's network gives a hub at most `CLASS_LEGS / n` departure classes for `n`
//! destinations, so that its LP stays small: the city tier's stations get two, each grouping
//! trains that arrive hours apart. A bus of a class leaves when its last passenger has arrived,
//! and the model prices the waiting of its earlier passengers only from the class's earliest
//! arrival. So the search cannot see that two trains' workers for one drop point wait less on
//! two buses, or on one train.
//!
//! [`polish`] maps the search's answer onto [`Network::finer`] (six classes at every hub),
//! where the waiting is priced class by class, and runs the incremental and guided
//! refinement there. The answer maps back onto the model's network as one more plan
//! candidate; the plan keeps whichever candidate costs least with the waits timed.
//!
//! - **Down.** The workers of each of the model's hub legs, sorted by their feeder's arrival,
//!   fill the leg's buses, largest first (an estimate: extraction boards them earliest first
//!   onto the buses in order of the buses' own arrival); each bus's workers go to the fine
//!   class of their latest feeder. That class's `by_min` is at least every one of
//!   their arrivals, so each worker has that path in the finer network (the same route, on
//!   time as before: a path's deadline does not depend on its class).
//! - **Up.** Both networks cut a hub's feeders at the widest gaps between arrivals, so each fine
//!   class lies within one coarse class: the coarse class with the least `by_min` at or after
//!   the fine class's. A fine path maps to the same route in that class and a fine leg's buses
//!   to that coarse leg. The coarse leg's latest arrival (`L_a`) is no earlier, so every bus
//!   that could take the fine leg can take the coarse one, and the coarse class's earliest
//!   arrival is no later, so the model prices the mapped answer no higher than the finer
//!   network did (a test checks it).

use super::heuristic::{self, PathFilter, State};
use super::{lns, refine, Allocation};
use crate::network::{Network, Site};
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::time::Instant;

/// A path up to its departure class: commodity, first leg's ends, service, last leg's ends.
type Route = (usize, (Site, Site), Option<usize>, Option<(Site, Site)>);

fn ends(net: &Network, leg: usize) -> (Site, Site) {
    (net.legs[leg].from, net.legs[leg].to)
}

fn route(net: &Network, p: usize) -> Route {
    let path = &net.paths[p];
    (path.commodity, ends(net, path.legs[0]), path.service, path.legs.get(1).map(|&a| ends(net, a)))
}

/// The `by_min` of a leg's class (`i64::MIN` for legs out of origins).
fn by_min(net: &Network, leg: usize) -> i64 {
    net.legs[leg].class.map_or(i64::MIN, |c| c.by_min)
}

/// Arrival at the hub of a path's workers, at the planning speed: their service's, or their bus's.
fn feeder(s: &Scenario, net: &Network, p: usize) -> i64 {
    let path = &net.paths[p];
    path.service.map_or(net.leg_time[path.legs[0]], |si| i64::from(s.services[si].arrival_min))
}

/// Indices `(key, by_min, index)` grouped by key, each group by ascending `by_min`.
fn grouped<K: Ord>(entries: impl Iterator<Item = (K, i64, usize)>) -> BTreeMap<K, Vec<(i64, usize)>> {
    let mut index: BTreeMap<K, Vec<(i64, usize)>> = BTreeMap::new();
    for (key, by, i) in entries {
        index.entry(key).or_default().push((by, i));
    }
    for group in index.values_mut() {
        group.sort_unstable();
    }
    index
}

/// Each route's paths, by their last leg's `by_min`.
fn by_route(net: &Network) -> BTreeMap<Route, Vec<(i64, usize)>> {
    grouped(net.paths.iter().enumerate().map(|(p, path)| (route(net, p), by_min(net, path.legs[path.legs.len() - 1]), p)))
}

/// The entry of a group of [`grouped`] of the least `by_min` at or after `at`: the class that
/// takes a bus whose latest feeder arrives at `at`, or that contains a class ending at `at`.
fn at_or_after(group: &[(i64, usize)], at: i64) -> Option<usize> {
    group.iter().find(|&&(by, _)| by >= at).map(|&(_, i)| i)
}

/// The search's answer on `net` refined on [`Network::finer`] and mapped back, or `None` if
/// there is no finer network, nothing to refine or the deadline has passed.
pub(crate) fn polish(s: &Scenario, net: &Network, alloc: &Allocation, deadline: Instant) -> Option<Allocation> {
    let (fine, st) = polished(s, net, alloc, deadline)?;
    up(s, &fine, net, &st.allocation(s, &fine))
}

/// The finer network and the search's answer refined there.
fn polished(s: &Scenario, net: &Network, alloc: &Allocation, deadline: Instant) -> Option<(Network, State)> {
    if Instant::now() >= deadline {
        return None;
    }
    let fine = net.finer(s)?;
    let mut st = down(s, net, &fine, alloc)?;
    if st.cost(s, &fine).is_none() {
        heuristic::repair(s, &fine, &mut st);
    }
    refine::refine(s, &fine, PathFilter::All, &mut st, deadline);
    refine::guided(s, &fine, PathFilter::All, &mut st, refine::GUIDED_WORK, deadline);
    Some((fine, st))
}

/// The drop points' neighbourhoods ([`lns::by_destination`]) on the finer network within
/// each budget in turn, from the answer of [`polish`] there, mapped back: the sub-models then
/// see the waiting that the model's classes do not price (city tier seed 1, `exact` on
/// `HiGHS`: on the model's network
/// they saved 14,221 yuan of model cost and no plan cost; on the finer network seeds 2 and 3
/// gain more). `None` if there is no finer network (it has at most `FINER_PATHS` paths) or
/// the answer does not map back. The flag says whether the deadline cut a sub-model short.
pub(crate) fn neighbourhoods(s: &Scenario, net: &Network, alloc: &Allocation, budgets: &[lns::Budget], stop_at: f64, deadline: Instant) -> Option<(Allocation, bool)> {
    let (fine, st) = polished(s, net, alloc, deadline)?;
    // The answers on the way are allocations of `fine`: not plan candidates of `net`.
    let (better, cut) = super::neighbourhoods(s, &fine, st.allocation(s, &fine), stop_at, budgets, usize::MAX, deadline, &mut Vec::new());
    Some((up(s, &fine, net, &better)?, cut))
}

/// An allocation of `coarse` as a state of `fine` (see the module's "Down"); `None` if a
/// route is missing from `fine`.
fn down(s: &Scenario, coarse: &Network, fine: &Network, alloc: &Allocation) -> Option<State> {
    let nv = s.vehicle_types.len();
    // Each hub leg's workers, earliest feeder first: `(arrival, path, workers)`.
    let mut on_leg: BTreeMap<usize, Vec<(i64, usize, u32)>> = BTreeMap::new();
    for (p, &x) in alloc.flow.iter().enumerate() {
        if let (true, Some(&a)) = (x > 0, coarse.paths[p].legs.get(1)) {
            on_leg.entry(a).or_default().push((feeder(s, coarse, p), p, x));
        }
    }
    // The class each of a path's workers needs: `(latest arrival on their bus, workers)`.
    let mut parts: BTreeMap<usize, Vec<(i64, u32)>> = BTreeMap::new();
    for (a, mut riders) in on_leg {
        riders.sort_unstable();
        let mut seats: Vec<u32> = (0..nv).flat_map(|v| std::iter::repeat_n(coarse.cap[v], alloc.buses[a][v] as usize)).collect();
        seats.sort_unstable_by(|x, y| y.cmp(x));
        let mut buses: Vec<Vec<(usize, u32)>> = vec![Vec::new()];
        let mut room = seats.first().copied().unwrap_or(u32::MAX);
        for (_, p, x) in riders {
            let mut left = x;
            while left > 0 {
                if room == 0 {
                    room = seats.get(buses.len()).copied().unwrap_or(u32::MAX);
                    buses.push(Vec::new());
                }
                let n = left.min(room);
                buses.last_mut().expect("one bus at least").push((p, n));
                room -= n;
                left -= n;
            }
        }
        for bus in buses {
            let latest = bus.iter().map(|&(p, _)| feeder(s, coarse, p)).max().unwrap_or(i64::MIN);
            for (p, n) in bus {
                parts.entry(p).or_default().push((latest, n));
            }
        }
    }
    let index = by_route(fine);
    let mut st = State::empty(fine);
    st.unserved.clone_from(&alloc.unserved);
    for (p, &x) in alloc.flow.iter().enumerate() {
        if x == 0 {
            continue;
        }
        let options = index.get(&route(coarse, p))?;
        let pieces = parts.remove(&p).unwrap_or_else(|| vec![(i64::MIN, x)]);
        for (latest, n) in pieces {
            st.flow[at_or_after(options, latest)?] += n;
        }
    }
    Some(st)
}

/// The leg of `coarse` that each leg of `fine` maps to (see the module's "Up"), `None` where
/// `coarse` has no such leg.
pub(super) fn legs_up(fine: &Network, coarse: &Network) -> Vec<Option<usize>> {
    let legs = grouped((0..coarse.legs.len()).map(|a| (ends(coarse, a), by_min(coarse, a), a)));
    (0..fine.legs.len()).map(|a| at_or_after(legs.get(&ends(fine, a))?, by_min(fine, a))).collect()
}

/// The path of `coarse` that each path of `fine` maps to (see the module's "Up"), `None` where
/// `coarse` has no such path.
pub(super) fn paths_up(fine: &Network, coarse: &Network) -> Vec<Option<usize>> {
    let index = by_route(coarse);
    (0..fine.paths.len())
        .map(|p| {
            let last = by_min(fine, fine.paths[p].legs[fine.paths[p].legs.len() - 1]);
            at_or_after(index.get(&route(fine, p))?, last)
        })
        .collect()
}

/// An allocation of `fine` as one of `coarse` (see the module's "Up"); `None` if a route or
/// leg is missing from `coarse`.
fn up(s: &Scenario, fine: &Network, coarse: &Network, alloc: &Allocation) -> Option<Allocation> {
    let nv = s.vehicle_types.len();
    let paths = paths_up(fine, coarse);
    let legs = legs_up(fine, coarse);
    let mut flow = vec![0; coarse.paths.len()];
    for (p, &x) in alloc.flow.iter().enumerate() {
        if x > 0 {
            flow[paths[p]?] += x;
        }
    }
    let mut buses = vec![vec![0; nv]; coarse.legs.len()];
    for (a, row) in alloc.buses.iter().enumerate() {
        if row.iter().all(|&n| n == 0) {
            continue;
        }
        for (sum, &n) in buses[legs[a]?].iter_mut().zip(row) {
            *sum += n;
        }
    }
    Some(Allocation { flow, unserved: alloc.unserved.clone(), buses, based: alloc.based.clone() })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::travel::TravelTable;
    use std::time::Duration;

    /// Workers per route, whatever their class.
    fn per_route(net: &Network, flow: &[u32]) -> BTreeMap<Route, u32> {
        let mut out = BTreeMap::new();
        for (p, &x) in flow.iter().enumerate() {
            if x > 0 {
                *out.entry(route(net, p)).or_default() += x;
            }
        }
        out
    }

    /// The city tier: its stations get two classes in the model's network and six in the finer
    /// one; the search's answer goes down and up with every worker on their route, and the
    /// polished answer is a cheaper plan that passes the checker.
    #[test]
    fn city_tier_goes_down_and_up_and_plans() {
        let s = crate::generate::tier(crate::generate::Tier::City, 1);
        let travel = TravelTable::new(&s).unwrap();
        let net = Network::new(&s, &travel);
        let fine = net.finer(&s).expect("a finer network");
        assert!(fine.paths.len() > net.paths.len());
        // Every fine hub leg has a coarse leg, of a class that ends no earlier, to map to.
        assert!(fine.legs.len() > net.legs.len());
        for (a, leg) in fine.legs.iter().enumerate().filter(|(_, l)| l.class.is_some()) {
            assert!(
                (0..net.legs.len()).any(|b| ends(&net, b) == (leg.from, leg.to) && by_min(&net, b) >= by_min(&fine, a)),
                "fine leg {a} has no coarse leg"
            );
        }

        let far = Instant::now() + Duration::from_secs(120);
        let alloc = super::super::fast_search(&s, &net, PathFilter::All, far);
        let st = down(&s, &net, &fine, &alloc).expect("every route is in the finer network");
        assert_eq!(per_route(&net, &alloc.flow), per_route(&fine, &st.flow));
        assert_eq!(st.unserved, alloc.unserved);
        let back = up(&s, &fine, &net, &st.clone().allocation(&s, &fine)).expect("every route maps back");
        assert_eq!(per_route(&net, &back.flow), per_route(&net, &alloc.flow));

        let polished = polish(&s, &net, &alloc, far).expect("a polished answer");
        let served = |a: &Allocation| a.unserved.iter().sum::<u32>();
        assert_eq!(served(&polished), served(&alloc));
        let (after, before) = (checked_cost(&s, &travel, &net, &polished), checked_cost(&s, &travel, &net, &alloc));
        assert!(after < before, "polished {after} not below {before}");
    }

    /// Plans the allocation of `net`, checks the plan and gives its cost.
    pub(crate) fn checked_cost(s: &Scenario, travel: &TravelTable, net: &Network, a: &Allocation) -> f64 {
        let parts = crate::extract::extract(s, travel, net, a).expect("the mapped answer has buses");
        let plan = crate::assemble(s, &crate::Options::default(), parts, 0.0, crate::solve::Outcome::Feasible, None);
        let report = crate::check::check(s, &plan);
        assert!(report.is_ok(), "{:?}", &report.violations[..report.violations.len().min(5)]);
        plan.totals.cost
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

        /// On random small scenarios whose model network has one to three classes per hub:
        /// down keeps every worker on their route; up keeps them too, its model cost is no
        /// higher than the finer network's (each fine class lies in the coarse class it maps
        /// to, whose earliest arrival is no later), and it is a plan that passes the checker;
        /// so is the polished answer.
        #[test]
        fn down_and_up_keep_routes_and_costs(
            seed in 0u64..1_000_000, hubs in 1usize..3, train: bool, most in 1usize..4,
        ) {
            let s = crate::generate::small(crate::generate::Small { origins: 3, hubs, destinations: 3, types: 2, train }, seed);
            let travel = TravelTable::new(&s).unwrap();
            let net = Network::with_most(&s, &travel, most);
            let far = crate::solve::far();
            let alloc = super::super::fast_search(&s, &net, PathFilter::All, far);
            if let Some(fine) = net.finer(&s) {
                let mut st = down(&s, &net, &fine, &alloc).expect("every route is in the finer network");
                proptest::prop_assert_eq!(per_route(&net, &alloc.flow), per_route(&fine, &st.flow));
                if st.cost(&s, &fine).is_none() {
                    heuristic::repair(&s, &fine, &mut st);
                }
                let fa = st.allocation(&s, &fine);
                let back = up(&s, &fine, &net, &fa).expect("every route maps back");
                proptest::prop_assert_eq!(per_route(&net, &back.flow), per_route(&fine, &fa.flow));
                let (coarse_cost, fine_cost) = (super::super::model_cost(&s, &net, &back), super::super::model_cost(&s, &fine, &fa));
                proptest::prop_assert!(coarse_cost <= fine_cost + 1e-6 * fine_cost.abs().max(1.0), "{} above {}", coarse_cost, fine_cost);
                checked_cost(&s, &travel, &net, &back);
                let polished = polish(&s, &net, &alloc, far).expect("a polished answer");
                checked_cost(&s, &travel, &net, &polished);
                // The neighbourhoods on the finer network: their answer maps back and is a plan
                // that passes the checker.
                let (searched, cut) = neighbourhoods(&s, &net, &alloc, &[lns::FAST], f64::NEG_INFINITY, far).expect("an answer");
                proptest::prop_assert!(!cut);
                checked_cost(&s, &travel, &net, &searched);
            }
        }
    }

    /// Where the model's network already has every class a hub may have (the county tier),
    /// there is no finer network and nothing to polish.
    #[test]
    fn no_finer_network_where_classes_are_not_cut() {
        let s = crate::generate::tier(crate::generate::Tier::County, 1);
        let net = crate::network::network_of(&s);
        assert!(net.finer(&s).is_none());
    }
}
