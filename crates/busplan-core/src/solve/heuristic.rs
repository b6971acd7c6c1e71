//! The path-choice heuristic: construction, then best-improvement local search over the
//! paths of commodities, every move taken at its exact price by [`load`].
//!
//! [`load`] turns a choice of flows `x_p` into buses `y_av` and hub-based buses `z_hv` that
//! satisfy every constraint of the model (see [`super::model`]):
//! 1. each origin's legs, largest load first, get the cheapest mix
//!    ([`crate::mix::cheapest_mix`]) from the origin's remaining fleet and escorts;
//! 2. at each hub, outbound legs in order of their latest feasible feeder arrival `L_a` take
//!    buses from (i) incoming buses of that type that arrive by `L_a` and are not yet used,
//!    (ii) buses based at the hub, (iii) only if those cannot cover it, extra buses sent empty
//!    from an origin that reaches the hub by `L_a`; incoming legs are swept in order of
//!    arrival, so a hub costs `O(in + out)` mixes; processing in increasing `L_a` keeps the
//!    nested (Hall) conditions of the model satisfied;
//! 3. service seats and hub sizes are checked.
//!
//! The loading itself lives in `loading`, which can also reload only what one move touches.
//!
//! The search moves whole commodities (or halves; from the unserved pool also quarters, eighths
//! and so on down to one worker) between paths and the unserved pool, and
//! moves groups (all commodities that can use a hub, per hub, per hub and origin, per hub and
//! destination) at once, since regrouping pays only when several commodities share the hub.
//! Candidates are priced in parallel with rayon, each by reloading only the origin and hubs
//! it touches (exact unless a hub sends for extra buses; then an estimate, and the cheapest
//! estimates are priced again by a full loading), and the best one (ties: lowest index) is
//! taken, so the result does not depend on the number of threads. The search stops only
//! where no move saves by a full loading.

use super::Allocation;
use super::loading::{Layout, Loading, Step};
use crate::network::{Network, Site};
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::time::Instant;

/// Why a choice of flows cannot be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    /// An origin's fleet or escorts are short.
    Origin(usize),
    /// A hub cannot supply outbound buses, or is over its size.
    Hub(usize),
    /// A service is over its seats.
    Service(usize),
}

/// Buses per leg (or hub) and vehicle type.
pub type Counts = Vec<Vec<u32>>;

/// Buses for a choice of flows: `(y per leg per type, z per hub per type, bus cost)`.
pub fn load(s: &Scenario, net: &Network, flow: &[u32]) -> Result<(Counts, Counts, f64), Blame> {
    let nv = s.vehicle_types.len();
    let l = load_flat(s, net, flow)?;
    let rows = |flat: &[u32], n: usize| -> Counts { (0..n).map(|i| flat[i * nv..(i + 1) * nv].to_vec()).collect() };
    Ok((rows(&l.y, net.legs.len()), rows(&l.z, s.hubs.len()), l.cost))
}

/// The bus cost of [`load`] alone (the search prices candidates by it).
pub fn bus_cost(s: &Scenario, net: &Network, flow: &[u32]) -> Result<f64, Blame> {
    load_flat(s, net, flow).map(|l| l.cost)
}

fn load_flat(s: &Scenario, net: &Network, flow: &[u32]) -> Result<Loading, Blame> {
    Loading::full(s, net, &Layout::new(s, net), flow)
}

/// Full cost of an allocation whose buses came from [`load`].
pub(crate) fn total_cost(s: &Scenario, net: &Network, flow: &[u32], unserved: &[u32], bus_cost: f64) -> f64 {
    let path_cost: f64 = flow.iter().enumerate().map(|(p, &f)| f64::from(f) * net.paths[p].unit_cost).sum();
    let pen: f64 = unserved.iter().map(|&u| f64::from(u)).sum::<f64>() * s.objective.unserved_penalty_yuan;
    bus_cost + path_cost + pen
}

/// A change of flows.
#[derive(Debug, Clone)]
enum Move {
    /// Move `amount` of commodity `k` from `from` to `to` (`None` = unserved pool).
    Shift { k: usize, from: Option<usize>, to: Option<usize>, amount: u32 },
    /// Move every listed commodity wholly to the given path.
    Group(Vec<(usize, usize)>),
}

