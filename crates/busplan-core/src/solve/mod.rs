//! Solve: strategies and backends that turn a [`Network`] into an [`Allocation`] with a
//! lower bound.
//!
//! Takes: a validated scenario, its network and [`Options`]. Gives: [`Solved`].
//!
//! Strategies:
//! - `fast` (default): the heuristic of [`heuristic`] over every path (on small networks then
//!   exact sub-models, one drop point at a time), with the LP relaxation
//!   of [`model`] with every cut (by the simplex, or by PDHG on large models), and where
//!   it exists the LP on finer departure classes (`finer_bound`), as the lower bound;
//! - `exact`: the MIP of [`model`] on the chosen backend, warm-started from `fast`, with the
//!   time limit and MIP gap of the options; if the backend returns nothing better, the warm
//!   start is kept;
//! - `direct`: the heuristic restricted to direct buses, the baseline for savings.
//!
//! Backends: `microlp` (pure Rust, always there) and `highs` (feature `highs`). The backend
//! solves the exact models and the LP bounds; it is never picked silently.

mod blocks;
mod cuts;
mod finer;
pub mod heuristic;
mod lns;
mod loading;
pub mod model;
mod pdhg;
pub mod refine;
pub mod slope;

use crate::network::Network;
use crate::scenario::Scenario;
use good_lp::{ResolutionError, Solution, SolutionStatus, SolverModel, WithInitialSolution, WithMipGap, WithTimeLimit};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Flows, buses and unserved workers: a solution of the allocation model.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    /// `x_p` per path.
    pub flow: Vec<u32>,
    /// `u_k` per commodity.
    pub unserved: Vec<u32>,
    /// `y_av` per leg and vehicle type.
    pub buses: Vec<Vec<u32>>,
    /// `z_hv` per hub and vehicle type.
    pub based: Vec<Vec<u32>>,
}

/// A planning strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Heuristic with exact leg costs and an LP lower bound.
    #[default]
    Fast,
    /// The MIP on the backend, warm-started from `fast`.
    Exact,
    /// The best plan found without hubs or services.
    Direct,
    /// As a planner does it by hand: every group of workers on a bus of its own from its
    /// departure point to its district (or, where none arrives in time, its cheapest route).
    Greedy,
    /// The plain MIP on the backend: no linking cuts, no warm start. The baseline that shows
    /// what the strengthening and the heuristics buy.
    Mip,
}

impl Strategy {
    /// Name as written in plans and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Fast => "fast",
            Strategy::Exact => "exact",
            Strategy::Direct => "direct",
            Strategy::Greedy => "greedy",
            Strategy::Mip => "mip",
        }
    }

    /// Every strategy.
    pub const ALL: [Strategy; 5] = [Strategy::Fast, Strategy::Exact, Strategy::Direct, Strategy::Greedy, Strategy::Mip];

    /// The strategy's allocator.
    pub fn allocator(self) -> &'static dyn Allocator {
        match self {
            Strategy::Fast => &Fast,
            Strategy::Exact => &Exact,
            Strategy::Direct => &Direct,
            Strategy::Greedy => &Greedy,
            Strategy::Mip => &Mip,
        }
    }
}

/// What a strategy found: an allocation, and what it proved.
#[derive(Debug, Clone)]
pub struct Found {
    /// The allocation (it must load: every leg's buses cover its flows, and so on).
    pub alloc: Allocation,
    /// A lower bound of its own on the model's optimum, if it has one (an exact solver's).
    pub bound: Option<f64>,
    /// Whether it proved the allocation optimal within the MIP gap.
    pub proven: bool,
    /// Whether the time limit stopped it.
    pub timed_out: bool,
    /// Other allocations worth turning into plans: the plan keeps whichever costs least once
    /// waits at hubs are timed (the model does not price them).
    pub also: Vec<Allocation>,
}

/// A way to choose an allocation: what `--strategy` selects. Researchers can implement it and
/// plan with [`crate::plan_with`]; every plan then gets the same lower bound, extraction and
/// check as the built-in strategies.
pub trait Allocator: Sync {
    /// Name written in plans.
    fn name(&self) -> &str;
    /// Chooses flows and buses by `deadline`.
    fn allocate(&self, s: &Scenario, net: &Network, opts: &Options, deadline: Instant) -> Result<Found, SolveError>;
}

/// `fast`: slope scaling and construction, then local search (see [`fast_search`]), and on
/// small networks exact neighbourhoods (`ARCHITECTURE.md`, "Strategies").
#[derive(Debug, Clone, Copy)]
pub struct Fast;
/// `exact`: the MIP on the options' backend, warm-started from [`Fast`].
#[derive(Debug, Clone, Copy)]
pub struct Exact;
/// `direct`: [`fast_search`] restricted to direct buses.
#[derive(Debug, Clone, Copy)]
pub struct Direct;
/// `greedy`: by hand (see [`Strategy::Greedy`]).
#[derive(Debug, Clone, Copy)]
pub struct Greedy;
/// `mip`: the plain MIP (see [`Strategy::Mip`]).
#[derive(Debug, Clone, Copy)]
pub struct Mip;

impl Allocator for Mip {
    fn name(&self) -> &'static str {
        "mip"
    }
    fn allocate(&self, s: &Scenario, net: &Network, opts: &Options, deadline: Instant) -> Result<Found, SolveError> {
        let Some((alloc, status)) = mip(s, net, opts, None, remaining(deadline))? else {
            // Nothing found in time: nobody is served, as it stands.
            let st = heuristic::State::empty(net);
            return Ok(Found { alloc: st.allocation(s, net), bound: None, proven: false, timed_out: true, also: Vec::new() });
        };
        let cost = model_cost(s, net, &alloc);
        Ok(mip_found(alloc, cost, status, opts, None, Vec::new()))
    }
}

/// MIP gaps up to which a stop within the gap counts as a proof of optimality (the default gap).
const PROOF_GAP: f64 = 1e-4;

/// A solver's optimum or bound, lowered slightly for its tolerances so that it stays a bound.
fn below_tolerance(b: f64) -> f64 {
    b - 1e-7 * b.abs() - 1e-6
}

/// What a MIP run found, by how the backend stopped: an optimum (the bound is the cost within
/// the MIP gap), a stop within the requested gap (optimal if that gap is the default tolerance
/// or tighter), or the time limit (the bound is `time_limit_bound`).
fn mip_found(alloc: Allocation, cost: f64, status: SolutionStatus, opts: &Options, time_limit_bound: Option<f64>, also: Vec<Allocation>) -> Found {
    match status {
        SolutionStatus::Optimal => Found { alloc, bound: Some(cost * (1.0 - opts.mip_gap.max(1e-9))), proven: true, timed_out: false, also },
        SolutionStatus::GapLimit => Found { alloc, bound: Some(cost * (1.0 - opts.mip_gap)), proven: opts.mip_gap <= PROOF_GAP, timed_out: false, also },
        SolutionStatus::TimeLimit => Found { alloc, bound: time_limit_bound, proven: false, timed_out: true, also },
    }
}

