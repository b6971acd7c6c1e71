//! Refinement: first-improvement local search over path choices with incremental costs, for
//! scenarios too large for [`super::heuristic::improve`] (which prices every move of every
//! round).
//!
//! The cost of a leg carrying `F` workers is estimated by `G_a(F)`, the cheapest cover of `F`
//! seats by whole buses of any type (fleets aside): for a leg from an origin each bus pays its
//! fixed cost and km; for a leg from a hub each bus pays its km, plus the fixed cost times the
//! share `phi_h` of the hub's outbound buses that the last exact loading had to base there
//! (buses that did not arrive on a feeder leg). Moving `m` workers of commodity `k` from path
//! `p` to path `p'` then changes the cost by
//!
//! `delta = sum_{a in p' \ p} [G_a(F_a + m) - G_a(F_a)] + sum_{a in p \ p'} [G_a(F_a - m) -
//! G_a(F_a)] + m (c_p' - c_p)`,
//!
//! a few staircase evaluations, `O(min(F, 2C) T)` each. Sweeps go over the commodities in a
//! fixed order and take each commodity's best improving move (whole flow or half of it, to any
//! allowed path or the unserved pool, within the seats of services), until a sweep improves
//! nothing or the deadline passes. The result is loaded exactly ([`super::heuristic::load`],
//! repaired if a fleet runs short) and kept only if its exact cost is lower, so refinement
//! never makes a plan worse. Sequential and deterministic.

use super::heuristic::{self, PathFilter, State};
use super::loading::{Layout, Loading, Step};
use crate::mix::staircase;
use crate::network::{Network, Site};
use crate::scenario::Scenario;
use std::time::Instant;

/// Most sweeps per refinement.
pub const SWEEPS: usize = 30;

/// Refines `st` (which must load); returns whether it improved.
pub fn refine(s: &Scenario, net: &Network, filter: PathFilter, st: &mut State, deadline: Instant) -> bool {
    let Some(start_cost) = st.cost(s, net) else { return false };
    let mut best = (st.clone(), start_cost);
    let mut improved_any = false;
    // Two rounds: the second uses the shares of based buses of the first's exact loading.
    for _ in 0..2 {
        if Instant::now() >= deadline {
            break;
        }
        let phi = based_share(s, net, &best.0);
        let mut trial = best.0.clone();
        if !sweep(s, net, filter, &mut trial, &phi, deadline) {
            break;
        }
        let bus = heuristic::repair(s, net, &mut trial);
        let cost = heuristic::total_cost(s, net, &trial.flow, &trial.unserved, bus);
        if heuristic::saves(cost, best.1) {
            best = (trial, cost);
            improved_any = true;
        } else {
            break;
        }
    }
    *st = best.0;
    improved_any
}

/// Per hub, the share of its outbound buses that the exact loading based there.
fn based_share(s: &Scenario, net: &Network, st: &State) -> Vec<f64> {
    let Ok((y, z, _)) = heuristic::load(s, net, &st.flow) else { return vec![1.0; s.hubs.len()] };
    let mut out = vec![0u32; s.hubs.len()];
    for (a, leg) in net.legs.iter().enumerate() {
        if let Site::Hub(h) = leg.from {
            out[h] += y[a].iter().sum::<u32>();
        }
    }
    (0..s.hubs.len())
        .map(|h| {
            let based: u32 = z[h].iter().sum();
            if out[h] == 0 {
                // Nothing leaves yet: a first bus would have to be based or sent empty.
                1.0
            } else {
                f64::from(based) / f64::from(out[h])
            }
        })
        .collect()
}