impl State {
    /// Workers per leg.
    pub(crate) fn leg_flows(&self, net: &Network) -> Vec<u32> {
        let mut f = vec![0u32; net.legs.len()];
        for (p, &x) in self.flow.iter().enumerate() {
            for &a in &net.paths[p].legs {
                f[a] += x;
            }
        }
        f
    }

    /// Moves `amount` workers of commodity `k` from path `from` to path `to` (`None`: the
    /// unserved pool).
    pub(crate) fn shift(&mut self, k: usize, from: Option<usize>, to: Option<usize>, amount: u32) {
        match from {
            Some(p) => self.flow[p] -= amount,
            None => self.unserved[k] -= amount,
        }
        match to {
            Some(p) => self.flow[p] += amount,
            None => self.unserved[k] += amount,
        }
    }

    fn apply(&mut self, net: &Network, m: &Move) {
        for (k, from, to, amount) in m.shifts(net, &self.flow) {
            self.shift(k, from, to, amount);
        }
    }
}

impl Move {
    /// The move as shifts `(k, from, to, amount)` from flows `flow`: a group move shifts every
    /// path's workers of each listed commodity (each listed once) to its path.
    fn shifts(&self, net: &Network, flow: &[u32]) -> Vec<(usize, Option<usize>, Option<usize>, u32)> {
        match self {
            &Move::Shift { k, from, to, amount } => vec![(k, from, to, amount)],
            Move::Group(list) => list
                .iter()
                .flat_map(|&(k, p)| net.paths_of[k].iter().filter(move |&&q| q != p && flow[q] > 0).map(move |&q| (k, Some(q), Some(p), flow[q])))
                .collect(),
        }
    }
}

/// What one worker of path `p` costs beyond the buses (worker time, changes, seats), or the
/// unserved penalty for `None`.
pub(crate) fn unit_cost(s: &Scenario, net: &Network, p: Option<usize>) -> f64 {
    p.map_or(s.objective.unserved_penalty_yuan, |p| net.paths[p].unit_cost)
}

/// Whether cost `c` saves on `cost` by more than rounding (a millionth).
pub(crate) fn saves(c: f64, cost: f64) -> bool {
    c < cost - 1e-6 * cost.abs().max(1.0)
}

/// Which paths the heuristic may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFilter {
    /// Every path.
    All,
    /// Direct bus legs only (the baseline without hubs).
    DirectOnly,
}

impl PathFilter {
    /// Whether path `p` may be used.
    pub fn allows(self, net: &Network, p: usize) -> bool {
        self == PathFilter::All || net.paths[p].legs.len() == 1
    }
}

/// Runs construction and local search until no move improves or `deadline` passes.
pub fn search(s: &Scenario, net: &Network, filter: PathFilter, deadline: Instant) -> Allocation {
    let mut st = construct(net, filter);
    repair(s, net, &mut st);
    improve(s, net, filter, &mut st, deadline);
    st.allocation(s, net)
}

/// Flows and unserved workers of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// `x_p` per path.
    pub flow: Vec<u32>,
    /// `u_k` per commodity.
    pub unserved: Vec<u32>,
}

impl State {
    /// Nobody served.
    pub fn empty(net: &Network) -> State {
        State { flow: vec![0; net.paths.len()], unserved: net.commodities.iter().map(|c| c.count).collect() }
    }

    /// The allocation of a state that loads (see [`repair`]).
    pub fn allocation(self, s: &Scenario, net: &Network) -> Allocation {
        let (y, z, _) = load(s, net, &self.flow).expect("the incumbent loads");
        Allocation { flow: self.flow, unserved: self.unserved, buses: y, based: z }
    }

    /// Full cost if it loads.
    pub fn cost(&self, s: &Scenario, net: &Network) -> Option<f64> {
        bus_cost(s, net, &self.flow).ok().map(|b| total_cost(s, net, &self.flow, &self.unserved, b))
    }
}

/// Construction: every commodity on its cheapest allowed path (by the network's estimate).
pub fn construct(net: &Network, filter: PathFilter) -> State {
    let mut st = State::empty(net);
    for k in 0..net.commodities.len() {
        if let Some(&p) = net.paths_of[k].iter().find(|&&p| filter.allows(net, p)) {
            st.flow[p] = net.commodities[k].count;
            st.unserved[k] = 0;
        }
    }
    st
}

/// By hand: every commodity on its cheapest direct path, or where it has none, its cheapest
/// path (by the network's estimate); repaired, so it loads.
pub fn by_hand(s: &Scenario, net: &Network) -> State {
    let mut st = by_hand_unrepaired(net);
    repair(s, net, &mut st);
    st
}