impl Allocator for Fast {
    fn name(&self) -> &'static str {
        "fast"
    }
    fn allocate(&self, s: &Scenario, net: &Network, opts: &Options, deadline: Instant) -> Result<Found, SolveError> {
        // The LP relaxation first, when it is valid and fits: its bound, and its rounded flows
        // as one more start for the search.
        // A relaxation cut short by its share of the clock (a simplex given up, PDHG short of
        // its iterations) makes the plan depend on the machine: the status then says so.
        let now = Instant::now();
        let lp_deadline = now + deadline.saturating_duration_since(now).mul_f64(LP_SHARE);
        let wants_lp = !net.pruned && lp_fits(net, opts.backend);
        // The LP's share of the limit, by the options (not the clock), for the choice of its
        // method: microlp's simplex checks the clock too rarely to stop in time.
        let lp_share_s = lp_seconds(opts);
        // On small networks the LP with linking cuts only is cheap and often rounds to a
        // different plan: one more start, solved beside the LP, within the LP's deadline.
        let linking_deadline = now + deadline.saturating_duration_since(now).mul_f64(0.3).min(lp_deadline - now);
        let (relaxed, linking) = rayon::join(
            || -> Result<_, SolveError> {
                let (lp, fine) = if wants_lp { model_relaxation(s, net, opts.backend, true, Some(lp_share_s), lp_deadline)? } else { (None, None) };
                let gave_up = wants_lp && lp.is_none() && Instant::now() >= lp_deadline;
                Ok((lp, fine, gave_up))
            },
            || {
                if !(wants_lp && net.paths.len() <= POLISH_PATHS) {
                    return (Ok(None), false);
                }
                let m = model::build(s, net, false, model::Cuts::LINKING);
                if simplex_overruns(&m, opts.backend, lp_share_s) {
                    return (Ok(None), false);
                }
                let found = lp_of(m, opts.backend, remaining(linking_deadline));
                let cut = matches!(found, Ok(None)) && Instant::now() >= linking_deadline;
                (found, cut)
            },
        );
        let (mut lp, fine, mut lp_gave_up) = relaxed?;
        // Its start is used only with the LP's own.
        let linking = if lp.is_some() {
            lp_gave_up |= linking.1;
            linking.0?
        } else {
            None
        };
        // The finer bound needs only the LP's duals: it runs beside the starts, the search and
        // the finer polish (city tier seed 1, eight runs each: 4.44 s on average against 4.57 s
        // with the polish after both).
        let (rows, duals) = lp.as_mut().map(|r| (std::mem::take(&mut r.rows), std::mem::take(&mut r.duals))).unwrap_or_default();
        // Small models without a finer bound: the drop points' bound (and where a path rides
        // a service, rounds of cuts on the LP), beside everything else (the search's stops use
        // the LP's bound, so that the plan does not depend on them).
        let wants_cuts = fine.is_none() && lp.is_some() && net.paths.len() <= CUT_PATHS && opts.time_limit_s >= CUT_MIN_LIMIT_S;
        let (cut, rest) = rayon::join(
            || if wants_cuts { small_bound(s, net, opts.backend, opts.time_limit_s >= blocks::PDHG_DUALS_MIN_LIMIT_S, deadline) } else { None },
            || -> Result<_, SolveError> {
                let (finer, searched) = rayon::join(
                    || fine.as_ref().and_then(|fine| finer_bound(s, net, fine, &rows, &duals, lp_deadline)),
                    || -> Result<_, SolveError> {
                        if let Some(r) = &mut lp {
                            to_vertices(s, net, opts.backend, r, lp_deadline)?;
                        }
                        let mut starts: Vec<heuristic::State> = lp.iter().map(|r| round_lp(s, net, &r.x)).collect();
                        let rivals: Vec<heuristic::State> = lp.iter().flat_map(|r| &r.more).map(|x| round_lp(s, net, x)).collect();
                        if let Some((_, x)) = &linking {
                            starts.push(round_lp(s, net, x));
                        }
                        let (alloc, hand, polish_cut) = fast_search_from(s, net, heuristic::PathFilter::All, deadline, starts, rivals);
                        // The search once more where more of the waiting at hubs is priced: one more
                        // plan candidate (beside the finer bound, which it does not need).
                        let polished = finer::polish(s, net, &alloc, deadline);
                        Ok((alloc, hand, polish_cut, polished))
                    },
                );
                let (alloc, hand, polish_cut, polished) = searched?;
                if let Some(r) = &mut lp {
                    r.with_finer(finer);
                }
                let lp_cut = lp_gave_up || lp.as_ref().is_some_and(|r| !r.complete);
                // The plan by hand stays a plan candidate, so that `fast` is never worse than it (a
                // plan with hubs may wait at a hub longer than the model priced).
                let mut also: Vec<Allocation> = hand.into_iter().collect();
                also.extend(polished);
                let mut bound = lp.map(|l| l.bound);
                let mut proven = false;
                // Small models: a branch and bound of fixed size from the search's answer.
                let alloc = match fixed_bnb(s, net, &alloc, opts.mip_gap, deadline) {
                    Some(p) => {
                        // Its bound holds over the network's paths: for plans only if none was pruned.
                        if let (Some(b), false) = (p.bound, net.pruned) {
                            bound = Some(raised(bound, b));
                            proven = p.proven;
                        }
                        if model_cost(s, net, &p.alloc) < model_cost(s, net, &alloc) - 1e-6 {
                            // The search's answer stays a candidate: its plan may wait less at hubs.
                            also.insert(0, alloc);
                            p.alloc
                        } else {
                            alloc
                        }
                    }
                    None => alloc,
                };
                // Small networks, given the time, where the bound leaves a gap: exact sub-models, a
                // drop point at a time.
                let (alloc, lns_cut) = if !proven && opts.time_limit_s >= LNS_MIN_LIMIT_S {
                    neighbourhoods(s, net, alloc, stop_at(bound, opts), &[lns::FAST], LNS_PATHS, deadline, &mut also)
                } else {
                    (alloc, false)
                };
                Ok((alloc, bound, proven, also, lp_cut || polish_cut || lns_cut))
            },
        );
        let (alloc, mut bound, proven, also, mut cut_short) = rest?;
        if let Some((b, complete)) = cut {
            bound = Some(raised(bound, b));
            cut_short |= !complete;
        }
        Ok(Found { alloc, bound, proven, timed_out: cut_short || Instant::now() >= deadline, also })
    }
}

impl Allocator for Direct {
    fn name(&self) -> &'static str {
        "direct"
    }
    fn allocate(&self, s: &Scenario, net: &Network, _: &Options, deadline: Instant) -> Result<Found, SolveError> {
        let (alloc, _, cut) = fast_search_from(s, net, heuristic::PathFilter::DirectOnly, deadline, Vec::new(), Vec::new());
        Ok(Found { alloc, bound: None, proven: false, timed_out: cut || Instant::now() >= deadline, also: Vec::new() })
    }
}

impl Allocator for Greedy {
    fn name(&self) -> &'static str {
        "greedy"
    }
    fn allocate(&self, s: &Scenario, net: &Network, _: &Options, _: Instant) -> Result<Found, SolveError> {
        Ok(Found { alloc: heuristic::by_hand(s, net).allocation(s, net), bound: None, proven: false, timed_out: false, also: Vec::new() })
    }
}

impl Allocator for Exact {
    fn name(&self) -> &'static str {
        "exact"
    }
    fn allocate(&self, s: &Scenario, net: &Network, opts: &Options, deadline: Instant) -> Result<Found, SolveError> {
        // A network too large for the backend's LP is too large for its MIP: `fast` gets the
        // whole time (province tier on microlp: 645,132,536 yuan with a quarter of it and
        // the rest spent on a MIP that found nothing, 642,483,869 with all of it).
        // So is a limit below `EXACT_MIN_LIMIT_S`, and a network whose MIP would not be
        // started in the time left after the warm start ([`mip_overruns`]; on microlp the city
        // tier's root LP takes 11.6 s).
        if !lp_fits(net, opts.backend) || opts.time_limit_s < EXACT_MIN_LIMIT_S || mip_overruns(s, net, opts.backend, after_warm_seconds(opts)) {
            return Fast.allocate(s, net, opts, deadline);
        }
        // The warm start gets a share of the time; the MIP the rest.
        let now = Instant::now();
        let warm_until = now + deadline.saturating_duration_since(now).mul_f64(WARM_SHARE);
        // The warm start is `fast`'s answer (with its LP bound, when it computed one), under
        // the share of the time limit it gets.
        let warm_opts = Options { time_limit_s: opts.time_limit_s * WARM_SHARE, ..opts.clone() };
        let warm = Fast.allocate(s, net, &warm_opts, warm_until)?;
        if warm.proven {
            // `fast`'s branch and bound already proved it.
            return Ok(warm);
        }
        let (heur, lp, mut also) = (warm.alloc, warm.bound, warm.also);
        // On HiGHS above `LNS_PATHS`, its branch and bound on the whole model does not improve
        // `fast`'s plan (city tier seed 3: neither plan nor bound in 300 s, and given 10 s it
        // takes 18 s to start): the drop points' neighbourhoods, solved by HiGHS, get the
        // whole time instead, their RINS parts first (five times faster per yuan saved); on
        // the finer network where there is one, which prices waiting the model's classes leave
        // out (city tier, 60 s, without RINS: seeds 2 and 3 1.82 % and 2.74 % there, 1.89 %
        // and 2.70 % on the model's network, seed 1 1.92 % either way; with RINS first, on
        // the finer network: 1.70 %, 1.60 % and 2.33 %).
        if opts.backend == Backend::Highs && (LNS_PATHS + 1..=LNS_HIGHS_PATHS).contains(&net.paths.len()) {
            let budgets = [lns::EXACT_HIGHS_RINS, lns::EXACT_HIGHS];
            let (alloc, cut) = if let Some((alloc, cut)) = finer::neighbourhoods(s, net, &heur, &budgets, stop_at(lp, opts), deadline) {
                also.insert(0, heur);
                (alloc, cut)
            } else {
                neighbourhoods(s, net, heur, stop_at(lp, opts), &budgets, LNS_HIGHS_PATHS, deadline, &mut also)
            };
            return Ok(Found { alloc, bound: lp, proven: false, timed_out: cut || Instant::now() >= deadline, also });
        }
        // Smaller networks: the drop points' neighbourhoods first, for at most half the time
        // left, then the MIP from their answer. On microlp, whose branch and bound on the
        // whole model rarely improves a good start, with more nodes; on HiGHS, solved by HiGHS,
        // their RINS parts first (county tier, 60 s: seed 2 127,140 -> 126,748 yuan, seed 3
        // within the MIP gap in 17-21 s instead of 26 s, seed 1 still proven optimal, in
        // 5.7-7.0 s instead of 5.2 s; the RINS parts alone: seed 2 127,204, seed 3 31 s).
        let now = Instant::now();
        let until = now + deadline.saturating_duration_since(now) / 2;
        let budgets: &[lns::Budget] = match opts.backend {
            Backend::Microlp => &[lns::EXACT],
            Backend::Highs => &[lns::EXACT_HIGHS_RINS, lns::EXACT_HIGHS],
        };
        let heur = neighbourhoods(s, net, heur, stop_at(lp, opts), budgets, LNS_PATHS, until, &mut also).0;
        let heur_cost = model_cost(s, net, &heur);
        // No MIP once the clock has run out: microlp's would overrun the limit by its root LP.
        let mip_found_one = if Instant::now() < deadline { mip(s, net, opts, Some(&heur), remaining(deadline))? } else { None };
        let Some((alloc, status)) = mip_found_one else {
            return Ok(Found { alloc: heur, bound: lp, proven: false, timed_out: true, also });
        };
        let cost = model_cost(s, net, &alloc);
        // The warm start stays a candidate: its plan may wait less at hubs.
        let (alloc, cost) = if cost <= heur_cost {
            also.insert(0, heur);
            (alloc, cost)
        } else {
            (heur, heur_cost)
        };
        Ok(mip_found(alloc, cost, status, opts, lp, also))
    }
}

