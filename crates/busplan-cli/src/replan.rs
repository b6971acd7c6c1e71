//! `busplan replan`: re-plan a published plan after roads closed or employers sent new
//! requests, keeping every bus that has left and every bus that still works.
//!
//! Exit codes: 0 done; 1 done with unserved workers; 2 error.

use anyhow::{Context, Result};
use busplan_core::plan::Plan;
use busplan_core::replan::{replan, Changes, Disruption, Replanned, Requests};
use busplan_core::Options;
use clap::Args as ClapArgs;
use std::path::PathBuf;

/// Arguments of `busplan replan`.
#[derive(ClapArgs)]
pub struct Args {
    /// Scenario file the plan was made for (JSON).
    scenario: PathBuf,
    /// The published plan (JSON).
    plan: PathBuf,
    /// The time now, minutes (`90`) or hours:minutes (`1:30`) from the plan start: buses that
    /// left earlier are kept, nobody else leaves earlier.
    #[arg(long, default_value = "0", value_parser = parse_now)]
    now: u32,
    /// A road closed since the plan was made: a road name (`X203`) or two road nodes `a~b`.
    /// Repeat it, or separate closures with commas.
    #[arg(long, value_delimiter = ',')]
    closed: Vec<String>,
    /// New requests (JSON): `{"destinations": [...], "workers": [{"from", "to", "count"}]}`.
    #[arg(long)]
    add_requests: Option<PathBuf>,
    /// Where to write the new plan (JSON).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Where to write the updated scenario (JSON): closures applied, requests added.
    #[arg(long)]
    scenario_out: Option<PathBuf>,
    /// Print the changes as JSON instead of the report.
    #[arg(long)]
    json: bool,
    /// Strategy for the workers planned again.
    #[arg(long, value_enum, default_value_t = crate::StrategyArg::Fast)]
    strategy: crate::StrategyArg,
    /// Time limit for planning them, seconds.
    #[arg(long, default_value_t = 30.0)]
    time_limit: f64,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (0 = all cores); the plan does not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// Minutes from the plan start: `90` or `1:30` (hours may pass 24).
fn parse_now(text: &str) -> Result<u32, String> {
    let t = text.trim();
    let bad = || format!("\"{text}\" is not a time: give minutes (90) or hours:minutes (1:30) from the plan start");
    match t.split_once(':') {
        None => t.parse().map_err(|_| bad()),
        Some((h, m_text)) => {
            let h: u32 = h.parse().map_err(|_| bad())?;
            let m: u32 = m_text.parse().map_err(|_| bad())?;
            // Minutes are written with two digits (1:05), below 60.
            if m_text.len() != 2 || m >= 60 {
                return Err(bad());
            }
            h.checked_mul(60).and_then(|x| x.checked_add(m)).ok_or_else(bad)
        }
    }
}

/// Runs `busplan replan`.
pub fn run(a: &Args) -> Result<u8> {
    let old = crate::read_scenario(&a.scenario)?;
    let text = std::fs::read_to_string(&a.plan).with_context(|| format!("cannot read plan {}", a.plan.display()))?;
    let plan: Plan = serde_json::from_str(&text).with_context(|| format!("plan {} is not a busplan plan", a.plan.display()))?;
    let new_requests = match &a.add_requests {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read requests {}", p.display()))?;
            serde_json::from_str::<Requests>(&text).with_context(|| format!("requests {} are not valid", p.display()))?
        }
        None => Requests::default(),
    };
    let closed: Vec<String> = a.closed.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
    let d = Disruption { now_min: a.now, closed_roads: closed, new_requests };
    let options = Options {
        strategy: a.strategy.into(),
        time_limit_s: a.time_limit,
        seed: a.seed,
        threads: a.threads,
        ..Options::default()
    };
    let bar = crate::output::spinner(crate::output::wants_progress(a.json), "re-planning");
    let replanned = replan(&old, &plan, &d, &options);
    bar.finish_and_clear();
    let r = replanned.context("re-planning failed")?;
    if let Some(out) = &a.output {
        let json = serde_json::to_string_pretty(&r.plan)?;
        std::fs::write(out, json + "\n").with_context(|| format!("cannot write plan {}", out.display()))?;
    }
    if let Some(out) = &a.scenario_out {
        let json = serde_json::to_string_pretty(&r.scenario)?;
        std::fs::write(out, json + "\n").with_context(|| format!("cannot write scenario {}", out.display()))?;
    }
    if a.json {
        say!("{}", serde_json::to_string_pretty(&r.changes)?);
    } else {
        print_report(&r, &plan);
        if let Some(out) = &a.output {
            say!("new plan written to {}", out.display());
        }
        if let Some(out) = &a.scenario_out {
            say!("updated scenario written to {}", out.display());
        }
    }
    Ok(u8::from(!r.plan.unserved.is_empty()))
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".to_string()
    } else {
        ids.join(", ")
    }
}