/// [`by_hand`] before its repair.
pub(crate) fn by_hand_unrepaired(net: &Network) -> State {
    let mut st = State::empty(net);
    for k in 0..net.commodities.len() {
        let ps = &net.paths_of[k];
        if let Some(&p) = ps.iter().find(|&&p| net.paths[p].legs.len() == 1).or_else(|| ps.first()) {
            st.flow[p] = net.commodities[k].count;
            st.unserved[k] = 0;
        }
    }
    st
}

/// Repair: while the flows do not load, move the least flow of the largest blamed path into
/// the unserved pool (binary search on the amount). Returns the bus cost.
pub fn repair(s: &Scenario, net: &Network, st: &mut State) -> f64 {
    // One layout for the many loadings of the search below.
    let lay = Layout::new(s, net);
    let bus_cost = |flow: &[u32]| Loading::full(s, net, &lay, flow).map(|l| l.cost);
    let mut loaded = bus_cost(&st.flow);
    while let Err(blame) = loaded {
        let culprit = (0..net.paths.len())
            .filter(|&p| st.flow[p] > 0)
            .filter(|&p| {
                let path = &net.paths[p];
                let c = &net.commodities[path.commodity];
                match blame {
                    Blame::Origin(o) => c.origin == o,
                    Blame::Hub(h) => path.legs.iter().any(|&a| net.legs[a].from == Site::Hub(h) || net.legs[a].to == Site::Hub(h)),
                    Blame::Service(si) => path.service == Some(si),
                }
            })
            .max_by_key(|&p| (st.flow[p], std::cmp::Reverse(p)))
            .expect("a blamed resource carries flow");
        // The least flow to take off the culprit path so that it loads (binary search; if
        // even all of it is not enough, all of it goes and the next culprit follows).
        let k = net.paths[culprit].commodity;
        let fits = |amount: u32| {
            let mut trial = st.clone();
            trial.apply(net, &Move::Shift { k, from: Some(culprit), to: None, amount });
            bus_cost(&trial.flow).is_ok()
        };
        let (mut lo, mut hi) = (1, st.flow[culprit]);
        if fits(hi) {
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if fits(mid) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
        }
        st.apply(net, &Move::Shift { k, from: Some(culprit), to: None, amount: hi });
        loaded = bus_cost(&st.flow);
    }
    loaded.expect("repaired")
}

/// Best-improvement local search from a state that loads, until no move improves (priced by
/// a full loading) or `deadline` passes.
pub fn improve(s: &Scenario, net: &Network, filter: PathFilter, st: &mut State, deadline: Instant) {
    let mut unlimited = u64::MAX;
    improve_within(s, net, filter, st, deadline, &mut unlimited);
}