/// The drop points' exact neighbourhoods (`lns::by_destination`) from `alloc` within each of
/// `budgets` in turn (until the deadline cuts one), on networks of up to `max_paths` paths,
/// until the plan costs no more than `stop_at` ([`stop_at`]). Each changed answer puts the one before
/// first among the plan candidates `also` (its plan may wait less at hubs). Gives the answer
/// and whether the deadline cut the search.
#[allow(clippy::too_many_arguments)]
pub(crate) fn neighbourhoods(
    s: &Scenario,
    net: &Network,
    mut alloc: Allocation,
    stop_at: f64,
    budgets: &[lns::Budget],
    max_paths: usize,
    deadline: Instant,
    also: &mut Vec<Allocation>,
) -> (Allocation, bool) {
    if net.paths.len() > max_paths {
        return (alloc, false);
    }
    for &budget in budgets {
        if model_cost(s, net, &alloc) <= stop_at {
            break;
        }
        let (better, cut) = lns::by_destination(s, net, &alloc, budget, stop_at, deadline);
        if better != alloc {
            also.insert(0, std::mem::replace(&mut alloc, better));
        }
        if cut {
            return (alloc, true);
        }
    }
    (alloc, false)
}

/// `bound` raised to `b` (or `b`, if there was none).
fn raised(bound: Option<f64>, b: f64) -> f64 {
    bound.map_or(b, |l| l.max(b))
}

/// The cost at which a search may stop: within the MIP gap of the bound.
fn stop_at(bound: Option<f64>, opts: &Options) -> f64 {
    bound.map_or(f64::NEG_INFINITY, |b| b / (1.0 - opts.mip_gap))
}

/// A solver backend for exact models and LP bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// `microlp`, pure Rust.
    #[default]
    Microlp,
    /// `HiGHS` (needs the `highs` feature).
    Highs,
}

impl Backend {
    /// Name as written in plans and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Microlp => "microlp",
            Backend::Highs => "highs",
        }
    }
    /// Whether this build has the backend.
    pub fn available(self) -> bool {
        match self {
            Backend::Microlp => true,
            Backend::Highs => cfg!(feature = "highs"),
        }
    }
}

/// Options of a planning run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Strategy.
    pub strategy: Strategy,
    /// Backend for exact models and bounds.
    pub backend: Backend,
    /// Wall-clock limit for the whole run, seconds (default 60). `fast` ends on work budgets
    /// well before it on most scenarios, raises the bound of small networks by rounds of cuts
    /// only under a limit of at least `CUT_MIN_LIMIT_S` (1 s), and searches their exact
    /// neighbourhoods only under one of at least `LNS_MIN_LIMIT_S` (5 s); a search it stops
    /// makes the status `TimeLimit`.
    pub time_limit_s: f64,
    /// Relative MIP gap at which an exact solve may stop.
    pub mip_gap: f64,
    /// Worker threads (0 = all cores). The plan does not depend on it.
    pub threads: usize,
    /// Random seed (recorded in the plan; strategies that sample use it).
    pub seed: u64,
    /// Also plan without hubs to report the saving.
    pub compare_direct: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strategy: Strategy::Fast,
            backend: Backend::Microlp,
            time_limit_s: 60.0,
            mip_gap: 1e-4,
            threads: 0,
            seed: 0,
            compare_direct: true,
        }
    }
}

/// Errors of the solve stage.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SolveError {
    /// The backend is not in this build.
    #[error("backend \"{0}\" is not in this build; rebuild with `--features highs`")]
    BackendMissing(&'static str),
    /// The backend failed on a model it should solve.
    #[error("the {backend} backend failed: {message}")]
    Backend {
        /// Backend name.
        backend: &'static str,
        /// What it said.
        message: String,
    },
    /// Options out of range.
    #[error("invalid option: {0}")]
    Options(String),
}

/// How the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The allocation model was solved to proven optimality (within the MIP gap).
    Optimal,
    /// A feasible allocation, no proof.
    Feasible,
    /// The time limit stopped the search.
    TimeLimit,
}

/// The result of a solve.
#[derive(Debug, Clone)]
pub struct Solved {
    /// The allocation.
    pub alloc: Allocation,
    /// A lower bound on the model's optimum.
    pub lower_bound: f64,
    /// How it ended.
    pub outcome: Outcome,
    /// Other allocations to turn into plans (see [`Found::also`]).
    pub also: Vec<Allocation>,
}

/// Model cost of an allocation: the objective of [`model`].
pub fn model_cost(s: &Scenario, net: &Network, a: &Allocation) -> f64 {
    let mut c = 0.0;
    for (leg, row) in a.buses.iter().enumerate() {
        for (v, &n) in row.iter().enumerate() {
            c += f64::from(n) * net.leg_cost(s, leg, v);
        }
    }
    for row in &a.based {
        for (v, &n) in row.iter().enumerate() {
            c += f64::from(n) * s.vehicle_types[v].fixed_cost_yuan;
        }
    }
    for (p, &f) in a.flow.iter().enumerate() {
        c += f64::from(f) * net.paths[p].unit_cost;
    }
    c + a.unserved.iter().map(|&u| f64::from(u)).sum::<f64>() * s.objective.unserved_penalty_yuan
}

/// Runs the strategy of `opts`.
pub fn solve(s: &Scenario, net: &Network, opts: &Options) -> Result<Solved, SolveError> {
    solve_with(s, net, opts, opts.strategy.allocator())
}

/// Runs an allocator within the options' time limit and gives its allocation the run's lower
/// bound: the largest of the allocator's own, the LP relaxation of [`model`] with every cut
/// (on the options' backend's simplex up to [`SIMPLEX_PATHS`], else the Lagrangian bound of
/// [`PDHG_ITERATIONS`] of PDHG; when the network kept every path) and the network's floor
/// bound (see [`Network::floor`]).
pub fn solve_with(s: &Scenario, net: &Network, opts: &Options, allocator: &dyn Allocator) -> Result<Solved, SolveError> {
    if !opts.backend.available() {
        return Err(SolveError::BackendMissing(opts.backend.name()));
    }
    if !(opts.time_limit_s.is_finite() && opts.time_limit_s > 0.0) {
        return Err(SolveError::Options(format!("time limit must be a positive number of seconds, got {}", opts.time_limit_s)));
    }
    if !(opts.mip_gap.is_finite() && (0.0..1.0).contains(&opts.mip_gap)) {
        return Err(SolveError::Options(format!("MIP gap must be in [0, 1), got {}", opts.mip_gap)));
    }
    let start = Instant::now();
    // The search gets most of the time limit; extraction, the plan by hand and the check of
    // every candidate take the rest on large scenarios.
    let deadline = start + Duration::from_secs_f64(opts.time_limit_s * SEARCH_SHARE);
    let found = allocator.allocate(s, net, opts, deadline)?;
    let cost = model_cost(s, net, &found.alloc);
    // The LP relaxation bounds plans over the network's paths; if some were pruned, only the
    // floor bound (over every path) is valid. By PDHG where microlp's simplex is not expected
    // to fit in the search's share of the limit (it would overrun a tight limit).
    let lp = if net.pruned || found.bound.is_some() || !lp_fits(net, opts.backend) {
        None
    } else {
        relaxation(s, net, opts.backend, opts.time_limit_s * SEARCH_SHARE, deadline)?.map(|r| r.bound)
    };
    let lower_bound = [lp, found.bound].into_iter().flatten().fold(net.bound(), f64::max);
    let outcome = if found.proven {
        Outcome::Optimal
    } else if found.timed_out || Instant::now() >= deadline {
        Outcome::TimeLimit
    } else if cost <= lower_bound + 1e-6 * cost.abs().max(1.0) {
        Outcome::Optimal
    } else {
        Outcome::Feasible
    };
    // No clamping: an allocation below the bound is a bug, and the checker says so.
    Ok(Solved { alloc: found.alloc, lower_bound, outcome, also: found.also })
}

/// Paths above which the best-improvement local search is skipped (each of its rounds prices
/// every move, and a move's reload grows with the network).
pub const POLISH_PATHS: usize = 2_000;

/// The `fast` search without the LP's starts: the plain construction, slope scaling and (with
/// hubs) the plan by hand, polished on scenarios of up to [`POLISH_PATHS`] paths, the cheapest
/// refined ([`fast_search_from`], which also says whether the clock cut the polish short).
pub fn fast_search(s: &Scenario, net: &Network, filter: heuristic::PathFilter, deadline: Instant) -> Allocation {
    fast_search_from(s, net, filter, deadline, Vec::new(), Vec::new()).0
}

/// What [`fast_search_from`] found: the allocation, the plan by hand as it was built (with hubs
/// allowed, for the plan to weigh), and whether the clock cut the polish of the starts short
/// (the answer then depends on the machine).
pub type Searched = (Allocation, Option<Allocation>, bool);

