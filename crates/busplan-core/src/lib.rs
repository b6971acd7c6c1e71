//! busplan: plans chartered buses, special trains and charter flights that take workers from
//! home to the factory gate, with regrouping at transfer hubs.
//!
//! The pipeline is scenario -> validation -> travel -> network -> model/solve -> plan ->
//! check; [`plan()`] runs it, [`check()`] re-verifies any plan without the model.
//!
//! ```
//! use busplan_core::{plan, check, Options, Scenario};
//! let json = r#"{
//!   "name": "two villages",
//!   "vehicle_types": [{"id": "coach", "seats": 40, "fixed_cost_yuan": 1000, "cost_per_km_yuan": 4}],
//!   "origins": [
//!     {"id": "a", "lat": 41.80, "lon": 120.77, "workers": [{"to": "plant", "count": 30}], "fleet": {"coach": 2}},
//!     {"id": "b", "lat": 41.57, "lon": 120.45, "workers": [{"to": "plant", "count": 25}], "fleet": {"coach": 2}}
//!   ],
//!   "destinations": [{"id": "plant", "lat": 39.05, "lon": 121.78, "deadline_min": 720}]
//! }"#;
//! let scenario: Scenario = busplan_core::parse_scenario(json).unwrap();
//! let p = plan(&scenario, &Options::default()).unwrap();
//! assert_eq!(p.totals.workers_delivered, 55);
//! assert!(p.totals.cost >= p.lower_bound);
//! assert!(check(&scenario, &p).is_ok());
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod apportion;
pub mod check;
pub mod extract;
pub mod generate;
pub mod mix;
pub mod network;
pub mod plan;
pub mod replan;
pub mod scenario;
pub mod solve;
pub mod travel;
pub mod validate;

pub use check::{check, CheckReport, Violation};
pub use plan::{Plan, Status};
pub use scenario::Scenario;
pub use solve::{Backend, Options, Strategy};
pub use validate::{parse_scenario, validate, InvalidScenario, Issue};

use network::Network;
use solve::Outcome;
use travel::TravelTable;