/// Guided exact moves: each round ranks every commodity's best move by the estimate of
/// [`refine`] and goes down the list in batches of [`GUIDED`]. Besides all or half of a path's
/// workers, a move may take the workers that a full load of some bus type leaves over on a leg
/// it leaves, or the workers that fill the last bus of some type on a leg it joins: the splits
/// that put a commodity's overflow on a bus that others fill. A batch is priced by reloading
/// only the origin and hubs each move touches (see `loading`), in parallel; every move that
/// saves is taken, each priced again on top of those taken before it. A full loading confirms
/// the moves of every [`CONFIRM`] such batches together, and at the end of a list; if they do
/// not save, the search goes back to the last confirmed state and confirms every batch from
/// then on. Moves whose price only a full loading could tell are skipped, as are later moves
/// of a commodity already moved in the round. Rounds go on until a whole list saves nothing,
/// until `work` candidates have been priced (checked before each batch, so the work done is a
/// function of the scenario alone), or until the deadline passes. Every confirmed change lowers
/// the exact cost, and the state returned is a confirmed one.
/// Deterministic: candidates are ranked by estimate then commodity, savings by price then
/// rank, whatever the number of threads; only the deadline, if it comes first, depends on the
/// machine.
pub fn guided(s: &Scenario, net: &Network, filter: PathFilter, st: &mut State, work: usize, deadline: Instant) {
    use rayon::prelude::*;
    let lay = Layout::new(s, net);
    let Ok(mut ld) = Loading::full(s, net, &lay, &st.flow) else { return };
    // Cost = bus cost of the loading + the rest (worker time, changes, seats, penalties).
    let rest_of = |st: &State| heuristic::total_cost(s, net, &st.flow, &st.unserved, 0.0);
    let mut cost = ld.cost + rest_of(st);
    let phi = based_share(s, net, st);
    let est = Estimate { splits: true, ..Estimate::new(s, net, &phi) };
    let rest_delta = |mv: &Move| f64::from(mv.m) * (heuristic::unit_cost(s, net, mv.to) - heuristic::unit_cost(s, net, mv.from));
    let saves = heuristic::saves;
    // The bus cost after a move on `l`, or `None` if it does not load or only a full loading
    // could tell.
    let shifted = |l: &mut Loading, k: usize, mv: Move| match l.shift(s, net, &lay, net.commodities[k].accessible, (mv.from, mv.to, mv.m)) {
        Step::Exact | Step::Approx => Some(l.cost),
        Step::Fails | Step::Unknown => None,
    };
    // `st`, `ld` and `cost` run ahead of the last state a full loading confirmed (`sure`, its
    // exact cost) by the moves taken since; every `CONFIRM` batches that took moves (each
    // batch, after a confirmation failed) a full loading confirms them together, or the
    // search goes back to `sure`.
    let mut sure = (st.clone(), cost);
    let mut every = CONFIRM;
    // Candidates priced so far, over every round.
    let mut priced_total = 0usize;
    let confirm = |st: &mut State, ld: &mut Loading, cost: &mut f64, sure: &mut (State, f64)| -> bool {
        if let Ok(l) = Loading::full(s, net, &lay, &st.flow) {
            let c = l.cost + rest_of(st);
            if saves(c, sure.1) {
                (*ld, *cost) = (l, c);
                *sure = (st.clone(), c);
                return true;
            }
        }
        *st = sure.0.clone();
        *ld = Loading::full(s, net, &lay, &st.flow).expect("a confirmed state loads");
        *cost = sure.1;
        false
    };
    loop {
        let seats = est.seats(net, st);
        let mut cands: Vec<(f64, usize, Move)> = (0..net.commodities.len())
            .into_par_iter()
            .filter_map(|k| est.best_move(net, filter, st, (&ld.leg_flow, &seats), k, f64::INFINITY).map(|(d, m)| (d, k, m)))
            .collect();
        cands.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        // Commodities moved this round: their other candidates are stale.
        let mut moved_k: Vec<bool> = vec![false; net.commodities.len()];
        let mut improved = false;
        let mut pending = 0;
        let mut from = 0;
        while from < cands.len() && priced_total < work && Instant::now() < deadline {
            let to = (from + GUIDED).min(cands.len());
            priced_total += to - from;
            // Each candidate priced on a copy of the loading that is put back after it.
            let priced: Vec<Option<f64>> = cands[from..to]
                .par_iter()
                .with_min_len(GUIDED / 8)
                .map_init(
                    || ld.clone(),
                    |l, &(_, k, mv)| {
                        if moved_k[k] {
                            return None;
                        }
                        let c = shifted(l, k, mv).map(|bus| bus - ld.cost + cost + rest_delta(&mv));
                        l.restore(&ld, &lay);
                        c
                    },
                )
                .collect();
            let mut order: Vec<(f64, usize)> =
                priced.iter().enumerate().filter_map(|(i, c)| c.filter(|&c| saves(c, cost)).map(|c| (c, from + i))).collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            from = to;
            // Every saving move that still saves on top of those before it, taken on `ld`;
            // `back` follows, to put back a move that does not.
            let mut any = false;
            let mut back = if order.is_empty() { None } else { Some(ld.clone()) };
            for &(_, i) in &order {
                let (_, k, mv) = cands[i];
                let back = back.as_mut().expect("a copy when there are moves");
                if moved_k[k] {
                    continue;
                }
                let before = ld.cost;
                match shifted(&mut ld, k, mv) {
                    Some(bus) if saves(bus + rest_delta(&mv), before) => {
                        ld.settle();
                        back.shift(s, net, &lay, net.commodities[k].accessible, (mv.from, mv.to, mv.m));
                        back.settle();
                        apply(st, k, mv);
                        cost += bus - before + rest_delta(&mv);
                        moved_k[k] = true;
                        any = true;
                    }
                    _ => ld.restore(back, &lay),
                }
            }
            if any {
                pending += 1;
                if pending >= every {
                    pending = 0;
                    if confirm(st, &mut ld, &mut cost, &mut sure) {
                        improved = true;
                    } else {
                        every = 1;
                    }
                }
            }
        }
        if pending > 0 && confirm(st, &mut ld, &mut cost, &mut sure) {
            improved = true;
        }
        if !improved || priced_total >= work || Instant::now() >= deadline {
            return;
        }
    }
}