/// [`fast_search`] with more starts (states that load, such as a rounded LP solution), and
/// `rivals`: starts refined as well as the cheapest start, whatever they cost (the cheapest
/// answer wins; ties to the cheapest start).
pub fn fast_search_from(
    s: &Scenario,
    net: &Network,
    filter: heuristic::PathFilter,
    deadline: Instant,
    more: Vec<heuristic::State>,
    rivals: Vec<heuristic::State>,
) -> Searched {
    // Starts: the plain construction, slope scaling's best, and (with hubs) the plan by hand.
    let mut starts = Vec::new();
    let plain = heuristic::construct(net, filter);
    let mut base = plain.clone();
    heuristic::repair(s, net, &mut base);
    // The plan by hand often puts everyone where the construction does (then its repair,
    // which loads many times on large scenarios, is the same too).
    let hand = (filter == heuristic::PathFilter::All).then(|| {
        let hand = heuristic::by_hand_unrepaired(net);
        if hand == plain {
            base.clone()
        } else {
            heuristic::by_hand(s, net)
        }
    });
    starts.push(base);
    if let Some((st, _)) = slope::search(s, net, filter, deadline) {
        starts.push(st);
    }
    starts.extend(hand.clone());
    starts.extend(more);
    // The same start twice (the construction and the plan by hand often agree) is polished
    // once: keep the first of equal starts.
    let mut unique: Vec<heuristic::State> = Vec::with_capacity(starts.len());
    for st in starts {
        if !unique.contains(&st) {
            unique.push(st);
        }
    }
    let mut starts = unique;
    // Small networks: the starts polished by the exact local search, cheapest first, until
    // `polish_until`, which leaves the rest of the time to refinement: the cheapest to a local
    // optimum, the others within `POLISH_WORK`.
    let mut polish_cut = false;
    if net.paths.len() <= POLISH_PATHS {
        let now = Instant::now();
        let polish_until = now + deadline.saturating_duration_since(now).mul_f64(POLISH_SHARE);
        let costs: Vec<f64> = starts.iter().map(|st| st.cost(s, net).unwrap_or(f64::INFINITY)).collect();
        let mut order: Vec<usize> = (0..starts.len()).collect();
        order.sort_by(|&a, &b| costs[a].total_cmp(&costs[b]).then(a.cmp(&b)));
        let mut work = POLISH_WORK;
        for (n, &i) in order.iter().enumerate() {
            let mut unlimited = u64::MAX;
            let work = if n == 0 { &mut unlimited } else { &mut work };
            polish_cut |= heuristic::improve_within(s, net, filter, &mut starts[i], polish_until, work);
        }
    }
    // Then the cheapest (ties to the earliest start) is refined with incremental costs and
    // guided exact moves.
    let costs: Vec<f64> = starts.iter().map(|st| st.cost(s, net).unwrap_or(f64::INFINITY)).collect();
    let best_start = (0..starts.len()).min_by(|&a, &b| costs[a].total_cmp(&costs[b]).then(a.cmp(&b))).expect("one start");
    // Each refined on its own thread (the result does not depend on the threads); the first
    // of equal answers wins.
    let refined: Vec<(f64, heuristic::State)> = std::iter::once(starts.swap_remove(best_start))
        .chain(rivals)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|mut st| {
            refine::refine(s, net, filter, &mut st, deadline);
            refine::guided(s, net, filter, &mut st, refine::GUIDED_WORK, deadline);
            (st.cost(s, net).unwrap_or(f64::INFINITY), st)
        })
        .collect();
    let st = refined.into_iter().min_by(|a, b| a.0.total_cmp(&b.0)).expect("one start").1;
    (st.allocation(s, net), hand.map(|h| h.allocation(s, net)), polish_cut)
}

/// The share of the search's time that polishing the starts may take; refinement has the
/// rest (on the county tier refinement takes 1 ms, but under a tight time limit the polish
/// would otherwise leave it none).
pub const POLISH_SHARE: f64 = 0.8;

/// Work of polishing the starts other than the cheapest, together: rounds of the local search
/// begin while the moves priced times the network's legs stay within it. The cheapest start
/// is the best polished start on the county tier, its seed 2, the Chaoyang example and 5,000
/// workers, where polishing every start took 1.2 to 3 times as long; the Nujiang example's
/// best polished start is its third cheapest, and all its starts take 250,000. County tier,
/// plan cost and time of a run (before the drop points' neighbourhoods followed the search),
/// with this budget at 0, 300,000, 1 million and unlimited:
/// seed 1 127,325 in 0.10, 0.13, 0.17 and 0.24 s; seed 3 130,381, 130,381, 130,828 and
/// 130,828 yuan.
pub const POLISH_WORK: u64 = 300_000;

/// Paths up to which `fast` searches the drop points' exact neighbourhoods
/// (`lns::by_destination`).
pub const LNS_PATHS: usize = 2_000;

/// Time limits (seconds) below which it does not: it takes 0.4-2.2 s on the county tier (seeds
/// 1-3), and a search the clock stops gives a plan that depends on the machine. `exact` gives
/// its warm start a quarter of its limit.
pub const LNS_MIN_LIMIT_S: f64 = 5.0;

/// Paths above which `exact` on `HiGHS` does not run the neighbourhoods (`lns::EXACT_HIGHS`):
/// the city tier (7,079) and 50,000 workers (4,990) get them; the province tier (about
/// 150,000) gets the MIP, as networks of up to `LNS_PATHS` do.
pub const LNS_HIGHS_PATHS: usize = 25_000;

/// The share of the time limit given to the search.
pub const SEARCH_SHARE: f64 = 0.75;

/// The share of the search's time that `fast` gives its LP relaxation.
pub const LP_SHARE: f64 = 0.6;

/// The seconds `fast`'s LP relaxation may take under `opts`, by its time limit.
fn lp_seconds(opts: &Options) -> f64 {
    opts.time_limit_s * SEARCH_SHARE * LP_SHARE
}

/// Paths above which the LP bound is not attempted on each backend (the network's own bounds
/// remain).
pub const LP_PATHS: [(Backend, usize); 2] = [(Backend::Microlp, 40_000), (Backend::Highs, 400_000)];

/// Paths up to which each backend's simplex solves the LP relaxation; above, it is solved by
/// the first-order method of PDHG for [`PDHG_ITERATIONS`]. microlp's simplex took 6.2-6.6 s
/// on the city tier (7,079 paths, linking cuts only) and 1.0-1.4 s on 50,000 workers (4,990
/// paths); PDHG with every cut took 2.6-3.8 s and 0.7-1.1 s, for a bound 0.3 % above and
/// 0.06 % below (after its coordinate ascent). Up to 2,000 paths the simplex is exact and
/// takes tens of milliseconds.
pub const SIMPLEX_PATHS: [(Backend, usize); 2] = [(Backend::Microlp, 2_000), (Backend::Highs, 400_000)];

/// Iterations of PDHG for the LP relaxation: a fixed amount of work, so that plans do not
/// depend on the machine. On the city tier 5,000 gave a bound within 0.2 % of the LP optimum
/// (7,097,918 against 7,110,784 yuan; 7,105,251 after the coordinate ascent), 3,000 2 % below
/// it (6,971,299), 8,000 7,106,301 (7,107,264 after the ascent).
pub const PDHG_ITERATIONS: usize = 5_000;

/// Iterations of [`PDHG_ITERATIONS`] (multiples of its check interval, 64) after which PDHG's
/// point gives `fast` one more start: the simplex on its support, rounded. The supports differ
/// and so do their vertices, and a start's cost says little about where the search ends
/// (city tier seed 1: starts of 7,328,458 to 7,374,643 yuan ended at 7,223,998 to 7,251,581),
/// so each is refined (about 0.17 s each on the city tier) and the cheapest answer kept. City
/// tier seeds 1 to 3, plan cost with one start and with four: 7,279,308 -> 7,273,883,
/// 7,115,434 -> 7,097,454, 6,979,978 -> 6,969,960.
pub const START_SNAPSHOTS: [usize; 3] = [2_048, 3_008, 4_032];

/// Flow above which a path of PDHG's answer is kept for the exact LP that gives `fast` its start.
const SUPPORT_FLOW: f64 = 0.1;

fn lp_fits(net: &Network, backend: Backend) -> bool {
    paths_within(&LP_PATHS, net, backend)
}

/// Whether the network has at most the paths that `limits` allows the backend.
fn paths_within(limits: &[(Backend, usize)], net: &Network, backend: Backend) -> bool {
    limits.iter().any(|&(b, n)| b == backend && net.paths.len() <= n)
}

fn remaining(deadline: Instant) -> f64 {
    deadline.saturating_duration_since(Instant::now()).as_secs_f64().max(0.05)
}

/// What [`relaxation`] found: a lower bound on the model (lowered for solver tolerance) and
/// a fractional `x_p` near the LP's optimum.
#[derive(Default)]
struct Relaxed {
    bound: f64,
    x: Vec<f64>,
    /// Whether it ran to its end, not to the deadline.
    complete: bool,
    /// PDHG's duals of the bound, and what each row is (empty from the simplex).
    duals: Vec<f64>,
    rows: Vec<model::Row>,
    /// With PDHG and `start`, more starts: the simplex's flows on the supports of PDHG's
    /// earlier points ([`START_SNAPSHOTS`]).
    more: Vec<Vec<f64>>,
    /// Whether `x` and `more` are still PDHG's own points, not yet the vertices of
    /// [`to_vertices`].
    pending: bool,
}

/// The bound of the LP relaxation of the model with every cut, for strategies that compute
/// none: by the backend's simplex up to [`SIMPLEX_PATHS`] (on microlp if it is expected within
/// `share_s` seconds, see [`model_relaxation`]), else by [`pdhg`], whose bound is the Lagrangian
/// bound of its duals. Above microlp's `SIMPLEX_PATHS`, where the network of [`finer_bound`]
/// exists, the bound is the larger of the two, and the model's LP goes to PDHG on every
/// backend, since the finer bound starts from its duals (on `HiGHS` the city tier's then takes
/// 1.1 s instead of the simplex's 2.6 s, and the bound rises from the LP's optimum 7,110,784 to
/// 7,130,277). `None` if the solver gave up in time.
fn relaxation(s: &Scenario, net: &Network, backend: Backend, share_s: f64, deadline: Instant) -> Result<Option<Relaxed>, SolveError> {
    let (mut r, fine) = model_relaxation(s, net, backend, false, Some(share_s), deadline)?;
    if let (Some(r), Some(fine)) = (&mut r, fine) {
        r.with_finer(finer_bound(s, net, &fine, &r.rows, &r.duals, deadline));
    }
    Ok(r)
}

/// [`relaxation`] without the finer bound: the model's LP, and the network of the finer bound
/// where there is one (then the LP is solved by PDHG, whose duals the finer bound starts from).
/// With `share_s`, the seconds the LP may take by the options: on microlp a model whose
/// simplex is expected to take longer ([`simplex_seconds`]) is solved by PDHG, which stops on
/// its deadline with a valid bound, where the simplex would overrun it.
fn model_relaxation(
    s: &Scenario,
    net: &Network,
    backend: Backend,
    start: bool,
    share_s: Option<f64>,
    deadline: Instant,
) -> Result<(Option<Relaxed>, Option<Network>), SolveError> {
    let fine = if paths_within(&SIMPLEX_PATHS, net, Backend::Microlp) { None } else { net.with_most_classes(s, BOUND_CLASSES, BOUND_PATHS) };
    if fine.is_none() && paths_within(&SIMPLEX_PATHS, net, backend) {
        let m = model::build(s, net, false, model::Cuts::ALL);
        if share_s.is_some_and(|share| simplex_overruns(&m, backend, share)) {
            return Ok((pdhg_of(m, false, PDHG_ITERATIONS, deadline), None));
        }
        let r = lp_of(m, backend, remaining(deadline))?;
        return Ok((r.map(|(bound, x)| Relaxed { bound, x, complete: true, ..Relaxed::default() }), None));
    }
    Ok((pdhg_relaxation(s, net, start, PDHG_ITERATIONS, deadline), fine))
}

