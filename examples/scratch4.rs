//! scratch
fn main() {
    let text = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let s = busplan::parse_scenario(&text).unwrap();
    let o = busplan::Options { compare_direct: false, ..Default::default() };
    let p = busplan::plan_observed(&s, &o, o.strategy.allocator(), &|p| eprintln!("{:>8.2} {} {}", p.elapsed_s, p.stage, p.detail)).unwrap();
    eprintln!("{}", p.totals.cost);
}
