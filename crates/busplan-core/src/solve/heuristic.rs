//! The path-choice heuristic: construction, then best-improvement local search over the
//! paths of commodities, every candidate priced exactly by [`load`].
//!
//! [`load`] turns a choice of flows `x_p` into buses `y_av` and hub-based buses `z_hv` that
//! satisfy every constraint of the model (see [`super::model`]):
//! 1. each origin's legs, largest load first, get the cheapest mix ([`cheapest_mix`]) from the
//!    origin's remaining fleet and escorts;
//! 2. at each hub, outbound legs in order of their latest feasible feeder arrival `L_a` take
//!    buses from (i) incoming buses of that type that arrive by `L_a` and are not yet used,
//!    (ii) buses based at the hub, (iii) only if those cannot cover it, extra buses sent empty
//!    from an origin that reaches the hub by `L_a`; incoming legs are swept in order of
//!    arrival, so a hub costs `O(in + out)` mixes; processing in increasing `L_a` keeps the nested (Hall) conditions of
//!    the model satisfied;
//! 3. service seats and hub sizes are checked.
//!
//! The search moves whole commodities (or halves; from the unserved pool also quarters, eighths
//! and so on down to one worker) between paths and the unserved pool, and
//! moves groups (all commodities that can use a hub, per hub, per hub and origin, per hub and
//! destination) at once, since regrouping pays only when several commodities share the hub.
//! Candidates are priced in parallel with rayon and the best one (ties: lowest index) is
//! taken, so the result does not depend on the number of threads.

