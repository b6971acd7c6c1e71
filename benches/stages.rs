//! Criterion benches of the planning pipeline, one group per stage.
//!
//! Every group runs on six inputs (the benchmark id is the input's name):
//! - `chaoyang`: `examples/chaoyang-dalian.json` (buses only, motorway service-area hubs);
//! - `zhuanghe-train`: `examples/zhuanghe-train.json` (with a special train);
//! - `nujiang-zhuhai`: `examples/nujiang-zhuhai.json` (with a special train);
//! - `generated`: `generate::small(Small { origins: 4, hubs: 2, destinations: 4, types: 3,
//!   train: true }, 1)`;
//! - `county-tier`, `city-tier`: `generate::tier(Tier::County | Tier::City, 1)`, the county
//!   (Chaoyang shape, 630 workers) and city (Cixi shape, 15,000 workers) benchmark tiers. The
//!   province tier is left to `busplan bench` (one run takes tens of seconds).
//!
//! Groups (each times one stage alone; its inputs are prepared once, outside the timing):
//! - `validate`: [`busplan::validate`] on a parsed scenario;
//! - `travel`: [`busplan::travel::TravelTable::new`] (distances between every pair of sites);
//! - `network`: [`busplan::network::Network::new`] (commodities, bus legs, path enumeration);
//! - `model_build`: [`busplan::solve::model::build`] of the integer model (`integer = true`),
//!   building the `good_lp` variables, objective and constraints only, no solver; the drop of
//!   the model is included;
//! - `solve_fast`: [`busplan::solve::solve`] with [`Options::default`] (strategy `fast`: the
//!   heuristic plus the LP-relaxation lower bound, which runs inside this stage; `compare_direct`
//!   plays no part here), on the global rayon pool;
//! - `extract`: [`busplan::extract::extract`] of the allocation found by `solve_fast`;
//! - `check`: [`busplan::check`] of the full plan from [`busplan::plan`];
//! - `plan_end_to_end`: [`busplan::plan`] with [`Options::default`] (validation, travel,
//!   network, the fast solve, extraction, and the direct-only comparison solve, on a fresh
//!   rayon pool with all cores).
//!
//! Before any timing, each input is planned twice, by [`busplan::plan`] and by the stages
//! above assembled into a plan, and both plans must pass [`busplan::check`]; the bench panics
//! otherwise.
//!
//! Every group takes ten samples with short warm-up and measurement times, and plots are off
//! by default (drawing them with the plotters backend costs about five seconds per benchmark,
//! more than the measurement); the city tier's solve takes seconds, so the whole bench runs in
//! a few minutes on two cores. Run it with:
//!
//! ```text
//! cargo bench --bench stages                                  # all groups
//! cargo bench --bench stages -- --quick                       # faster, rougher
//! cargo bench --bench stages -- solve_fast                    # one group
//! cargo bench --bench stages -- network/chaoyang              # one group and input
//! cargo bench --bench stages -- --plotting-backend plotters   # with HTML reports and plots
//! cargo bench --bench stages --no-run                         # compile only
//! ```
//!
//! Estimates and reports land in `target/criterion/` (or under `$CARGO_TARGET_DIR`).

use busplan::extract;
use busplan::generate::{self, Small};
use busplan::network::Network;
use busplan::solve::{self, model, Allocation};
use busplan::travel::TravelTable;
use busplan::{Options, Plan, Scenario};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode};
use std::hint::black_box;
use std::time::Duration;

/// One input with everything the stages need, computed once.
struct Input {
    name: &'static str,
    scenario: Scenario,
    travel: TravelTable,
    net: Network,
    alloc: Allocation,
    plan: Plan,
}

fn read_example(file: &str) -> Scenario {
    let path = format!("{}/examples/{file}", env!("CARGO_MANIFEST_DIR"));
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    busplan::parse_scenario(&json).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
}