/// Batches of [`guided`] that take moves between two confirming full loadings. The moves'
/// prices are exact unless hubs send for extra buses, and even then they agreed with the full
/// loading in every confirmation measured on the province tier; a full loading costs as much as
/// pricing a few hundred moves there.
pub const CONFIRM: usize = 8;

/// Candidates that [`guided`] prices at most in the `fast` search, over all its rounds: its
/// work budget, so that the plan does not depend on the machine's speed. The city tier's
/// search converges within 4,000 candidates (8 rounds of 544). 500,000 workers spend the
/// budget in the tenth round of 4,045, when a round saves about 3,000 yuan of 204 million.
/// The province tier's rounds have 13,072 candidates each and take 3.5-4.5 s on two cores;
/// its third and fourth rounds save 0.25 and 0.15 million yuan of 642 million, and the budget
/// ends its search early in the fourth, about 30 s into a run.
pub const GUIDED_WORK: usize = 40_000;

/// Candidates priced per batch of [`guided`].
pub const GUIDED: usize = 128;

/// A move of `m` workers of one commodity from a path (or the unserved pool) to another.
#[derive(Debug, Clone, Copy)]
struct Move {
    from: Option<usize>,
    to: Option<usize>,
    m: u32,
}

fn apply(st: &mut State, k: usize, mv: Move) {
    st.shift(k, mv.from, mv.to, mv.m);
}

/// The incremental cost estimate of [`refine`].
struct Estimate<'a> {
    costs: Vec<Vec<f64>>,
    cap: &'a [u32],
    pen: f64,
    seats0: Vec<i64>,
    /// Whether moves also try the sizes that empty or fill a bus (not only all or half).
    splits: bool,
}