fn print_report(r: &Replanned, old: &Plan) {
    let c: &Changes = &r.changes;
    let hm = crate::output::hm;
    say!("{}: re-planned at {} ({} min from the plan start)", r.scenario.name, hm(c.now_min), c.now_min);
    for x in &c.closed_roads {
        say!("closed: {} ({} ~ {})", x.spec, x.from, x.to);
    }
    say!(
        "buses: {} before, {} after: {} kept as they were, {} kept with new times, {} cancelled, {} new",
        old.vehicles.len(),
        r.plan.vehicles.len(),
        c.kept.len(),
        c.shifted.len(),
        c.cancelled.len(),
        c.new.len()
    );
    say!("  had left (kept whatever happens): {}", list(&c.departed));
    for s in &c.shifted {
        say!(
            "  shifted {}{}: arrives {} instead of {} ({} min later at most), {:.1} km instead of {:.1}",
            s.bus,
            if s.departed { " (had left)" } else { "" },
            hm(s.arrive_after_min),
            hm(s.arrive_before_min),
            s.delay_min,
            s.km_after,
            s.km_before
        );
    }
    say!("  cancelled: {}", list(&c.cancelled));
    for v in r.plan.vehicles.iter().filter(|v| c.new.contains(&v.id)) {
        let legs: Vec<String> = v
            .legs
            .iter()
            .map(|l| {
                let n: u32 = l.passengers.iter().map(|x| x.count).sum();
                format!("{} {} -> {} {} ({n})", hm(l.depart_min), l.from, l.to, hm(l.arrive_min))
            })
            .collect();
        say!("  new {} {}: {}", v.id, v.vehicle_type, legs.join(" | "));
    }
    say!(
        "workers: {} changed bus, {} newly requested; unserved {} before, {} after",
        c.workers_replanned, c.workers_requested, c.unserved_before, c.unserved_after
    );
    if !c.groups.is_empty() {
        say!("  {:<34} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9}", "group", "workers", "kept", "replanned", "requested", "unserved", "(before)");
        for g in &c.groups {
            let name = format!("{} -> {}{}", g.origin, g.destination, if g.accessible { " (acc.)" } else { "" });
            say!(
                "  {:<34} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9}",
                name, g.workers, g.kept, g.replanned, g.requested, g.unserved_after, g.unserved_before
            );
        }
    }
    say!(
        "cost: {} yuan before, {} after; {} of {} workers delivered",
        crate::output::yuan(c.cost_before),
        crate::output::yuan(c.cost_after),
        r.plan.totals.workers_delivered,
        r.plan.totals.workers
    );
    for w in &c.warnings {
        say!("WARNING {w}");
    }
}

#[cfg(test)]
mod tests {
    use super::parse_now;

    #[test]
    fn now_in_minutes_or_hours_and_minutes() {
        assert_eq!(parse_now("90"), Ok(90));
        assert_eq!(parse_now("1:30"), Ok(90));
        assert_eq!(parse_now("26:05"), Ok(1565));
        assert!(parse_now("1:60").is_err());
        assert!(parse_now("1:5").is_err());
        assert!(parse_now("-3").is_err());
        assert!(parse_now("ten").is_err());
    }
}