impl Relaxed {
    /// Takes the finer bound (and whether its PDHG ran to its end), if there is one.
    fn with_finer(&mut self, finer: Option<(f64, bool)>) {
        if let Some((bound, complete)) = finer {
            self.bound = self.bound.max(bound);
            self.complete &= complete;
        }
    }
}

/// Most departure classes per hub of the network whose LP gives the finer bound.
pub const BOUND_CLASSES: usize = 10;

/// Most paths of that network: the city tier's has 21,911 (7,079 in the model's network).
pub const BOUND_PATHS: usize = 25_000;

/// Iterations of PDHG on that LP, from the model's duals.
pub const BOUND_ITERATIONS: usize = 2_000;

/// A lower bound from the LP of `fine`, the network with up to [`BOUND_CLASSES`] departure
/// classes per hub ([`Network::with_most_classes`]), where more of the waiting at hubs is priced. Every
/// plan is an integer point of that network's model, priced by it no higher than the plan
/// costs (as for the model's own network: the classes only decide from when waiting is
/// priced), so its LP bounds every plan. It is solved by [`BOUND_ITERATIONS`] of PDHG from the
/// model's duals `y` (rows named by `rows`), each fine row starting at the dual of the row it
/// refines (its leg mapped by `finer::legs_up`; rows with no counterpart at 0). Gives the
/// bound and whether PDHG ran to its end (minus infinity and `false` if the deadline left no
/// bound); `None` without duals or a finite bound.
fn finer_bound(s: &Scenario, net: &Network, fine: &Network, rows: &[model::Row], y: &[f64], deadline: Instant) -> Option<(f64, bool)> {
    if rows.is_empty() {
        return None;
    }
    // Out of time: no bound, and the run says the clock stopped it.
    if Instant::now() >= deadline {
        return Some((f64::NEG_INFINITY, false));
    }
    let legs = finer::legs_up(fine, net);
    let index: std::collections::HashMap<model::Row, usize> = rows.iter().enumerate().map(|(i, &r)| (r, i)).collect();
    let m = model::build(s, fine, false, model::Cuts::ALL);
    let y0: Vec<f64> = m.rows.iter().map(|r| r.on_legs(&legs).and_then(|r| index.get(&r)).map_or(0.0, |&i| y[i])).collect();
    let (lp, _) = pdhg::Lp::from_model(&m)?;
    drop(m);
    let x0 = vec![0.0; lp.c.len()];
    let found = pdhg::solve_from(&lp, BOUND_ITERATIONS, 1e-9, deadline, Some((&x0, &y0)), &[]);
    if found.bound.is_finite() {
        Some((below_tolerance(found.bound), found.complete))
    } else {
        // Stopped before its first bound, or no finite bound at all.
        (!found.complete).then_some((f64::NEG_INFINITY, false))
    }
}

/// A lower bound from rounds of c-MIR cuts on the model's LP ([`cuts::model_bound`]), lowered
/// for tolerance, and whether the rounds ran to their end; `None` if the backend's simplex
/// failed on the LP.
fn cut_bound(s: &Scenario, net: &Network, backend: Backend, deadline: Instant) -> Option<(f64, bool)> {
    cuts::model_bound(s, net, backend, deadline).map(|(b, complete)| (below_tolerance(b), complete))
}

/// The drop points' bound ([`blocks::drop_point_bound`], lowered for tolerance; at PDHG's
/// duals too if `with_pdhg`) and, on
/// networks where a path rides a service, beside it the cut bound ([`cut_bound`]), the larger;
/// whether they ran to their end; `None` if none gave a bound. A service joins the drop points
/// that its passengers ride on to, and their blocks then lose the most: on the Zhuanghe
/// example (a train) the cut bound is 253,801 yuan and the drop points' 252,201. Without
/// services the drop points' bound was the higher on every network measured (county tier
/// seeds 1-3 126,060, 126,027 and 127,748 against 125,550, 125,671 and 126,939; the Chaoyang
/// and Nujiang examples 98,593 and 481,777 against 98,209 and 481,764), and the rounds took a
/// core from the search (county seed 1: 0.72-0.74 s for the run without them, 1.25-1.30 s with
/// them, the same plan and bound).
fn small_bound(s: &Scenario, net: &Network, backend: Backend, with_pdhg: bool, deadline: Instant) -> Option<(f64, bool)> {
    // Out of time: no bound, and the run says the clock stopped it.
    if Instant::now() >= deadline {
        return Some((f64::NEG_INFINITY, false));
    }
    let services = net.paths.iter().any(|p| p.service.is_some());
    let (cut, blocks) = rayon::join(
        || if services { cut_bound(s, net, backend, deadline) } else { None },
        || blocks::drop_point_bound(s, net, backend, with_pdhg, deadline),
    );
    match (cut, blocks) {
        (Some((a, x)), Some((b, y))) => Some((a.max(b), x && y)),
        (one, other) => one.or(other),
    }
}

/// Most paths of a network whose LP gets rounds of cuts ([`cut_bound`]) and the drop points'
/// bound ([`small_bound`]).
pub const CUT_PATHS: usize = 1_000;

/// Least time limit, seconds, under which the rounds of cuts ([`cut_bound`]) run. Their LP is
/// microlp's simplex, which does not stop on the clock in time, and they take a core from the
/// search: county tier seed 2 under 0.1 s, the run took 0.31-0.33 s with them and 0.09-0.1 s
/// without; seed 1 under 0.1 s, 130,145-131,123 yuan with them, 127,764-129,703 without.
/// Under 0.5 s they would still raise seed 1's bound (125,126 -> 125,285-125,308 yuan) with the
/// same plan.
pub const CUT_MIN_LIMIT_S: f64 = 1.0;

/// [`relaxation`] by PDHG, for `iterations`; with `start`, also PDHG's points after
/// [`START_SNAPSHOTS`] iterations, and `x` and those points still to be made vertices
/// ([`to_vertices`]).
fn pdhg_relaxation(
    s: &Scenario,
    net: &Network,
    start: bool,
    iterations: usize,
    deadline: Instant,
) -> Option<Relaxed> {
    pdhg_of(model::build(s, net, false, model::Cuts::ALL), start, iterations, deadline)
}

/// [`pdhg_relaxation`] of the model with every cut, built already.
fn pdhg_of(mut m: model::Model, start: bool, iterations: usize, deadline: Instant) -> Option<Relaxed> {
    let (lp, columns) = pdhg::Lp::from_model(&m)?;
    let rows = std::mem::take(&mut m.rows);
    drop(m);
    let snapshots: &[usize] = if start { &START_SNAPSHOTS } else { &[] };
    let found = pdhg::solve_from(&lp, iterations, 1e-9, deadline, None, snapshots);
    drop(lp);
    if !found.bound.is_finite() {
        return None;
    }
    let x: Vec<f64> = columns.iter().map(|&j| found.x[j]).collect();
    let more = found.snapshots.iter().map(|snapshot| columns.iter().map(|&j| snapshot[j]).collect()).collect();
    Some(Relaxed { bound: below_tolerance(found.bound), x, complete: found.complete, duals: found.y, rows, more, pending: start })
}

/// PDHG's points of `r` (its answer and its snapshots) replaced by the optima of the simplex
/// on their supports, with linking cuts (small and quick): vertices round better than PDHG's
/// spread flows. A point the simplex gives up on in time, or that the deadline leaves no time
/// for, is dropped (the answer then stays PDHG's).
fn to_vertices(s: &Scenario, net: &Network, backend: Backend, r: &mut Relaxed, deadline: Instant) -> Result<(), SolveError> {
    if !std::mem::take(&mut r.pending) {
        return Ok(());
    }
    let on_support = |x: &[f64]| -> Result<Option<Vec<f64>>, SolveError> {
        // microlp's simplex would run its first 1,000 pivots past the deadline.
        if Instant::now() >= deadline {
            return Ok(None);
        }
        let keep: Vec<usize> = (0..net.paths.len()).filter(|&p| x[p] > SUPPORT_FLOW).collect();
        let found = lp_relaxation(s, &net.restricted(&keep), backend, model::Cuts::LINKING, remaining(deadline))?;
        Ok(found.map(|(_, sx)| {
            let mut x = vec![0.0; net.paths.len()];
            for (&p, v) in keep.iter().zip(sx) {
                x[p] = v;
            }
            x
        }))
    };
    // A point lost to the clock makes the plan depend on the machine: the run then says so.
    let lost = |r: &mut Relaxed| r.complete &= Instant::now() < deadline;
    match on_support(&r.x)? {
        Some(x) => r.x = x,
        None => lost(r),
    }
    let mut vertices = Vec::new();
    for x in std::mem::take(&mut r.more) {
        match on_support(&x)? {
            Some(v) => vertices.push(v),
            None => lost(r),
        }
    }
    r.more = vertices;
    Ok(())
}

/// The LP relaxation with `cuts`: its optimum (slightly lowered for solver tolerance) and `x_p`.
fn lp_relaxation(
    s: &Scenario,
    net: &Network,
    backend: Backend,
    cuts: model::Cuts,
    time_s: f64,
) -> Result<Option<(f64, Vec<f64>)>, SolveError> {
    lp_of(model::build(s, net, false, cuts), backend, time_s)
}