/// [`improve`], each round of which spends the moves it prices times the network's legs from
/// `work` (a round begins only while some is left). Gives whether the deadline stopped it.
pub(crate) fn improve_within(s: &Scenario, net: &Network, filter: PathFilter, st: &mut State, deadline: Instant, work: &mut u64) -> bool {
    let Some(mut cost) = st.cost(s, net) else { return false };
    let groups = group_moves(s, net, filter);
    let lay = Layout::new(s, net);
    loop {
        if *work == 0 {
            return false;
        }
        if Instant::now() >= deadline {
            return true;
        }
        let mut moves = shifts(net, filter, st);
        moves.extend(groups.iter().cloned());
        *work = work.saturating_sub(moves.len() as u64 * net.legs.len() as u64);
        // A move is priced by reloading only the origins and hubs its shifts touch, on a copy
        // of the state's loading put back after it: exact (as the full loading, up to
        // rounding) unless extra buses are involved, else an estimate. The `CONFIRM_BEST`
        // cheapest estimates, and the moves only a full loading can price, are priced by a
        // full loading; the move with the cheapest sure price (exact or full) is taken if a
        // full loading confirms that it saves.
        let Ok(base) = Loading::full(s, net, &lay, &st.flow) else { return false };
        let flow = &st.flow;
        let full = |m: &Move| {
            let mut trial = st.clone();
            trial.apply(net, m);
            trial.cost(s, net)
        };
        let mut priced: Vec<(Option<f64>, bool)> = moves
            .par_iter()
            .map_init(
                || base.clone(),
                |l, m| {
                    let single = matches!(m, Move::Shift { .. });
                    let (mut rest, mut exact) = (0.0, true);
                    let mut out = None;
                    for (k, from, to, amount) in m.shifts(net, flow) {
                        rest += f64::from(amount) * (unit_cost(s, net, to) - unit_cost(s, net, from));
                        match l.shift(s, net, &lay, net.commodities[k].accessible, (from, to, amount)) {
                            Step::Exact => {}
                            Step::Approx => exact = false,
                            // One shift that does not load is sure; within a group, a later
                            // shift might make it load.
                            Step::Fails => {
                                out = Some((None, single));
                                break;
                            }
                            Step::Unknown => {
                                out = Some((None, false));
                                break;
                            }
                        }
                    }
                    let priced = out.unwrap_or((Some(cost + (l.cost - base.cost) + rest), exact));
                    l.restore(&base, &lay);
                    priced
                },
            )
            .collect();
        let saves = |c: f64| saves(c, cost);
        // First the estimates most likely to save and the moves only a full loading can
        // price; if no sure price then saves, every estimate: the search stops only where no
        // move saves by a full loading.
        let mut unsure: Vec<usize> = (0..moves.len()).filter(|&i| !priced[i].1).collect();
        unsure.sort_by(|&a, &b| priced[a].0.unwrap_or(f64::NEG_INFINITY).total_cmp(&priced[b].0.unwrap_or(f64::NEG_INFINITY)).then(a.cmp(&b)));
        let first = unsure.iter().filter(|&&i| priced[i].0.is_none()).count() + CONFIRM_BEST;
        let mut chosen = None;
        'rounds: for round in [&unsure[..first.min(unsure.len())], &unsure[first.min(unsure.len())..]] {
            let confirmed: Vec<Option<f64>> = round.par_iter().map(|&i| full(&moves[i])).collect();
            for (&i, c) in round.iter().zip(confirmed) {
                priced[i] = (c, true);
            }
            loop {
                // The cheapest sure price, and of moves within rounding of it the first, so
                // that two ways of summing the same cost pick the same move.
                let sure = |i: usize| if priced[i].1 { priced[i].0 } else { None };
                let least = (0..moves.len()).filter_map(sure).fold(f64::INFINITY, f64::min);
                if !saves(least) {
                    break;
                }
                let i = (0..moves.len()).find(|&i| sure(i).is_some_and(|c| c <= least + TIE * least.abs().max(1.0))).expect("the least is a price");
                // Taken at its full loading's cost, if that saves too (a reload's exact price
                // may differ from it by rounding); else that cost is its price, and the next.
                let mut next = st.clone();
                next.apply(net, &moves[i]);
                match next.cost(s, net) {
                    Some(c) if saves(c) => {
                        chosen = Some((next, c));
                        break 'rounds;
                    }
                    c => priced[i] = (c.filter(|&c| c > least), true),
                }
            }
        }
        let Some((next, c)) = chosen else { return false };
        *st = next;
        cost = c;
    }
}

/// Moves priced by estimate (the shifts that involve extra buses) of which [`improve`] prices
/// the cheapest this many by a full loading first (the rest only when none of those saves).
pub const CONFIRM_BEST: usize = 16;

/// Relative difference under which two priced moves count as equally cheap (rounding).
const TIE: f64 = 1e-9;

/// The shifts [`improve`] tries from `st`: every commodity's workers on a path (or in the
/// unserved pool), all of them or half, to another allowed path or the pool; from the pool
/// also quarters, eighths and so on down to one worker.
fn shifts(net: &Network, filter: PathFilter, st: &State) -> Vec<Move> {
    let mut moves = Vec::new();
    for k in 0..net.commodities.len() {
        let targets: Vec<Option<usize>> =
            net.paths_of[k].iter().copied().filter(|&p| filter.allows(net, p)).map(Some).chain(std::iter::once(None)).collect();
        let sources: Vec<Option<usize>> =
            net.paths_of[k].iter().copied().filter(|&p| st.flow[p] > 0).map(Some).chain((st.unserved[k] > 0).then_some(None)).collect();
        for &from in &sources {
            let have = from.map_or(st.unserved[k], |p| st.flow[p]);
            for &to in &targets {
                if to == from {
                    continue;
                }
                moves.push(Move::Shift { k, from, to, amount: have });
                // Serving part of the unserved pool may fit where all of it does not:
                // halves down to single workers; between paths, half.
                let mut part = have / 2;
                while part >= 1 {
                    moves.push(Move::Shift { k, from, to, amount: part });
                    if from.is_some() {
                        break;
                    }
                    part /= 2;
                }
            }
        }
    }
    moves
}