impl<'a> Estimate<'a> {
    fn new(s: &Scenario, net: &'a Network, phi: &[f64]) -> Estimate<'a> {
        let nv = s.vehicle_types.len();
        let costs = net
            .legs
            .iter()
            .enumerate()
            .map(|(a, leg)| {
                (0..nv)
                    .map(|v| match leg.from {
                        Site::Hub(h) => net.leg_cost(s, a, v) + phi[h] * s.vehicle_types[v].fixed_cost_yuan,
                        _ => net.leg_cost(s, a, v),
                    })
                    .collect()
            })
            .collect();
        Estimate {
            costs,
            cap: &net.cap,
            pen: s.objective.unserved_penalty_yuan,
            seats0: s.services.iter().map(|x| i64::from(x.seats)).collect(),
            splits: false,
        }
    }

    fn g(&self, a: usize, f: u32) -> f64 {
        if f == 0 {
            0.0
        } else {
            staircase(f, self.cap, &self.costs[a])
        }
    }

    /// Workers per leg and seats left per service.
    fn loads(&self, net: &Network, st: &State) -> (Vec<u32>, Vec<i64>) {
        (st.leg_flows(net), self.seats(net, st))
    }

    /// Seats left per service.
    fn seats(&self, net: &Network, st: &State) -> Vec<i64> {
        let mut seats = self.seats0.clone();
        for (p, &x) in st.flow.iter().enumerate() {
            if let Some(si) = net.paths[p].service {
                seats[si] -= i64::from(x);
            }
        }
        seats
    }

    /// The best estimated move of commodity `k` whose estimate is below `slack` (a saving:
    /// `slack < 0`; any move: `+inf`), with its estimate, given the workers per leg and the
    /// seats left per service.
    fn best_move(&self, net: &Network, filter: PathFilter, st: &State, (flow_on, seats): (&[u32], &[i64]), k: usize, slack: f64) -> Option<(f64, Move)> {
        let ps = &net.paths_of[k];
        let mut sources: Vec<Option<usize>> = ps.iter().copied().filter(|&p| st.flow[p] > 0).map(Some).collect();
        if st.unserved[k] > 0 {
            sources.push(None);
        }
        let mut best: Option<(f64, Move)> = None;
        // Sizes worth trying on a leg that carries `f`: what a full load of each bus type
        // leaves over, and what fills the last bus of each type.
        let over = |f: u32| self.cap.iter().filter(|&&c| c > 0).map(move |&c| f % c);
        let fill = |f: u32| self.cap.iter().filter(|&&c| c > 0).map(move |&c| (c - f % c) % c);
        for &from in &sources {
            let have = from.map_or(st.unserved[k], |p| st.flow[p]);
            // The cost of taking m workers off `from`.
            let off = |m: u32| -> f64 {
                match from {
                    Some(p) => {
                        net.paths[p].legs.iter().map(|&a| self.g(a, flow_on[a] - m) - self.g(a, flow_on[a])).sum::<f64>()
                            - f64::from(m) * net.paths[p].unit_cost
                    }
                    None => -f64::from(m) * self.pen,
                }
            };
            // Its value per size, computed once for all targets.
            let mut offs: Vec<(u32, f64)> = Vec::new();
            let mut sizes: Vec<u32> = vec![have, have / 2];
            if let (Some(p), true) = (from, self.splits) {
                for &a in &net.paths[p].legs {
                    sizes.extend(over(flow_on[a]));
                }
            }
            let targets = ps.iter().copied().filter(|&p| filter.allows(net, p)).map(Some).chain(std::iter::once(None));
            for to in targets {
                if to == from {
                    continue;
                }
                let mut ms = sizes.clone();
                if let (Some(q), true) = (to, self.splits) {
                    for &a in &net.paths[q].legs {
                        ms.extend(fill(flow_on[a]));
                    }
                }
                ms.retain(|&m| m > 0 && m <= have);
                ms.sort_unstable();
                ms.dedup();
                for &m in &ms {
                    let on: f64 = match to {
                        Some(q) => {
                            if let Some(si) = net.paths[q].service {
                                let freed = from.filter(|&p| net.paths[p].service == Some(si)).map_or(0, |_| i64::from(m));
                                if seats[si] + freed < i64::from(m) {
                                    continue;
                                }
                            }
                            let from_legs: &[usize] = from.map_or(&[], |p| net.paths[p].legs.as_slice());
                            net.paths[q]
                                .legs
                                .iter()
                                .map(|&a| {
                                    if from_legs.contains(&a) {
                                        self.g(a, flow_on[a]) - self.g(a, flow_on[a] - m)
                                    } else {
                                        self.g(a, flow_on[a] + m) - self.g(a, flow_on[a])
                                    }
                                })
                                .sum::<f64>()
                                + f64::from(m) * net.paths[q].unit_cost
                        }
                        None => f64::from(m) * self.pen,
                    };
                    let off_m = if let Some(&(_, c)) = offs.iter().find(|e| e.0 == m) {
                        c
                    } else {
                        let c = off(m);
                        offs.push((m, c));
                        c
                    };
                    let delta = off_m + on;
                    if delta < slack && best.is_none_or(|b| delta < b.0) {
                        best = Some((delta, Move { from, to, m }));
                    }
                }
            }
        }
        best
    }
}

/// Sweeps until no move improves the estimate; returns whether any move was made.
fn sweep(s: &Scenario, net: &Network, filter: PathFilter, st: &mut State, phi: &[f64], deadline: Instant) -> bool {
    let est = Estimate::new(s, net, phi);
    let (mut flow_on, mut seats) = est.loads(net, st);
    let mut moved = false;
    for _ in 0..SWEEPS {
        let mut any = false;
        for k in 0..net.commodities.len() {
            if Instant::now() >= deadline {
                return moved;
            }
            let Some((_, mv)) = est.best_move(net, filter, st, (&flow_on, &seats), k, -1e-6) else { continue };
            for (path, sign) in [(mv.from, -1i64), (mv.to, 1)] {
                if let Some(p) = path {
                    for &a in &net.paths[p].legs {
                        flow_on[a] = (i64::from(flow_on[a]) + sign * i64::from(mv.m)) as u32;
                    }
                    if let Some(si) = net.paths[p].service {
                        seats[si] -= sign * i64::from(mv.m);
                    }
                }
            }
            apply(st, k, mv);
            any = true;
            moved = true;
        }
        if !any {
            break;
        }
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{tier, Tier};
    use std::time::Duration;

    /// Guided refinement ends on its work budget, not on the clock: with none it changes
    /// nothing, with one batch it takes that batch's moves only, and without a limit it goes
    /// on to a cheaper state (city tier, from slope scaling refined: 7,574,596 yuan, one batch
    /// 7,517,603, no limit 7,425,963).
    #[test]
    fn guided_refinement_stops_on_its_work_budget() {
        let s = tier(Tier::City, 1);
        let net = crate::network::network_of(&s);
        let far = Instant::now() + Duration::from_secs(3_600);
        let (mut start, _) = super::super::slope::search(&s, &net, PathFilter::All, far).expect("slope scaling loads");
        refine(&s, &net, PathFilter::All, &mut start, far);
        let run = |work: usize| {
            let mut st = start.clone();
            guided(&s, &net, PathFilter::All, &mut st, work, far);
            st
        };
        let cost = |st: &State| st.cost(&s, &net).expect("a state that loads");
        assert_eq!(run(0), start);
        let one = run(GUIDED);
        let all = run(usize::MAX);
        assert!(cost(&one) < cost(&start), "one batch saves nothing: {}", cost(&one));
        assert!(cost(&all) < cost(&one), "the budget did not stop the search: {} {}", cost(&all), cost(&one));
        assert_eq!(run(1), one, "the same budget, another result");
    }
}