/// Seconds microlp's simplex is expected to take on the relaxation of `m`: 0.1 s at 870 rows,
/// growing with the square of the rows. Measured (rows: seconds): county tier seeds 1-3
/// with every cut 734: 0.06, 1,165: 0.19, 858: 0.06 (expected 0.07, 0.18, 0.10), with the
/// MIP's cuts 548: 0.05, 909: 0.14, 680: 0.05 (0.04, 0.11, 0.06); the city tier's plain
/// model 2,915: 0.36 (1.1), with the MIP's cuts 8,941: 11.6 (10.6), with every cut 11,558:
/// 15.0 (17.6); a province-shaped network of 10,000 workers 1,070: 0.045 (0.15); the Chaoyang
/// example 611: 0.045 (0.05). The rows' product with the columns, to the power 1.5, fitted
/// the county tier as well but expected 36 s of the city tier's plain model. Under the
/// default limit every network of up to [`SIMPLEX_PATHS`] paths stays well inside the LP's
/// share.
fn simplex_seconds(m: &model::Model) -> f64 {
    0.1 * (m.constraints.len() as f64 / 870.0).powi(2)
}

/// Whether the simplex of `backend` should give way to PDHG on the relaxation of `m` within
/// `share_s` seconds: on microlp, which looks at the clock too rarely to stop in time, when
/// [`simplex_seconds`] exceeds them.
fn simplex_overruns(m: &model::Model, backend: Backend, share_s: f64) -> bool {
    backend == Backend::Microlp && simplex_seconds(m) > share_s
}

/// [`lp_relaxation`] of a model built already.
fn lp_of(m: model::Model, backend: Backend, time_s: f64) -> Result<Option<(f64, Vec<f64>)>, SolveError> {
    let result = run(m, backend, time_s, 0.0, None, |m, sol| {
        (m.objective.eval_with(sol), m.x.iter().map(|&v| sol.value(v)).collect::<Vec<f64>>(), sol.status())
    });
    match result {
        Ok((obj, x, SolutionStatus::Optimal)) => Ok(Some((below_tolerance(obj), x))),
        Ok(_) | Err(ResolutionError::Other(_)) => Ok(None),
        Err(e) => Err(SolveError::Backend { backend: backend.name(), message: e.to_string() }),
    }
}

/// Rounds an LP solution: each commodity's workers go to its paths in proportion to the LP's
/// flows (largest remainders; what the LP leaves unserved stays unserved), then repaired.
fn round_lp(s: &Scenario, net: &Network, x: &[f64]) -> heuristic::State {
    let mut st = heuristic::State::empty(net);
    for (k, c) in net.commodities.iter().enumerate() {
        let ps = &net.paths_of[k];
        let want: Vec<f64> = ps.iter().map(|&p| x[p].max(0.0)).collect();
        let total: f64 = want.iter().sum();
        let served = (total.round() as u32).min(c.count);
        if served == 0 {
            continue;
        }
        let parts = crate::apportion::apportion(u64::from(served), &want);
        for (i, &p) in ps.iter().enumerate() {
            st.flow[p] = parts[i] as u32;
        }
        st.unserved[k] = c.count - served;
    }
    heuristic::repair(s, net, &mut st);
    st
}

fn mip(
    s: &Scenario,
    net: &Network,
    opts: &Options,
    warm: Option<&Allocation>,
    time_s: f64,
) -> Result<Option<(Allocation, SolutionStatus)>, SolveError> {
    // The warm-started MIP gets the linking cuts, and on microlp the rounding cuts too. With
    // the rounding cuts HiGHS took twice as long to prove the county tier optimal (26 s against
    // 13 s), while microlp's branch and bound needs them: in 30 s it proved the Zhuanghe
    // example within 0.01 % in 0.14 s with them (254,803 yuan) and left the warm start
    // (256,992) unimproved without them; on the county tier, 60 s reached 126,218 with them and
    // 127,325 without (the envelope cuts as well: 126,914).
    let cuts = match (warm, opts.backend) {
        (None, _) => model::Cuts::NONE,
        (Some(_), Backend::Highs) => model::Cuts::LINKING,
        (Some(_), Backend::Microlp) => MICROLP_BNB_CUTS,
    };
    let m = model::build(s, net, true, cuts);
    // microlp looks at the clock too rarely to stop its root LP in time: no MIP where that LP
    // is not expected to fit in its share of the time (county tier seed 2 under 0.1 s:
    // `exact` took 0.18-0.23 s with it; city tier under 0.5 s, 0.75 s).
    if root_overruns(&m, opts.backend, time_s) {
        return Ok(None);
    }
    let start = warm.map(|w| m.start(w));
    match run(m, opts.backend, time_s, opts.mip_gap, start, |m, sol| (m.read(|v| sol.value(v)), sol.status())) {
        Ok(r) => Ok(Some(r)),
        Err(ResolutionError::Other(_)) => Ok(None),
        Err(e) => Err(SolveError::Backend { backend: opts.backend.name(), message: e.to_string() }),
    }
}

/// Time limits (seconds) below which `exact` is `fast` with the whole time: its warm start
/// would get under half a second, and its MIP no time to improve it. County tier seeds 1-3,
/// `exact` (warm start, neighbourhoods, MIP) against `fast`: under 0.3 s 135,598, 137,461 and
/// 133,202 yuan against 127,325, 131,741 and 130,673; under 1 s seed 2 137,927 against
/// 129,052; under 2 s within 0.7 % either way (seed 2 128,130 against 129,052).
pub const EXACT_MIN_LIMIT_S: f64 = 2.0;

/// The share of a MIP's time its root LP may be expected to take on microlp
/// ([`simplex_overruns`]); a MIP whose root LP would take more is not started: the rest is
/// too little for the nodes. The city tier's root LP takes 11.6 s, and its MIP, with 34 s in
/// all, never improved `fast`'s plan; the county tier's takes 0.05-0.14 s, and its MIP
/// improves `fast`'s plan within 30 s.
const MIP_ROOT_SHARE: f64 = 0.25;

/// Whether a MIP on `m` given `time_s` seconds is not started: its root LP is not expected
/// within [`MIP_ROOT_SHARE`] of them ([`simplex_overruns`]).
fn root_overruns(m: &model::Model, backend: Backend, time_s: f64) -> bool {
    simplex_overruns(m, backend, time_s * MIP_ROOT_SHARE)
}

/// Whether `exact`'s MIP (warm-started, with [`MICROLP_BNB_CUTS`] on microlp), given
/// `time_s` seconds, would not be started ([`root_overruns`]; the model is built only on
/// microlp).
fn mip_overruns(s: &Scenario, net: &Network, backend: Backend, time_s: f64) -> bool {
    backend == Backend::Microlp && root_overruns(&model::build(s, net, true, MICROLP_BNB_CUTS), backend, time_s)
}

/// The share of `exact`'s time that its warm start (`fast`) gets.
const WARM_SHARE: f64 = 0.25;

/// The seconds of the search that `exact` has after its warm start, by the options.
fn after_warm_seconds(opts: &Options) -> f64 {
    opts.time_limit_s * SEARCH_SHARE * (1.0 - WARM_SHARE)
}

/// The cuts of every branch and bound on microlp (`exact`'s MIP and [`fixed_bnb`]): linking and
/// rounding (the comment in [`mip`] says why).
const MICROLP_BNB_CUTS: model::Cuts = model::Cuts { linking: true, rounding: true, envelope: false };

/// Work of the branch and bound of fixed size that ends `fast` on small models: its nodes
/// times the square of the model's variables (the time of a node grows about so: 0.13 ms
/// with 173 variables, 1.2 ms with 787).
pub const BNB_WORK: f64 = 80e6;

/// Most nodes of that branch and bound; models that would get fewer than [`BNB_MIN_NODES`]
/// get none.
pub const BNB_NODES: u64 = 2_000;

/// See [`BNB_NODES`]: below it, about 565 variables, a few hundred nodes rarely find
/// anything (the county tier and the Chaoyang example, 787 and 599 variables, improved nothing
/// in 1,000) and cost 0.2 s.
pub const BNB_MIN_NODES: u64 = 250;

/// What [`fixed_bnb`] found.
struct BnbFound {
    /// Its best allocation (at worst the warm start).
    alloc: Allocation,
    /// The branch and bound's proven bound on the model's optimum (lowered for tolerance).
    bound: Option<f64>,
    /// Whether it proved its allocation optimal within the MIP gap.
    proven: bool,
}