fn group_moves(s: &Scenario, net: &Network, filter: PathFilter) -> Vec<Move> {
    let mut out = Vec::new();
    let via = |k: usize, hub: Site| -> Option<usize> {
        net.paths_of[k].iter().copied().find(|&p| {
            let path = &net.paths[p];
            path.legs.len() == 2 && path.service.is_none() && net.legs[path.legs[0]].to == hub
        })
    };
    let direct = |k: usize| net.paths_of[k].iter().copied().find(|&p| net.paths[p].legs.len() == 1);
    let all_direct: Vec<(usize, usize)> = (0..net.commodities.len()).filter_map(|k| direct(k).map(|p| (k, p))).collect();
    if !all_direct.is_empty() {
        out.push(Move::Group(all_direct));
    }
    if filter == PathFilter::DirectOnly {
        return out;
    }
    for h in 0..s.hubs.len() {
        let hub = Site::Hub(h);
        let all: Vec<(usize, usize)> = (0..net.commodities.len()).filter_map(|k| via(k, hub).map(|p| (k, p))).collect();
        if all.is_empty() {
            continue;
        }
        out.push(Move::Group(all.clone()));
        for o in 0..s.origins.len() {
            let part: Vec<(usize, usize)> = all.iter().copied().filter(|&(k, _)| net.commodities[k].origin == o).collect();
            if !part.is_empty() && part.len() < all.len() {
                out.push(Move::Group(part));
            }
        }
        for d in 0..s.destinations.len() {
            let part: Vec<(usize, usize)> = all.iter().copied().filter(|&(k, _)| net.commodities[k].dest == d).collect();
            if part.len() > 1 && part.len() < all.len() {
                out.push(Move::Group(part));
            }
        }
    }
    for si in 0..s.services.len() {
        let all: Vec<(usize, usize)> = (0..net.commodities.len())
            .filter_map(|k| net.paths_of[k].iter().copied().find(|&p| net.paths[p].service == Some(si)).map(|p| (k, p)))
            .collect();
        if !all.is_empty() {
            out.push(Move::Group(all));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{small, Small};

    /// Moves are chosen by prices from partial reloads, estimates where extra buses are
    /// involved: the search still only takes moves that save by a full loading, and stops only
    /// where no move (shift or group) saves by one. Gives the cost before and after.
    fn improved_to_a_local_optimum(s: &Scenario) -> (f64, f64) {
        let net = crate::network::network_of(s);
        let mut st = construct(&net, PathFilter::All);
        repair(s, &net, &mut st);
        let before = st.cost(s, &net).expect("a repaired state loads");
        improve(s, &net, PathFilter::All, &mut st, Instant::now() + std::time::Duration::from_secs(600));
        let cost = st.cost(s, &net).expect("the search's state loads");
        assert!(cost <= before + 1e-9 * before.abs(), "{cost} > {before}");
        let mut moves = shifts(&net, PathFilter::All, &st);
        moves.extend(group_moves(s, &net, PathFilter::All));
        for m in &moves {
            let mut trial = st.clone();
            trial.apply(&net, m);
            if let Some(c) = trial.cost(s, &net) {
                assert!(c >= cost - 1e-6 * cost.abs().max(1.0), "{m:?} saves: {c} < {cost}");
            }
        }
        (before, cost)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        #[test]
        fn improve_stops_where_no_move_saves_by_a_full_loading(seed in 0u64..1_000_000, hubs in 1usize..3, train: bool) {
            improved_to_a_local_optimum(&small(Small { origins: 4, hubs, destinations: 4, types: 2, train }, seed));
        }
    }

    /// The county tier's hubs send for extra buses, so most of its moves are priced by
    /// estimate there. (Seed 1's construction improves; seeds 2 and 3's are local optima.)
    #[test]
    fn improve_on_the_county_tier_stops_where_no_move_saves() {
        let improved = (1..=3).filter(|&seed| {
            let (before, after) = improved_to_a_local_optimum(&crate::generate::tiers::county(seed));
            after < before
        });
        assert!(improved.count() >= 1);
    }
}
