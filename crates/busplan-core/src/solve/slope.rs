//! Dynamic slope scaling: a construction for large scenarios that sees economies of scale.
//!
//! The cost of a leg is a staircase `g_a(F)` in its load `F` (whole buses). Slope scaling
//! replaces it by a line through the origin whose slope is the current cost per worker,
//! `s_a = g_a(F_a) / F_a`, routes every commodity on its cheapest path under these slopes, and
//! repeats: legs that carry more get cheaper per worker, so flows consolidate where buses fill
//! up (Kim and Pardalos' dynamic slope scaling for fixed-charge network flow). Slopes start at
//! the least cost per seat (the lower bound's prices).
//!
//! Each round is `O(P + L T)` for `P` paths, `L` legs and `T` vehicle types:
//! - routing respects service seats: commodities choose in order of regret (how much they lose
//!   if their best path is full), filling a service and spilling the rest to their next path;
//! - every round's flows are loaded exactly ([`heuristic::load`]) and the cheapest that loads
//!   is kept; a resource that cannot be loaded (an origin's fleet, a hub's buses) gets a price
//!   per bus that grows each time, which steers flow away from it;
//! - rounds stop when the routing repeats, after [`ROUNDS`], or at the deadline.
//!
//! Deterministic: commodities are priced in parallel but every choice is made in a fixed
//! order, so the result does not depend on the number of threads.

use super::heuristic::{self, Blame, PathFilter, State};
use crate::mix::staircase;
use crate::network::{Network, Site};
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::time::Instant;

/// Most rounds of slope scaling.
pub const ROUNDS: usize = 40;

/// Runs slope scaling; returns the cheapest state that loads, or `None` if none did.
pub fn search(s: &Scenario, net: &Network, filter: PathFilter, deadline: Instant) -> Option<(State, f64)> {
    let nl = net.legs.len();
    let nv = s.vehicle_types.len();
    // c_av: bus cost of type v on leg a (fixed cost on origin legs; a hub leg may reuse a bus).
    let cost_av: Vec<Vec<f64>> = (0..nl).map(|a| (0..nv).map(|v| net.leg_cost(s, a, v)).collect()).collect();
    let seat0: Vec<f64> = (0..nl)
        .map(|a| (0..nv).filter(|&v| net.cap[v] > 0).map(|v| cost_av[a][v] / f64::from(net.cap[v])).fold(f64::INFINITY, f64::min))
        .collect();
    let mut slope = seat0.clone();
    // Price per bus added where loading failed.
    let mut origin_price = vec![0.0; s.origins.len()];
    let mut hub_price = vec![0.0; s.hubs.len()];
    let bump = s.vehicle_types.iter().map(|t| t.fixed_cost_yuan).fold(0.0, f64::max).max(100.0) * 0.5;
    let mut best: Option<(State, f64)> = None;
    let mut last: Option<Vec<u32>> = None;
    for _round in 0..ROUNDS {
        if Instant::now() >= deadline {
            break;
        }
        let st = route(s, net, filter, &slope);
        if last.as_ref() == Some(&st.flow) {
            break;
        }
        let leg_flow = st.leg_flows(net);
        match heuristic::bus_cost(s, net, &st.flow) {
            Ok(bus) => {
                let c = heuristic::total_cost(s, net, &st.flow, &st.unserved, bus);
                if best.as_ref().is_none_or(|b| c < b.1 - 1e-9) {
                    best = Some((st.clone(), c));
                }
            }
            Err(Blame::Origin(o)) => origin_price[o] += bump,
            Err(Blame::Hub(h)) => hub_price[h] += bump,
            // Routing keeps to the seats of services.
            Err(Blame::Service(_)) => {}
        }
        // New slopes: the cost per worker of the flow each leg now carries, at the cheapest mix
        // of buses (fleets aside), with the prices of resources that ran short.
        let updated: Vec<Option<f64>> = (0..nl)
            .into_par_iter()
            .map(|a| {
                let f = leg_flow[a];
                if f == 0 {
                    return None;
                }
                let extra = match (net.legs[a].from, net.legs[a].to) {
                    (Site::Origin(o), Site::Hub(h)) => origin_price[o] + hub_price[h],
                    (Site::Origin(o), _) => origin_price[o],
                    (Site::Hub(h), _) => hub_price[h],
                    _ => 0.0,
                };
                let costs: Vec<f64> = cost_av[a].iter().map(|c| c + extra).collect();
                Some(staircase(f, &net.cap, &costs) / f64::from(f))
            })
            .collect();
        for (a, u) in updated.into_iter().enumerate() {
            if let Some(x) = u {
                slope[a] = x;
            }
        }
        last = Some(st.flow);
    }
    best
}

/// Routes every commodity on its cheapest path under the slopes, within the seats of services.
fn route(s: &Scenario, net: &Network, filter: PathFilter, slope: &[f64]) -> State {
    let pen = s.objective.unserved_penalty_yuan;
    // Each commodity's allowed paths by price (cheapest first), priced in parallel.
    let ranked: Vec<Vec<(f64, usize)>> = (0..net.commodities.len())
        .into_par_iter()
        .map(|k| {
            let mut v: Vec<(f64, usize)> = net.paths_of[k]
                .iter()
                .copied()
                .filter(|&p| filter.allows(net, p))
                .map(|p| (net.paths[p].unit_cost + net.paths[p].legs.iter().map(|&a| slope[a]).sum::<f64>(), p))
                .filter(|&(c, _)| c < pen)
                .collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            v
        })
        .collect();
    // Regret: what a commodity loses per worker if its best path is not available.
    let regret = |k: usize| -> f64 {
        match ranked[k].as_slice() {
            [] => 0.0,
            [(c, _)] => pen - c,
            [(c, _), (d, _), ..] => d - c,
        }
    };
    let mut order: Vec<usize> = (0..net.commodities.len()).collect();
    order.sort_by(|&a, &b| regret(b).total_cmp(&regret(a)).then(a.cmp(&b)));
    let mut seats: Vec<u32> = s.services.iter().map(|x| x.seats).collect();
    let mut st = State::empty(net);
    for k in order {
        let mut left = net.commodities[k].count;
        for &(_, p) in &ranked[k] {
            if left == 0 {
                break;
            }
            let take = match net.paths[p].service {
                Some(si) => {
                    let t = left.min(seats[si]);
                    seats[si] -= t;
                    t
                }
                None => left,
            };
            st.flow[p] += take;
            left -= take;
        }
        st.unserved[k] = left;
    }
    st
}