/// A branch and bound in microlp (pure Rust, whatever the backend), warm-started from `warm`,
/// on the MIP with linking and rounding cuts, for at most `BNB_WORK / n^2` nodes (`n` model
/// variables, at most [`BNB_NODES`]): an amount of work fixed by the scenario, not by the
/// clock, so that `fast` stays deterministic. The deadline only guards a slow machine. `None`
/// when the model is too large, nothing was found or microlp failed: the step is optional.
///
/// On the Zhuanghe example it takes `fast` from 256,992 to 254,803 yuan and proves it (bound
/// 254,779; the LP's is 252,154), on the Nujiang example from 484,475 to 481,791 with a bound
/// of 481,738, in about 0.1 s each.
fn fixed_bnb(s: &Scenario, net: &Network, warm: &Allocation, gap: f64, deadline: Instant) -> Option<BnbFound> {
    let nodes_for = |n: usize| ((BNB_WORK / (n as f64).powi(2)) as u64).min(BNB_NODES);
    // The model has at least a variable per path and per commodity: large ones are not built.
    if nodes_for(net.paths.len() + net.commodities.len()) < BNB_MIN_NODES {
        return None;
    }
    let m = model::build(s, net, true, MICROLP_BNB_CUTS);
    let n = m.vars.len();
    let nodes = nodes_for(n);
    if nodes < BNB_MIN_NODES {
        return None;
    }
    let start = m.start(warm);
    let index = m.columns();
    let (vars, objective, constraints, shell) = m.into_parts();
    // Straight to microlp, past good_lp's check of integer bounds against i32: validation caps
    // workers and fleets far below it.
    let mut problem = vars.minimise(objective).using(good_lp::microlp);
    for c in constraints {
        problem.add_constraint(c);
    }
    // microlp numbers its variables in creation order, as good_lp does: handles for them.
    let mut numbering = microlp::Problem::new(microlp::OptimizationDirection::Minimize);
    let handles: Vec<microlp::Variable> = (0..n).map(|_| numbering.add_var(0.0, (0.0, 0.0))).collect();
    let mut o = microlp::SolveOptions::default();
    o.node_limit = Some(nodes);
    o.mip_gap = gap;
    o.time_limit = Some(Duration::from_secs_f64(remaining(deadline)));
    o.warm_start = Some(start.iter().map(|&(v, val)| (handles[index[&v]], val)).collect());
    let out = problem.as_inner().solve_with(o).ok()?;
    // As for `exact`: a stop within the MIP gap proves optimality only at the default gap or
    // tighter.
    let proven = match out.termination_reason() {
        microlp::TerminationReason::ProvenOptimal => true,
        microlp::TerminationReason::MipGap => gap <= PROOF_GAP,
        _ => false,
    };
    let sol = out.into_solution().ok()?;
    let values: Vec<f64> = sol.iter().map(|(_, v)| v).collect();
    if values.len() != n {
        return None;
    }
    let alloc = shell.read(|v| values[index[&v]]);
    let bound = sol.stats().best_bound.map(below_tolerance);
    Some(BnbFound { alloc, bound, proven })
}

/// Hands a model to a backend and reads the result with `read`.
fn run<T>(
    m: model::Model,
    backend: Backend,
    time_s: f64,
    gap: f64,
    start: Option<Vec<(good_lp::Variable, f64)>>,
    read: impl Fn(&model::Model, &SolutionView) -> T,
) -> Result<T, ResolutionError> {
    let (vars, objective, constraints, shell) = m.into_parts();
    let problem = vars.minimise(objective);
    match backend {
        Backend::Microlp => {
            let mut p = problem.using(good_lp::microlp).with_time_limit(time_s);
            if gap > 0.0 {
                p = p.with_mip_gap(gap as f32).map_err(|e| ResolutionError::Str(e.to_string()))?;
            }
            finish(p, start, constraints, |sol| read(&shell, sol))
        }
        #[cfg(feature = "highs")]
        Backend::Highs => {
            // One thread and a fixed seed: HiGHS then gives the same answer on every run.
            let mut p = problem.using(good_lp::highs).set_time_limit(time_s).set_threads(1).set_option("random_seed", 0);
            p.set_verbose(false);
            p = p.set_mip_rel_gap(gap as f32).map_err(|e| ResolutionError::Str(e.to_string()))?;
            finish(p, start, constraints, |sol| read(&shell, sol))
        }
        #[cfg(not(feature = "highs"))]
        Backend::Highs => Err(ResolutionError::Str("highs backend not built".into())),
    }
}

/// Adds the warm start and the constraints to a backend's model, solves it and reads it.
fn finish<P, T>(
    mut p: P,
    start: Option<Vec<(good_lp::Variable, f64)>>,
    constraints: Vec<good_lp::Constraint>,
    read: impl Fn(&SolutionView) -> T,
) -> Result<T, ResolutionError>
where
    P: SolverModel<Error = ResolutionError> + WithInitialSolution,
{
    if let Some(st) = start {
        p = p.with_initial_solution(st);
    }
    for c in constraints {
        p.add_constraint(c);
    }
    let sol = p.solve()?;
    Ok(read(&SolutionView { value: &|v| sol.value(v), status: sol.status() }))
}

/// A backend's solution seen through one concrete type.
pub(crate) struct SolutionView<'a> {
    value: &'a dyn Fn(good_lp::Variable) -> f64,
    status: SolutionStatus,
}

impl good_lp::Solution for SolutionView<'_> {
    fn status(&self) -> SolutionStatus {
        self.status
    }
    fn value(&self, v: good_lp::Variable) -> f64 {
        (self.value)(v)
    }
}


/// A deadline no test reaches: tests that bound work by budgets, not by the clock.
#[cfg(test)]
pub(crate) fn far() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// The backends this build has: microlp, and `HiGHS` with the `highs` feature.
#[cfg(test)]
pub(crate) fn backends() -> Vec<Backend> {
    [Backend::Microlp, Backend::Highs].into_iter().filter(|b| b.available()).collect()
}

