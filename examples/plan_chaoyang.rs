//! Links the crate: plans the Chaoyang -> Dalian example and prints what each bus does.
//!
//! `cargo run --release --example plan_chaoyang`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/chaoyang-dalian.json");
    let scenario = busplan::parse_scenario(&std::fs::read_to_string(path)?)?;
    let plan = busplan::plan(&scenario, &busplan::Options::default())?;
    // Trust, but verify: the checker re-derives everything from the scenario.
    let report = busplan::check(&scenario, &plan);
    assert!(report.is_ok(), "{report}");
    let t = &plan.totals;
    println!(
        "{}: {} workers on {} buses, cost {:.0} yuan (lower bound {:.0}, gap {:.2} %)",
        plan.scenario,
        t.workers_delivered,
        t.buses,
        t.cost,
        plan.lower_bound,
        plan.gap * 100.0
    );
    for v in &plan.vehicles {
        let stops: Vec<String> = v.legs.iter().map(|l| format!("{} -> {}", l.from, l.to)).collect();
        let changes: u32 = v.legs.iter().flat_map(|l| &l.boarded).map(|m| m.pax.count).sum();
        println!("{} ({}): {} [{} boarded at a hub]", v.id, v.vehicle_type, stops.join(", "), changes);
    }
    Ok(())
}