/// Runs the pipeline once, stage by stage and end to end, and checks both plans.
fn prepare(name: &'static str, scenario: Scenario) -> Input {
    busplan::validate(&scenario).unwrap_or_else(|e| panic!("{name}: invalid scenario: {e}"));
    let travel = TravelTable::new(&scenario).unwrap_or_else(|e| panic!("{name}: travel table: {e}"));
    let net = Network::new(&scenario, &travel);
    let opts = Options::default();
    let solved = solve::solve(&scenario, &net, &opts).unwrap_or_else(|e| panic!("{name}: solve: {e}"));
    let parts = extract::extract(&scenario, &travel, &net, &solved.alloc)
        .unwrap_or_else(|e| panic!("{name}: extract: {e}"));

    // The stages assembled into a plan (without the direct-only comparison) must pass too.
    let staged = busplan::assemble(&scenario, &opts, parts, solved.lower_bound, solved.outcome, None);
    let report = busplan::check(&scenario, &staged);
    assert!(report.is_ok(), "{name}: the plan assembled from the stages fails the checker:\n{report}");

    let plan = busplan::plan(&scenario, &opts).unwrap_or_else(|e| panic!("{name}: plan: {e}"));
    let report = busplan::check(&scenario, &plan);
    assert!(report.is_ok(), "{name}: busplan::plan gives a plan that fails the checker:\n{report}");

    Input { name, scenario, travel, net, alloc: solved.alloc, plan }
}

fn inputs() -> Vec<Input> {
    let generated = generate::small(Small { origins: 4, hubs: 2, destinations: 4, types: 3, train: true }, 1);
    vec![
        prepare("chaoyang", read_example("chaoyang-dalian.json")),
        prepare("zhuanghe-train", read_example("zhuanghe-train.json")),
        prepare("nujiang-zhuhai", read_example("nujiang-zhuhai.json")),
        prepare("generated", generated),
        prepare("county-tier", generate::tier(generate::Tier::County, 1)),
        prepare("city-tier", generate::tier(generate::Tier::City, 1)),
    ]
}

/// A group with ten samples and short times, so the whole bench stays within a few minutes.
fn group<'a>(c: &'a mut Criterion, name: &str, slow: bool) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10);
    if slow {
        // Stages that take milliseconds or more: the same iteration count in every sample, so
        // ten samples do not need 55 iterations as linear sampling would.
        g.sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
    } else {
        g.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    }
    g
}

fn stages(c: &mut Criterion) {
    let inputs = inputs();
    let opts = Options::default();

    let mut g = group(c, "validate", false);
    for i in &inputs {
        g.bench_with_input(BenchmarkId::from_parameter(i.name), i, |b, i| {
            b.iter(|| black_box(busplan::validate(black_box(&i.scenario))).is_ok());
        });
    }
    g.finish();

    let mut g = group(c, "travel", false);
    for i in &inputs {
        g.bench_with_input(BenchmarkId::from_parameter(i.name), i, |b, i| {
            b.iter(|| black_box(TravelTable::new(black_box(&i.scenario))));
        });
    }
    g.finish();

    let mut g = group(c, "network", false);
    for i in &inputs {
        g.bench_with_input(BenchmarkId::from_parameter(i.name), i, |b, i| {
            b.iter(|| black_box(Network::new(black_box(&i.scenario), black_box(&i.travel))));
        });
    }
    g.finish();

    let mut g = group(c, "model_build", false);
    for i in &inputs {
        g.bench_with_input(BenchmarkId::from_parameter(i.name), i, |b, i| {
            b.iter(|| black_box(model::build(black_box(&i.scenario), black_box(&i.net), true, model::Cuts::ALL)));
        });
    }
    g.finish();

    let mut g = group(c, "solve_fast", true);
    for i in &inputs {
        g.bench_with_input(BenchmarkId::from_parameter(i.name), i, |b, i| {
            b.iter(|| black_box(solve::solve(black_box(&i.scenario), black_box(&i.net), black_box(&opts))));
        });
    }
    g.finish();

    let mut g = group(c, "extract", false);
    for i in &inputs {
        g.bench_with_input(BenchmarkId::from_parameter(i.name), i, |b, i| {
            b.iter(|| {
                black_box(extract::extract(
                    black_box(&i.scenario),
                    black_box(&i.travel),
                    black_box(&i.net),
                    black_box(&i.alloc),
                ))
            });
        });
    }
    g.finish();

    let mut g = group(c, "check", false);
    for i in &inputs {
        g.bench_with_input(BenchmarkId::from_parameter(i.name), i, |b, i| {
            b.iter(|| black_box(busplan::check(black_box(&i.scenario), black_box(&i.plan))));
        });
    }
    g.finish();

    let mut g = group(c, "plan_end_to_end", true);
    for i in &inputs {
        g.bench_with_input(BenchmarkId::from_parameter(i.name), i, |b, i| {
            b.iter(|| black_box(busplan::plan(black_box(&i.scenario), black_box(&opts))));
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // Command-line flags still apply (`--plotting-backend plotters` turns plots back on).
    config = Criterion::default().without_plots();
    targets = stages
}
criterion_main!(benches);