use super::Allocation;
use crate::mix::{cheapest_mix, MixOption};
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
    let nl = net.legs.len();
    let mut leg_flow = vec![0u32; nl];
    let mut leg_acc = vec![0u32; nl];
    let mut svc_load = vec![0u64; s.services.len()];
    for (p, &f) in flow.iter().enumerate() {
        if f == 0 {
            continue;
        }
        let path = &net.paths[p];
        let acc = net.commodities[path.commodity].accessible;
        for &a in &path.legs {
            leg_flow[a] += f;
            if acc {
                leg_acc[a] += f;
            }
        }
        if let Some(si) = path.service {
            svc_load[si] += u64::from(f);
        }
    }
    for (si, &l) in svc_load.iter().enumerate() {
        if l > u64::from(s.services[si].seats) {
            return Err(Blame::Service(si));
        }
    }
    let mut y = vec![vec![0u32; nv]; nl];
    let mut z = vec![vec![0u32; nv]; s.hubs.len()];
    let mut cost = 0.0;
    let mut fleet: Vec<Vec<u32>> = s
        .origins
        .iter()
        .map(|o| s.vehicle_types.iter().map(|t| o.fleet.get(&t.id).copied().unwrap_or(0)).collect())
        .collect();
    let mut escorts: Vec<u32> = s.origins.iter().map(|o| o.escorts.unwrap_or(u32::MAX)).collect();
    let mut out_legs: Vec<Vec<usize>> = vec![Vec::new(); s.hubs.len()];
    let mut in_legs: Vec<Vec<usize>> = vec![Vec::new(); s.hubs.len()];
    let mut origin_legs: Vec<Vec<usize>> = vec![Vec::new(); s.origins.len()];
    for (a, leg) in net.legs.iter().enumerate() {
        match (leg.from, leg.to) {
            (Site::Origin(o), Site::Hub(h)) => {
                in_legs[h].push(a);
                origin_legs[o].push(a);
            }
            (Site::Origin(o), _) => origin_legs[o].push(a),
            (Site::Hub(h), _) => out_legs[h].push(a),
            _ => {}
        }
    }
    // 1. Origins.
    for o in 0..s.origins.len() {
        let mut legs: Vec<usize> = origin_legs[o].iter().copied().filter(|&a| leg_flow[a] > 0).collect();
        legs.sort_by_key(|&a| (std::cmp::Reverse(leg_flow[a]), a));
        for a in legs {
            let opts: Vec<MixOption> = (0..nv)
                .map(|v| MixOption { cap: net.cap[v], acc: net.acc_cap[v], cost: net.leg_cost(s, a, v), max: fleet[o][v] })
                .collect();
            let (c, n) = cheapest_mix(leg_flow[a], leg_acc[a], &opts).ok_or(Blame::Origin(o))?;
            let used: u32 = n.iter().sum();
            if used > escorts[o] {
                return Err(Blame::Origin(o));
            }
            escorts[o] -= used;
            for v in 0..nv {
                fleet[o][v] -= n[v];
                y[a][v] += n[v];
            }
            cost += c;
        }
    }
    // 2. Hubs.
    for h in 0..s.hubs.len() {
        let hub = &s.hubs[h];
        let mut outs: Vec<usize> = out_legs[h].iter().copied().filter(|&a| leg_flow[a] > 0).collect();
        outs.sort_by_key(|&a| (net.leg_time[a], a));
        let mut used_in = vec![0u32; nv];
        let mut based = vec![0u32; nv];
        let mut hub_escorts = hub.escorts.unwrap_or(u32::MAX);
        let hub_fleet: Vec<u32> = s.vehicle_types.iter().map(|t| hub.fleet.get(&t.id).copied().unwrap_or(0)).collect();
        // Incoming legs by arrival: a sweep adds the buses that have arrived by each outbound
        // leg's limit, `O(in + out)` per hub.
        let mut ins: Vec<usize> = in_legs[h].clone();
        ins.sort_by_key(|&b| (net.leg_time[b], b));
        let mut swept = 0;
        let mut arrived = vec![0u32; nv];
        for a in outs {
            let limit = net.leg_time[a];
            let km = net.legs[a].km;
            while swept < ins.len() && net.leg_time[ins[swept]] <= limit {
                for v in 0..nv {
                    arrived[v] += y[ins[swept]][v];
                }
                swept += 1;
            }
            let mut opts = Vec::with_capacity(3 * nv);
            for v in 0..nv {
                let t = &s.vehicle_types[v];
                let avail = arrived[v].saturating_sub(used_in[v]);
                opts.push(MixOption { cap: net.cap[v], acc: net.acc_cap[v], cost: t.cost_per_km_yuan * km, max: avail });
                opts.push(MixOption {
                    cap: net.cap[v],
                    acc: net.acc_cap[v],
                    cost: t.fixed_cost_yuan + t.cost_per_km_yuan * km,
                    max: (hub_fleet[v] - based[v]).min(hub_escorts),
                });
                opts.push(MixOption { cap: 0, acc: 0, cost: 0.0, max: 0 });
            }
            let mut extra_from: Vec<Option<(usize, usize)>> = vec![None; nv];
            let mut mix = cheapest_mix(leg_flow[a], leg_acc[a], &opts);
            if mix.is_none() {
                // Only then: extra buses sent empty, of each type from the cheapest origin that
                // has one to spare and reaches the hub in time.
                for v in 0..nv {
                    let t = &s.vehicle_types[v];
                    let extra = ins[..swept]
                        .iter()
                        .copied()
                        .filter_map(|b| {
                            let Site::Origin(o) = net.legs[b].from else { return None };
                            let spare = fleet[o][v].min(escorts[o]);
                            (spare > 0).then(|| (net.leg_cost(s, b, v), b, o, spare))
                        })
                        .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                    if let Some((c, b, o, spare)) = extra {
                        opts[3 * v + 2] = MixOption { cap: net.cap[v], acc: net.acc_cap[v], cost: c + t.cost_per_km_yuan * km, max: spare };
                        extra_from[v] = Some((b, o));
                    }
                }
                mix = cheapest_mix(leg_flow[a], leg_acc[a], &opts);
            }
            let (c, n) = mix.ok_or(Blame::Hub(h))?;
            let based_now: u32 = (0..nv).map(|v| n[3 * v + 1]).sum();
            if based_now > hub_escorts {
                return Err(Blame::Hub(h));
            }
            hub_escorts -= based_now;
            // Extra buses of several types may come from one origin: their escorts are shared.
            let mut extra_by_origin: std::collections::BTreeMap<usize, u32> = std::collections::BTreeMap::new();
            for v in 0..nv {
                if let Some((_, o)) = extra_from[v] {
                    *extra_by_origin.entry(o).or_default() += n[3 * v + 2];
                }
            }
            if extra_by_origin.iter().any(|(&o, &k)| k > escorts[o]) {
                return Err(Blame::Hub(h));
            }
            for v in 0..nv {
                let (n_in, n_based, n_extra) = (n[3 * v], n[3 * v + 1], n[3 * v + 2]);
                used_in[v] += n_in;
                based[v] += n_based;
                y[a][v] += n_in + n_based + n_extra;
                if n_extra > 0 {
                    let (b, o) = extra_from[v].expect("extra buses come from an origin");
                    y[b][v] += n_extra;
                    // `b` has been swept (it arrives in time): its new buses have arrived too.
                    arrived[v] += n_extra;
                    fleet[o][v] -= n_extra;
                    escorts[o] -= n_extra;
                    // The extra buses count as incoming buses already used.
                    used_in[v] += n_extra;
                }
            }
            cost += c;
        }
        z[h] = based;
        if let Some(max) = hub.max_buses {
            let arriving: u32 = in_legs[h].iter().map(|&b| y[b].iter().sum::<u32>()).sum::<u32>() + z[h].iter().sum::<u32>();
            if arriving > max {
                return Err(Blame::Hub(h));
            }
        }
    }
    Ok((y, z, cost))
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
        load(s, net, &self.flow).ok().map(|(_, _, b)| total_cost(s, net, &self.flow, &self.unserved, b))
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
    let mut st = State::empty(net);
    for k in 0..net.commodities.len() {
        let ps = &net.paths_of[k];
        if let Some(&p) = ps.iter().find(|&&p| net.paths[p].legs.len() == 1).or_else(|| ps.first()) {
            st.flow[p] = net.commodities[k].count;
            st.unserved[k] = 0;
        }
    }
    repair(s, net, &mut st);
    st
}

/// Repair: while the flows do not load, move the least flow of the largest blamed path into
/// the unserved pool (binary search on the amount). Returns the bus cost.
pub fn repair(s: &Scenario, net: &Network, st: &mut State) -> f64 {
    let mut loaded = load(s, net, &st.flow);
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
            load(s, net, &trial.flow).is_ok()
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
        loaded = load(s, net, &st.flow);
    }
    loaded.expect("repaired").2
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