/// What a bound of a small scenario must stay at or below: the cost of `fast`'s plan and, with
/// `HiGHS`, the model's MIP optimum (for the property tests of the bounds).
#[cfg(test)]
pub(crate) fn plan_costs(s: &Scenario, net: &Network) -> Vec<f64> {
    let mut costs = vec![crate::plan(s, &Options::default()).unwrap().totals.cost];
    if Backend::Highs.available() {
        let opts = Options { backend: Backend::Highs, mip_gap: 0.0, ..Options::default() };
        if let Some((alloc, SolutionStatus::Optimal)) = mip(s, net, &opts, None, 20.0).unwrap() {
            costs.push(model_cost(s, net, &alloc));
        }
    }
    costs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 60 workers, one destination, one bus type of 53 seats: two buses are needed.
    fn sixty() -> (Scenario, Network) {
        crate::network::from_json(
            r#"{"name": "r", "vehicle_types": [{"id": "bus", "seats": 53, "fixed_cost_yuan": 1000, "cost_per_km_yuan": 4}],
            "origins": [{"id": "a", "lat": 41.0, "lon": 120.0, "fleet": {"bus": 3}, "workers": [{"to": "d", "count": 60}]}],
            "destinations": [{"id": "d", "lat": 40.0, "lon": 121.0, "deadline_min": 1440}]}"#,
        )
    }

    #[test]
    fn rounding_cuts_make_the_lp_pay_for_the_last_bus() {
        let (s, net) = sixty();
        let bus = net.leg_cost(&s, 0, 0);
        let time = 60.0 * net.paths[0].unit_cost;
        let lp = |cuts| lp_relaxation(&s, &net, Backend::Microlp, cuts, 10.0).unwrap().unwrap().0;
        let linking = lp(model::Cuts::LINKING);
        let all = lp(model::Cuts::ALL);
        // Without rounding the LP pays 60/53 of a bus; with it, two whole buses, which is the
        // optimum here.
        assert!((linking - (time + bus * 60.0 / 53.0)).abs() < 1e-3, "{linking}");
        assert!((all - (time + 2.0 * bus)).abs() < 1e-3, "{all}");
        let plan = crate::plan(&s, &Options::default()).unwrap();
        assert!((plan.totals.cost - all).abs() < 1e-3 * all, "{} {all}", plan.totals.cost);
    }

    #[test]
    fn envelope_cuts_price_a_leg_whose_riders_fill_no_whole_bus() {
        // 40 workers, buses of 33 seats (1,000 yuan) and 53 seats (1,400 yuan): the cheapest
        // per seat is the 53-seater, which the LP buys 40/53 of; one whole 53-seater is the
        // least that seats them, and the envelope cut asks for its full price.
        let (s, net) = crate::network::from_json(
            r#"{"name": "e", "vehicle_types": [{"id": "mini", "seats": 33, "fixed_cost_yuan": 1000, "cost_per_km_yuan": 0},
                {"id": "coach", "seats": 53, "fixed_cost_yuan": 1400, "cost_per_km_yuan": 0}],
            "origins": [{"id": "a", "lat": 41.0, "lon": 120.0, "fleet": {"mini": 3, "coach": 3}, "workers": [{"to": "d", "count": 40}]}],
            "destinations": [{"id": "d", "lat": 40.0, "lon": 121.0, "deadline_min": 1440}],
            "objective": {"worker_minute_yuan": 0}}"#,
        );
        let lp = |cuts| lp_relaxation(&s, &net, Backend::Microlp, cuts, 10.0).unwrap().unwrap().0;
        let plain = lp(model::Cuts::NONE);
        let envelope = lp(model::Cuts { linking: false, rounding: false, envelope: true });
        assert!((plain - 1400.0 * 40.0 / 53.0).abs() < 1e-3, "{plain}");
        assert!((envelope - 1400.0).abs() < 1e-3, "{envelope}");
    }

    /// PDHG on the county tier (which the simplex solves exactly): its bound is below the LP
    /// optimum and close to it, and its start (the simplex on its support, rounded) serves
    /// everyone for less than the plan by hand.
    #[test]
    fn pdhg_bounds_the_county_tier_and_gives_a_start() {
        let s = crate::generate::tier(crate::generate::Tier::County, 1);
        let net = crate::network::network_of(&s);
        let far = far();
        let exact = lp_relaxation(&s, &net, Backend::Microlp, model::Cuts::ALL, 60.0).unwrap().unwrap().0;
        let mut pd = pdhg_relaxation(&s, &net, true, PDHG_ITERATIONS, far).unwrap();
        to_vertices(&s, &net, Backend::Microlp, &mut pd, far).unwrap();
        assert!(pd.bound <= exact, "{} above {exact}", pd.bound);
        assert!(pd.bound >= 0.999 * exact, "{} far below {exact}", pd.bound);
        let st = round_lp(&s, &net, &pd.x);
        let cost = st.cost(&s, &net).expect("the rounded start loads");
        let hand = heuristic::by_hand(&s, &net).cost(&s, &net).expect("the plan by hand loads");
        assert!(st.unserved.iter().all(|&u| u == 0), "{:?}", st.unserved);
        assert!(cost < hand, "start {cost}, by hand {hand}");
    }

    /// `exact` starts a MIP on microlp only where its root LP is expected in a quarter of the
    /// MIP's time: on the county tier under the default limit, not under 0.1 s; on the city
    /// tier, whose root LP takes 11.6 s, under 120 s but not under the default limit. The
    /// short limit's plan serves everyone. (`mip` on the city tier: its plain model's root LP,
    /// 0.36 s, was once expected at 36 s, and the strategy found nothing.)
    #[test]
    fn exact_starts_no_mip_it_cannot_finish() {
        let tight = Options { time_limit_s: 0.1, compare_direct: false, strategy: Strategy::Exact, ..Options::default() };
        let county = crate::generate::tier(crate::generate::Tier::County, 1);
        let net = crate::network::network_of(&county);
        assert!(!mip_overruns(&county, &net, Backend::Microlp, after_warm_seconds(&Options::default())));
        assert!(mip_overruns(&county, &net, Backend::Microlp, after_warm_seconds(&tight)));
        assert!(!mip_overruns(&county, &net, Backend::Highs, after_warm_seconds(&tight)), "HiGHS keeps its own clock");
        let city = crate::generate::tier(crate::generate::Tier::City, 1);
        let city_net = crate::network::network_of(&city);
        assert!(mip_overruns(&city, &city_net, Backend::Microlp, after_warm_seconds(&Options::default())));
        assert!(!mip_overruns(&city, &city_net, Backend::Microlp, after_warm_seconds(&Options { time_limit_s: 120.0, ..Options::default() })));
        let plain = model::build(&city, &city_net, true, model::Cuts::NONE);
        assert!(!simplex_overruns(&plain, Backend::Microlp, 5.0), "{}", simplex_seconds(&plain));
        let plan = crate::plan(&county, &tight).unwrap();
        assert_eq!(plan.totals.workers_unserved, 0);
        assert!(plan.lower_bound <= plan.totals.cost + 1e-6, "{} above {}", plan.lower_bound, plan.totals.cost);
    }

    /// Under a limit too short for microlp's simplex on the county tier (seed 2: 1,165 rows,
    /// 1,128 columns), `fast` takes the LP from PDHG instead, and at the default limit from
    /// the simplex; a plan under 0.1 s still serves everyone (`plan` checks it) and states a
    /// bound at or below its cost.
    #[test]
    fn a_tight_limit_takes_the_lp_from_pdhg() {
        let s = crate::generate::tier(crate::generate::Tier::County, 2);
        let net = crate::network::network_of(&s);
        let m = model::build(&s, &net, false, model::Cuts::ALL);
        let tight = Options { time_limit_s: 0.1, compare_direct: false, ..Options::default() };
        assert!(simplex_seconds(&m) > lp_seconds(&tight), "{}", simplex_seconds(&m));
        assert!(simplex_seconds(&m) < lp_seconds(&Options::default()));
        let plan = crate::plan(&s, &tight).unwrap();
        assert_eq!(plan.totals.workers_unserved, 0);
        assert!(plan.lower_bound <= plan.totals.cost + 1e-6, "{} above {}", plan.lower_bound, plan.totals.cost);
    }

    /// Small scenarios whose model network has one class per hub often have a finer network
    /// of the bound (so the property test below is not empty), and there the finer bound is at
    /// or below the cost of the plan of the search on the model's network: a plan whose hub
    /// buses each serve one coarse class, which the finer network prices by finer classes.
    #[test]
    fn small_scenarios_have_a_finer_bound_below_their_plans() {
        let far = far();
        let mut found = 0;
        for seed in 0..20u64 {
            let s = crate::generate::small(crate::generate::Small { origins: 3, hubs: 2, destinations: 3, types: 2, train: false }, seed);
            let travel = crate::travel::TravelTable::new(&s).unwrap();
            let net = Network::with_most(&s, &travel, 1);
            let r = pdhg_relaxation(&s, &net, false, PDHG_ITERATIONS, far).expect("a relaxation");
            let Some(fine) = net.with_most_classes(&s, BOUND_CLASSES, BOUND_PATHS) else { continue };
            let (bound, complete) = finer_bound(&s, &net, &fine, &r.rows, &r.duals, far).expect("a finite bound");
            assert!(complete);
            let cost = finer::tests::checked_cost(&s, &travel, &net, &fast_search(&s, &net, heuristic::PathFilter::All, far));
            assert!(bound <= cost + 1e-6 * cost, "seed {seed}: finer bound {bound} above the plan's {cost}");
            found += 1;
        }
        assert!(found >= 5, "{found} of 20");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

        /// The finer bound bounds plans: on random small scenarios whose model network has one
        /// to three classes per hub, from the model's PDHG duals, it is at or below the cost of
        /// the plan of the search on that network, of `fast`'s and, with HiGHS, of `exact`'s
        /// and of the finer network's MIP optimum.
        #[test]
        fn finer_bound_stays_below_plans(seed in 0u64..1_000_000, hubs in 1usize..3, train: bool, most in 1usize..4) {
            let backend = if Backend::Highs.available() { Backend::Highs } else { Backend::Microlp };
            let s = crate::generate::small(crate::generate::Small { origins: 3, hubs, destinations: 3, types: 2, train }, seed);
            let travel = crate::travel::TravelTable::new(&s).unwrap();
            let net = Network::with_most(&s, &travel, most);
            let far = far();
            let Some(r) = pdhg_relaxation(&s, &net, false, PDHG_ITERATIONS, far) else {
                return Ok(());
            };
            let Some(fine) = net.with_most_classes(&s, BOUND_CLASSES, BOUND_PATHS) else {
                return Ok(());
            };
            let (bound, complete) = finer_bound(&s, &net, &fine, &r.rows, &r.duals, far).expect("a finite bound");
            proptest::prop_assert!(complete);
            let tol = |c: f64| 1e-6 * c.abs().max(1.0);
            // The plan of the search on this network (hub buses of coarse classes), and `fast`'s.
            let mut costs = vec![
                finer::tests::checked_cost(&s, &travel, &net, &fast_search(&s, &net, heuristic::PathFilter::All, far)),
                crate::plan(&s, &Options::default()).unwrap().totals.cost,
            ];
            if backend == Backend::Highs {
                let opts = Options { strategy: Strategy::Exact, backend, mip_gap: 0.0, time_limit_s: 20.0, ..Options::default() };
                costs.push(crate::plan(&s, &opts).unwrap().totals.cost);
                if let Some((alloc, SolutionStatus::Optimal)) = mip(&s, &fine, &Options { backend, mip_gap: 0.0, ..Options::default() }, None, 20.0).unwrap() {
                    costs.push(model_cost(&s, &fine, &alloc));
                }
            }
            for c in costs {
                proptest::prop_assert!(bound <= c + tol(c), "finer bound {} above {}", bound, c);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

        /// The conservation rows left out are implied by the kept ones: on random small
        /// scenarios with hubs and one to six classes per hub, the LP with a row at every
        /// threshold and the LP with the kept rows have the same optimum.
        #[test]
        fn kept_conservation_rows_give_the_same_lp(
            seed in 0u64..1_000_000, hubs in 1usize..3, train: bool, most in 1usize..7, integer: bool,
        ) {
            let s = crate::generate::small(crate::generate::Small { origins: 3, hubs, destinations: 3, types: 2, train }, seed);
            let net = Network::with_most(&s, &crate::travel::TravelTable::new(&s).unwrap(), most);
            let optimum = |every: bool| {
                let m = model::build_with(&s, &net, integer, model::Cuts::LINKING, every);
                let rows = m.size().1;
                let r = run(m, Backend::Microlp, 20.0, 0.0, None, |m, sol| (m.objective.eval_with(sol), sol.status()));
                (r.ok().filter(|r| matches!(r.1, SolutionStatus::Optimal)).map(|r| r.0), rows)
            };
            let ((all, all_rows), (kept, kept_rows)) = (optimum(true), optimum(false));
            proptest::prop_assert!(kept_rows <= all_rows);
            if let (Some(all), Some(kept)) = (all, kept) {
                proptest::prop_assert!((all - kept).abs() <= 1e-6 * all.abs().max(1.0), "every row {} kept rows {}", all, kept);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

        /// Every cut is valid: the LP relaxation with all of them stays at or below the optimum
        /// of the plain MIP (solved to a zero gap), and no cut lowers the LP.
        #[test]
        fn every_cut_keeps_the_lp_below_the_optimum(
            origins in 1usize..3, hubs in 0usize..2, destinations in 1usize..3, types in 1usize..4, seed in 0u64..1_000_000,
        ) {
            let backend = if Backend::Highs.available() { Backend::Highs } else { Backend::Microlp };
            let size = crate::generate::Small { origins, hubs, destinations, types, train: false };
            let s = crate::generate::small(size, seed);
            let net = crate::network::network_of(&s);
            let opts = Options { backend, mip_gap: 0.0, ..Options::default() };
            let Some((alloc, status)) = mip(&s, &net, &opts, None, 20.0).unwrap() else {
                return Ok(());
            };
            if !matches!(status, SolutionStatus::Optimal) {
                return Ok(());
            }
            let optimum = model_cost(&s, &net, &alloc);
            let lp = |cuts| lp_relaxation(&s, &net, backend, cuts, 10.0).unwrap().expect("the LP solves").0;
            let (none, all) = (lp(model::Cuts::NONE), lp(model::Cuts::ALL));
            let tol = 1e-6 * optimum.abs().max(1.0);
            proptest::prop_assert!(all <= optimum + tol, "LP with every cut {all} above the optimum {optimum}");
            proptest::prop_assert!(none <= all + tol, "cuts lowered the LP: {none} -> {all}");
            // PDHG's Lagrangian bound is below the LP's optimum after any number of iterations.
            for iterations in [64, 5_000] {
                let far = far();
                let pd = pdhg_relaxation(&s, &net, false, iterations, far).expect("a bound").bound;
                proptest::prop_assert!(pd <= all + tol, "PDHG's bound {pd} above the LP {all} after {iterations}");
            }
        }
    }
}
