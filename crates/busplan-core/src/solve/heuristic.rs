//! The path-choice heuristic: construction, then best-improvement local search over the
//! paths of commodities, every candidate priced exactly by [`load`].
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
//! Candidates are priced in parallel with rayon and the best one (ties: lowest index) is
//! taken, so the result does not depend on the number of threads.

use super::Allocation;
use super::loading::{Layout, Loading};
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
        match m {
            &Move::Shift { k, from, to, amount } => self.shift(k, from, to, amount),
            Move::Group(list) => {
                for &(k, p) in list {
                    let total: u32 = net.paths_of[k].iter().map(|&q| self.flow[q]).sum();
                    for &q in &net.paths_of[k] {
                        self.flow[q] = 0;
                    }
                    self.flow[p] = total;
                }
            }
        }
    }
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

/// Best-improvement local search from a state that loads, until no move improves or
/// `deadline` passes.
pub fn improve(s: &Scenario, net: &Network, filter: PathFilter, st: &mut State, deadline: Instant) {
    let nk = net.commodities.len();
    let Some(mut cost) = st.cost(s, net) else { return };
    let groups = group_moves(s, net, filter);
    while Instant::now() < deadline {
        let mut moves: Vec<Move> = Vec::new();
        for k in 0..nk {
            let on: Vec<usize> = net.paths_of[k].iter().copied().filter(|&p| st.flow[p] > 0).collect();
            let targets: Vec<Option<usize>> =
                net.paths_of[k].iter().copied().filter(|&p| filter.allows(net, p)).map(Some).chain(std::iter::once(None)).collect();
            let sources: Vec<Option<usize>> =
                on.iter().copied().map(Some).chain((st.unserved[k] > 0).then_some(None)).collect();
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
        moves.extend(groups.iter().cloned());
        let priced: Vec<Option<f64>> = moves
            .par_iter()
            .map(|m| {
                let mut trial = st.clone();
                trial.apply(net, m);
                trial.cost(s, net)
            })
            .collect();
        let best = priced
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i, c)))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        match best {
            Some((i, c)) if c < cost - 1e-6 * cost.abs().max(1.0) => {
                st.apply(net, &moves[i]);
                cost = c;
            }
            _ => break,
        }
    }
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