/// Everything that can stop [`plan()`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario is invalid (every issue is listed).
    #[error(transparent)]
    Invalid(#[from] InvalidScenario),
    /// Distances could not be computed.
    #[error(transparent)]
    Travel(#[from] travel::TravelError),
    /// The solver failed or the options are wrong.
    #[error(transparent)]
    Solve(#[from] solve::SolveError),
    /// A solution could not be turned into buses.
    #[error(transparent)]
    Extract(#[from] extract::ExtractError),
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    Threads(String),
}

/// Plans a scenario: validates it, builds the network, solves with the options' strategy and
/// backend, and extracts the plan. The plan is deterministic for a scenario, options and seed
/// whatever the number of threads (unless the time limit stops a search).
pub fn plan(scenario: &Scenario, options: &Options) -> Result<Plan, Error> {
    plan_with(scenario, options, options.strategy.allocator())
}

/// Plans a scenario with any [`solve::Allocator`] (a strategy of your own, say): the same
/// validation, lower bound, extraction and baselines as [`plan()`]. The plan names the
/// allocator as its strategy.
pub fn plan_with(scenario: &Scenario, options: &Options, allocator: &dyn solve::Allocator) -> Result<Plan, Error> {
    plan_observed(scenario, options, allocator, &|_| {})
}

/// A stage of a planning run, as reported to the observer of [`plan_observed`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    /// The stage that starts: `travel`, `network`, `search`, `extract`, `baselines`, `done`.
    pub stage: String,
    /// Seconds since the run started.
    pub elapsed_s: f64,
    /// The run's time limit, seconds.
    pub time_limit_s: f64,
    /// What is known so far, in words (sizes, the cost found and its bound).
    pub detail: String,
}

/// [`plan_with`], telling `observer` as each stage starts (for progress bars). The observer
/// sees nothing that changes the plan.
pub fn plan_observed(
    scenario: &Scenario,
    options: &Options,
    allocator: &dyn solve::Allocator,
    observer: &(dyn Fn(&Progress) + Sync),
) -> Result<Plan, Error> {
    validate(scenario)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    pool.install(|| plan_validated(scenario, options, allocator, observer))
}

fn plan_validated(
    s: &Scenario,
    opts: &Options,
    allocator: &dyn solve::Allocator,
    observer: &(dyn Fn(&Progress) + Sync),
) -> Result<Plan, Error> {
    let started = std::time::Instant::now();
    let tell = |stage: &str, detail: String| {
        observer(&Progress {
            stage: stage.to_string(),
            elapsed_s: started.elapsed().as_secs_f64(),
            time_limit_s: opts.time_limit_s,
            detail,
        });
    };
    tell("travel", format!("{} sites", s.origins.len() + s.hubs.len() + s.destinations.len()));
    let travel = TravelTable::new(s)?;
    tell("network", String::new());
    let net = Network::new(s, &travel);
    tell(
        "search",
        format!("{} commodities, {} legs, {} paths, strategy {}", net.commodities.len(), net.legs.len(), net.paths.len(), allocator.name()),
    );
    let (parts, solved) = solve_and_extract(s, &travel, &net, opts, allocator, started)?;
    tell("baselines", format!("lower bound {:.0}", solved.lower_bound));
    let mut chosen = parts;
    let mut outcome = solved.outcome;
    let cost = |p: &extract::Extracted| plan::totals(s, &p.vehicles, &p.services, &p.unserved, None).cost;
    let mut take = |candidate: extract::Extracted, chosen: &mut extract::Extracted| {
        if cost(&candidate) < cost(chosen) - 1e-6 {
            *chosen = candidate;
            if outcome == Outcome::Optimal {
                outcome = Outcome::Feasible;
            }
        }
    };
    let name = allocator.name();
    // The strategy's other candidates (`fast`'s plan by hand, `exact`'s warm start): the plan
    // keeps whichever costs least with the waits at hubs timed.
    // A candidate that cannot be turned into buses is passed over, and the progress says so:
    // the chosen plan stands.
    for (i, alloc) in solved.also.iter().enumerate() {
        match extract::extract(s, &travel, &net, alloc) {
            Ok(candidate) => take(candidate, &mut chosen),
            Err(e) => tell("baselines", format!("candidate {} of {name} passed over: {e}", i + 1)),
        }
    }
    // The direct-only plan is the baseline of the saving, and a candidate too.
    let direct_only_cost = if opts.compare_direct && name != "direct" {
        // Only its buses are needed: the main run's lower bound holds for it too.
        let (alloc, _, cut) = solve::fast_search_from(s, &net, solve::heuristic::PathFilter::DirectOnly, deadline(opts, started), Vec::new(), Vec::new());
        let direct = extract::extract(s, &travel, &net, &alloc)?;
        let direct_cost = cost(&direct);
        take(direct, &mut chosen);
        // Its polish cut by the clock: the saving (and maybe the plan) depends on the machine.
        if cut {
            outcome = Outcome::TimeLimit;
        }
        Some(direct_cost)
    } else {
        None
    };
    let mut p = assemble(s, opts, chosen, solved.lower_bound, outcome, direct_only_cost);
    name.clone_into(&mut p.strategy);
    tell("done", format!("cost {:.0}, lower bound {:.0}, gap {:.2} %", p.totals.cost, p.lower_bound, p.gap * 100.0));
    Ok(p)
}

/// Puts a plan together from the extracted buses, the lower bound and how the search ended:
/// totals, gap and status. `plan` ends with it; benches use it to plan stage by stage.
pub fn assemble(
    s: &Scenario,
    opts: &Options,
    parts: extract::Extracted,
    lower_bound: f64,
    outcome: Outcome,
    direct_only_cost: Option<f64>,
) -> Plan {
    let totals = plan::totals(s, &parts.vehicles, &parts.services, &parts.unserved, direct_only_cost);
    let mut lower_bound = round2(lower_bound.max(0.0));
    // A bound equal to the cost up to rounding is the cost (sums in another order differ in
    // the last bits); a real excess is a bug, left for the checker and the tests to see.
    if lower_bound > totals.cost && lower_bound - totals.cost <= 1e-6 * totals.cost.abs().max(1.0) {
        lower_bound = totals.cost;
    }
    let gap = if totals.cost > 0.0 { ((totals.cost - lower_bound) / totals.cost).clamp(0.0, 1.0) } else { 0.0 };
    // Optimal only if the plan itself is within the solver's gap of the bound: waiting at hubs
    // that the model does not price can leave an optimal allocation's plan above it.
    let status = match outcome {
        Outcome::Optimal if gap <= opts.mip_gap + 1e-5 => Status::Optimal,
        Outcome::Optimal | Outcome::Feasible => Status::Feasible,
        Outcome::TimeLimit => Status::TimeLimit,
    };
    Plan {
        scenario: s.name.clone(),
        status,
        strategy: opts.strategy.name().to_string(),
        backend: opts.backend.name().to_string(),
        seed: opts.seed,
        lower_bound,
        gap,
        totals,
        vehicles: parts.vehicles,
        services: parts.services,
        unserved: parts.unserved,
    }
}

fn solve_and_extract(
    s: &Scenario,
    travel: &TravelTable,
    net: &Network,
    opts: &Options,
    allocator: &dyn solve::Allocator,
    started: std::time::Instant,
) -> Result<(extract::Extracted, solve::Solved), Error> {
    let solved = solve::solve_with(s, net, opts, allocator)?;
    match extract::extract(s, travel, net, &solved.alloc) {
        Ok(p) => Ok((p, solved)),
        Err(e) if matches!(allocator.name(), "exact" | "fast") => {
            // A solver's tolerances may leave a solution that cannot be loaded (`exact`'s MIP,
            // or the exact steps that end `fast` on small models): fall back to the strategy's
            // other candidates (the answer before its last step first), then to the
            // heuristic, keeping the run's lower bound (it holds for any plan).
            if let Some((i, parts)) = solved.also.iter().enumerate().find_map(|(i, a)| extract::extract(s, travel, net, a).ok().map(|p| (i, p))) {
                let mut also = solved.also;
                let alloc = also.remove(i);
                return Ok((parts, solve::Solved { alloc, outcome: Outcome::Feasible, also, lower_bound: solved.lower_bound }));
            }
            let (alloc, _, cut) = solve::fast_search_from(s, net, solve::heuristic::PathFilter::All, deadline(opts, started), Vec::new(), Vec::new());
            let parts = extract::extract(s, travel, net, &alloc).map_err(|_| e)?;
            let outcome = if cut { Outcome::TimeLimit } else { Outcome::Feasible };
            Ok((parts, solve::Solved { alloc, outcome, ..solved }))
        }
        Err(_) if allocator.name() == "mip" => {
            // The plain MIP has no heuristic to fall back on: as it stands, nobody is served.
            let alloc = solve::heuristic::State::empty(net).allocation(s, net);
            let parts = extract::extract(s, travel, net, &alloc)?;
            Ok((parts, solve::Solved { alloc, outcome: Outcome::Feasible, ..solved }))
        }
        Err(e) => Err(e.into()),
    }
}

/// When the run's time limit ends (a little later at least, so that a last step can finish).
fn deadline(opts: &Options, started: std::time::Instant) -> std::time::Instant {
    let left = (opts.time_limit_s - started.elapsed().as_secs_f64()).max(0.05);
    std::time::Instant::now() + std::time::Duration::from_secs_f64(left)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).floor() / 100.0
}
