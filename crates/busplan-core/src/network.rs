//! Network: commodities, bus legs and the feasible paths of every commodity.
//!
//! Takes: a validated [`Scenario`] and its [`TravelTable`]. Gives: [`Network`].
//!
//! A commodity `k` is the set of workers with one origin `o_k`, one destination `d_k` and one
//! class (accessible or not); `q_k` is its size. Its paths `P_k` are, within the deadline of
//! `d_k`, the rule `max_transfers` and the rule `max_ride_min`:
//! - direct: bus `o -> d` (0 changes);
//! - via a hub: bus `o -> h`, regroup, bus `h -> d` (1 change);
//! - by a service: bus `o -> h1`, service `s: h1 -> h2`, bus `h2 -> d` (2 changes).
//!
//! Times are conservative: a path is kept only if it meets its deadline at the speed of the
//! slowest vehicle type that has buses (`slow`), so every mix of buses the model chooses is on
//! time. This is a planning rule (any bus may be sent on any leg), and lower bounds are bounds
//! for plans that keep it. The
//! worker-time cost of a path uses the fastest type and no waiting (`fast`), a lower estimate
//! of what the timetable will show, so the model's objective never overstates a plan's cost.
//!
//! The sites, legs and services form a petgraph [`DiGraph`]; paths are enumerated over its
//! edges (at most two bus legs and one service), `O(K (H + S))` for `K` commodities, `H` hubs
//! and `S` services.

use crate::scenario::Scenario;
use crate::travel::TravelTable;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::BTreeMap;

/// A site of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Site {
    /// Index into `scenario.origins`.
    Origin(usize),
    /// Index into `scenario.hubs`.
    Hub(usize),
    /// Index into `scenario.destinations`.
    Dest(usize),
}

/// Workers with one origin, destination and class.
#[derive(Debug, Clone, PartialEq)]
pub struct Commodity {
    /// Origin index.
    pub origin: usize,
    /// Destination index.
    pub dest: usize,
    /// Needs accessible vehicles.
    pub accessible: bool,
    /// Number of workers `q_k`.
    pub count: u32,
}

/// A bus leg between two sites.
#[derive(Debug, Clone, PartialEq)]
pub struct BusLeg {
    /// Start site.
    pub from: Site,
    /// End site.
    pub to: Site,
    /// Road km.
    pub km: f64,
    /// Minutes at the slowest type's speed (conservative).
    pub slow_min: u32,
    /// Minutes at the fastest type's speed.
    pub fast_min: u32,
    /// For a leg out of a hub, its departure class (see [`Class`]); `None` for legs out of
    /// origins.
    pub class: Option<Class>,
}

/// The departure class of a leg out of a hub.
///
/// A bus leaving a hub waits for its own arrival and for every worker it takes on. Let the
/// feeders of hub `h` be the origins that reach it (arrival `beta_o = ready_o + slow(o, h)` at
/// the planning speed, `alpha_o = ready_o + fast(o, h)` at the fastest) and the services that
/// end there (`beta = alpha = arrival`). The class of an outbound bus is the latest `beta` among
/// its own feeder and its passengers'. Feeders' `beta`s are grouped into at most
/// [`MAX_CLASSES`] classes per hub, fewer for hubs with many destinations ([`CLASS_LEGS`]), cut
/// at the widest gaps; class `c` has `by_min = max beta`
/// and `floor_min = min alpha` over its feeders, and each hub-destination pair gets one leg per
/// class. A path `o -> h -> (d, c)` needs `beta_o <= by_min`, and its worker time starts at
/// `max(alpha_o, floor_min)`: whatever plan is built, the bus's last feeder arrived no earlier
/// than `floor_min`, so this waiting is a lower estimate of the plan's, and when classes are
/// single arrival times and all types drive at one speed it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    /// Latest arrival at the hub, at the planning speed, of the bus and of its passengers.
    pub by_min: i64,
    /// Earliest arrival at the hub, at the fastest speed, of the class's last feeder.
    pub floor_min: i64,
}

/// A feasible path of a commodity.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Commodity index.
    pub commodity: usize,
    /// Bus legs in order (1 or 2).
    pub legs: Vec<usize>,
    /// The service used between the two bus legs, if any.
    pub service: Option<usize>,
    /// Changes of vehicle.
    pub changes: u32,
    /// Lower estimate of minutes from the origin's ready time to arrival.
    pub fast_min: u32,
    /// Cost per worker of this path besides buses: time, changes and seats (yuan).
    pub unit_cost: f64,
}

/// The network of a scenario.
#[derive(Debug, Clone)]
pub struct Network {
    /// Commodities in a fixed order (origin, destination, class).
    pub commodities: Vec<Commodity>,
    /// Bus legs, in order of first use.
    pub legs: Vec<BusLeg>,
    /// All paths; `paths_of[k]` lists those of commodity `k`.
    pub paths: Vec<Path>,
    /// Paths of each commodity, cheapest estimate first.
    pub paths_of: Vec<Vec<usize>>,
    /// Capped seats per vehicle type.
    pub cap: Vec<u32>,
    /// Capped accessible seats per vehicle type.
    pub acc_cap: Vec<u32>,
    /// Conservative arrival minute at the end of each leg that starts at an origin
    /// (`ready + slow_min`); for other legs the latest arrival at its start hub that still
    /// lets a bus make the deadline at the end (`deadline - slow_min - transfer`).
    pub leg_time: Vec<i64>,
    /// Per commodity, a lower bound on the cost per worker (bus seats at their least cost
    /// per seat, path costs, or the unserved penalty), over every path, pruned or not.
    pub floor: Vec<f64>,
    /// A lower bound on every plan's cost that also prices each direct leg's whole buses (see
    /// [`Network::floor_bound`]); at least `floor_bound`.
    pub pair_bound: f64,
    /// Whether some commodity had more than [`MAX_PATHS`] paths and lost the most expensive.
    pub pruned: bool,
    /// Each hub's feeders `(beta, alpha)` (see [`Class`]), from which its classes were cut.
    pub(crate) feeders: Vec<Vec<(i64, i64)>>,
}

/// Most routes kept per commodity (cheapest estimates first, and the best direct path), each
/// with all its departure classes.
pub const MAX_PATHS: usize = 24;

/// Most departure classes per hub (see [`Class`]).
pub const MAX_CLASSES: usize = 6;

/// Budget of class legs per hub: a hub with legs to `n` destinations gets at most
/// `max(1, CLASS_LEGS / n)` classes, since every class adds a leg per destination and a path
/// per route through the hub, and the LP grows with them. At county scale every arrival time
/// is a class of its own; at province scale (1,500 destinations) a hub has one class, which
/// prices no waiting.
pub const CLASS_LEGS: usize = 400;

/// Most paths a network with more than one departure class per hub may have: beyond it the
/// classes per hub are halved (6, 3, 1) and the network built again, since the LP grows with
/// the paths and a larger LP costs more than the waiting it prices.
pub const CLASS_PATHS: usize = 8_000;

/// Most paths of `Network::finer` (and it is tried only on networks of at most half as
/// many): the search on it takes about 0.3 s on the city tier (13,159 paths against 7,079);
/// the 50,000-worker instance has 19,897 (4,990 in the model's network).
pub const FINER_PATHS: usize = 20_000;

/// The speeds of the plan: timetables at the slowest speed of the types that have buses, so
/// that any bus may take any leg; worker time at the fastest (a lower estimate). `(slow, fast)`
/// in km/h.
fn planning_speeds(s: &Scenario) -> (f64, f64) {
    let has_buses = |id: &str| {
        s.origins.iter().map(|o| &o.fleet).chain(s.hubs.iter().map(|h| &h.fleet)).any(|f| f.get(id).is_some_and(|&n| n > 0))
    };
    let mut speeds: Vec<f64> =
        (0..s.vehicle_types.len()).filter(|&v| has_buses(&s.vehicle_types[v].id)).map(|v| s.speed_of(v)).collect();
    if speeds.is_empty() {
        speeds = (0..s.vehicle_types.len()).map(|v| s.speed_of(v)).collect();
    }
    (speeds.iter().copied().fold(f64::INFINITY, f64::min), speeds.iter().copied().fold(0.0, f64::max))
}

/// A leg's km and its minutes at the slowest and the fastest of [`planning_speeds`], from the
/// travel table (`None`: no road).
fn by_road<'a>(s: &'a Scenario, travel: &'a TravelTable) -> impl Fn(Site, Site) -> Option<(f64, u32, u32)> + 'a {
    let (slow, fast) = planning_speeds(s);
    move |from: Site, to: Site| {
        let id = |site: Site| -> &str {
            match site {
                Site::Origin(i) => &s.origins[i].id,
                Site::Hub(i) => &s.hubs[i].id,
                Site::Dest(i) => &s.destinations[i].id,
            }
        };
        Some((travel.km(id(from), id(to))?, travel.minutes(id(from), id(to), slow)?, travel.minutes(id(from), id(to), fast)?))
    }
}

/// Groups a hub's feeders `(beta, alpha)` into at most `most` departure classes, cut at the
/// widest gaps between consecutive `beta`s; in order of `by_min`. A hub with no feeder has one
/// class that any bus based there may take.
fn classes_of(mut feeders: Vec<(i64, i64)>, most: usize) -> Vec<Class> {
    if feeders.is_empty() {
        return vec![Class { by_min: i64::MAX, floor_min: i64::MIN }];
    }
    feeders.sort_unstable();
    let mut betas: Vec<i64> = feeders.iter().map(|f| f.0).collect();
    betas.dedup();
    // Cut after the `MAX_CLASSES - 1` widest gaps (the earlier one on ties).
    let mut gaps: Vec<(i64, usize)> = betas.windows(2).enumerate().map(|(i, w)| (w[1] - w[0], i)).collect();
    gaps.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut cuts: Vec<usize> = gaps.iter().take(most - 1).map(|g| g.1).collect();
    cuts.sort_unstable();
    let mut ends: Vec<i64> = cuts.iter().map(|&i| betas[i]).collect();
    ends.push(betas[betas.len() - 1]);
    let mut out = Vec::with_capacity(ends.len());
    let mut from = 0;
    for by_min in ends {
        let to = feeders.partition_point(|f| f.0 <= by_min);
        let floor_min = feeders[from..to].iter().map(|f| f.1).min().expect("every class has a feeder");
        out.push(Class { by_min, floor_min });
        from = to;
    }
    out
}

/// An edge of the network graph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Edge {
    /// A bus leg (index into `legs`).
    Bus(usize),
    /// A scheduled service (index into `scenario.services`).
    Service(usize),
}

impl Network {
    /// Builds commodities, legs and paths.
    pub fn new(s: &Scenario, travel: &TravelTable) -> Network {
        let drive = by_road(s, travel);
        let mut most = MAX_CLASSES;
        loop {
            let (net, used) = Network::with_classes(s, &drive, None, most, CLASS_LEGS);
            if used == 1 || net.paths.len() <= CLASS_PATHS {
                return net;
            }
            most = used / 2;
        }
    }

    /// The same network with up to [`MAX_CLASSES`] departure classes at every hub, whatever
    /// its destinations ([`CLASS_LEGS`] and [`CLASS_PATHS`] do not apply), for a search that
    /// prices more of the waiting at hubs; `None` if that gives no more classes, if paths were
    /// pruned (the two networks might keep different routes) or if it would have more than
    /// [`FINER_PATHS`] paths. Its legs are this network's legs (km and minutes as they are),
    /// split into more classes cut from the same feeders; each of its classes lies within one
    /// of this network's (both cut at the widest gaps, the finer at more of them), so its plans
    /// map back (see `solve::finer`).
    pub(crate) fn finer(&self, s: &Scenario) -> Option<Network> {
        // A network above half the limit would rarely stay under it with more classes; it is
        // not built only to be dropped.
        if self.paths.len() > FINER_PATHS / 2 {
            return None;
        }
        self.with_most_classes(s, MAX_CLASSES, FINER_PATHS)
    }

    /// This network's legs and routes with up to `most` classes per hub (see [`Network::finer`]),
    /// if that splits some class and gives at most `most_paths` paths.
    pub(crate) fn with_most_classes(&self, s: &Scenario, most: usize, most_paths: usize) -> Option<Network> {
        if self.pruned {
            return None;
        }
        let mut known: BTreeMap<(Site, Site), (f64, u32, u32)> = BTreeMap::new();
        for l in &self.legs {
            known.entry((l.from, l.to)).or_insert((l.km, l.slow_min, l.fast_min));
        }
        let drive = |from: Site, to: Site| known.get(&(from, to)).copied();
        let (fine, _) = Network::with_classes(s, &drive, Some(&self.feeders), most, usize::MAX);
        (fine.legs.len() > self.legs.len() && fine.paths.len() <= most_paths && !fine.pruned).then_some(fine)
    }

    /// The network of [`Network::new`] with at most `most` departure classes per hub, for
    /// tests of [`Network::finer`] on small scenarios.
    #[cfg(test)]
    pub(crate) fn with_most(s: &Scenario, travel: &TravelTable, most: usize) -> Network {
        Network::with_classes(s, &by_road(s, travel), None, most, CLASS_LEGS).0
    }

    /// Builds the network with at most `most` departure classes per hub and `class_legs` class
    /// legs per hub (see [`CLASS_LEGS`]); `drive` gives a leg's km and its minutes at the
    /// slowest and the fastest speed of [`planning_speeds`] (`None`: no road); the classes are
    /// cut from `given_feeders` if given, else from the legs built. Also gives the most classes
    /// a hub was allowed.
    fn with_classes(
        s: &Scenario,
        drive: &dyn Fn(Site, Site) -> Option<(f64, u32, u32)>,
        given_feeders: Option<&[Vec<(i64, i64)>]>,
        most: usize,
        class_legs: usize,
    ) -> (Network, usize) {
        let cap: Vec<u32> = s.vehicle_types.iter().map(crate::scenario::VehicleType::capped_seats).collect();
        let acc_cap: Vec<u32> = s.vehicle_types.iter().map(crate::scenario::VehicleType::capped_accessible_seats).collect();
        let any_acc_type = acc_cap.iter().any(|&a| a > 0);

        // Commodities, aggregated by (origin, destination, class) in a fixed order.
        let dest_index: BTreeMap<&str, usize> =
            s.destinations.iter().enumerate().map(|(i, d)| (d.id.as_str(), i)).collect();
        let mut agg: BTreeMap<(usize, usize, bool), u32> = BTreeMap::new();
        for (o, origin) in s.origins.iter().enumerate() {
            for g in &origin.workers {
                if let Some(&d) = dest_index.get(g.to.as_str()) {
                    *agg.entry((o, d, g.accessible())).or_default() += g.count;
                }
            }
        }
        let commodities: Vec<Commodity> = agg
            .into_iter()
            .filter(|&(_, c)| c > 0)
            .map(|((origin, dest, accessible), count)| Commodity { origin, dest, accessible, count })
            .collect();

        let mut graph = DiGraph::new();
        let mut node: BTreeMap<Site, NodeIndex> = BTreeMap::new();
        let all_sites = (0..s.origins.len())
            .map(Site::Origin)
            .chain((0..s.hubs.len()).map(Site::Hub))
            .chain((0..s.destinations.len()).map(Site::Dest));
        for site in all_sites {
            node.insert(site, graph.add_node(site));
        }
        // Every bus leg that could be driven, with its times; services as edges.
        let mut legs: Vec<BusLeg> = Vec::new();
        let mut leg_of: BTreeMap<(Site, Site), Vec<usize>> = BTreeMap::new();
        let mut add_leg = |from: Site, to: Site, classes: &[Class], legs: &mut Vec<BusLeg>, graph: &mut DiGraph<Site, Edge>| {
            let Some((km, slow_min, fast_min)) = drive(from, to) else {
                return;
            };
            let classes: Vec<Option<Class>> = match (from, to) {
                (Site::Hub(h), Site::Dest(d)) => {
                    // Classes whose earliest feeder could still make the deadline.
                    let latest = i64::from(s.destinations[d].deadline_min) - i64::from(slow_min) - i64::from(s.hubs[h].transfer_min);
                    let mut kept: Vec<Option<Class>> = Vec::new();
                    for (i, c) in classes.iter().enumerate() {
                        let first = if i == 0 { i64::MIN } else { classes[i - 1].by_min + 1 };
                        if first <= latest {
                            kept.push(Some(*c));
                        }
                    }
                    kept
                }
                _ => vec![None],
            };
            for class in classes {
                leg_of.entry((from, to)).or_default().push(legs.len());
                graph.add_edge(node[&from], node[&to], Edge::Bus(legs.len()));
                legs.push(BusLeg { from, to, km, slow_min, fast_min, class });
            }
        };
        // Only legs that some commodity could use: origin -> destination where that pair has
        // workers, origin -> hub, and hub -> destination where the destination has workers.
        let mut pairs: Vec<(usize, usize)> = commodities.iter().map(|c| (c.origin, c.dest)).collect();
        pairs.dedup();
        let mut wanted_dest = vec![false; s.destinations.len()];
        for &(_, d) in &pairs {
            wanted_dest[d] = true;
        }
        let mut next_pair = 0;
        for o in 0..s.origins.len() {
            // `pairs` is sorted by origin, then destination.
            while next_pair < pairs.len() && pairs[next_pair].0 == o {
                add_leg(Site::Origin(o), Site::Dest(pairs[next_pair].1), &[], &mut legs, &mut graph);
                next_pair += 1;
            }
            for h in 0..s.hubs.len() {
                add_leg(Site::Origin(o), Site::Hub(h), &[], &mut legs, &mut graph);
            }
        }
        let hub_index: BTreeMap<&str, usize> =
            s.hubs.iter().enumerate().map(|(i, h)| (h.id.as_str(), i)).collect();
        // Feeders of each hub, `(beta, alpha)`: the origins that reach it and the services
        // that end there (or those given).
        let feeders: Vec<Vec<(i64, i64)>> = given_feeders.map_or_else(
            || {
                let mut feeders = vec![Vec::new(); s.hubs.len()];
                for l in &legs {
                    if let (Site::Origin(o), Site::Hub(h)) = (l.from, l.to) {
                        let ready = i64::from(s.origins[o].ready_min);
                        feeders[h].push((ready + i64::from(l.slow_min), ready + i64::from(l.fast_min)));
                    }
                }
                for svc in &s.services {
                    if let Some(&h) = hub_index.get(svc.to.as_str()) {
                        feeders[h].push((i64::from(svc.arrival_min), i64::from(svc.arrival_min)));
                    }
                }
                feeders
            },
            <[Vec<(i64, i64)>]>::to_vec,
        );
        let per_hub = (class_legs / wanted_dest.iter().filter(|&&w| w).count().max(1)).clamp(1, most);
        let classes: Vec<Vec<Class>> = feeders.iter().map(|f| classes_of(f.clone(), per_hub)).collect();
        for (h, hub_classes) in classes.iter().enumerate() {
            for d in (0..s.destinations.len()).filter(|&d| wanted_dest[d]) {
                add_leg(Site::Hub(h), Site::Dest(d), hub_classes, &mut legs, &mut graph);
            }
        }
        for (si, svc) in s.services.iter().enumerate() {
            if let (Some(&a), Some(&b)) = (hub_index.get(svc.from.as_str()), hub_index.get(svc.to.as_str())) {
                graph.add_edge(node[&Site::Hub(a)], node[&Site::Hub(b)], Edge::Service(si));
            }
        }

        let w = &s.objective;
        let max_ride = s.rules.max_ride_min.map_or(i64::MAX, i64::from);
        let mut paths = Vec::new();
        let mut paths_of = vec![Vec::new(); commodities.len()];
        for (k, c) in commodities.iter().enumerate() {
            if c.accessible && !any_acc_type {
                continue;
            }
            let ready = i64::from(s.origins[c.origin].ready_min);
            let deadline = i64::from(s.destinations[c.dest].deadline_min);
            let on_time = |arrive_slow: i64| arrive_slow <= deadline && arrive_slow - ready <= max_ride;
            let o_node = node[&Site::Origin(c.origin)];
            let target = Site::Dest(c.dest);
            let mut push = |legs_p: Vec<usize>, service: Option<usize>, changes: u32, fast_min: i64, seat: f64| {
                let unit_cost = w.worker_minute_yuan * fast_min as f64
                    + w.transfer_penalty_yuan * f64::from(changes)
                    + seat;
                paths_of[k].push(paths.len());
                paths.push(Path { commodity: k, legs: legs_p, service, changes, fast_min: fast_min as u32, unit_cost });
            };
            for e1 in graph.edges(o_node) {
                let Edge::Bus(l1) = *e1.weight() else { continue };
                let leg1 = &legs[l1];
                if leg1.to == target {
                    let arrive = ready + i64::from(leg1.slow_min);
                    if on_time(arrive) {
                        push(vec![l1], None, 0, i64::from(leg1.fast_min), 0.0);
                    }
                    continue;
                }
                let Site::Hub(h) = leg1.to else { continue };
                let t_h = i64::from(s.hubs[h].transfer_min);
                let at_hub_slow = ready + i64::from(leg1.slow_min);
                let at_hub_fast = ready + i64::from(leg1.fast_min);
                for e2 in graph.edges(e1.target()) {
                    match *e2.weight() {
                        Edge::Bus(l2) if legs[l2].to == target && s.rules.max_transfers >= 1 => {
                            let class = legs[l2].class.expect("hub legs have a class");
                            let arrive = at_hub_slow + t_h + i64::from(legs[l2].slow_min);
                            if at_hub_slow <= class.by_min && on_time(arrive) {
                                let fast_min = at_hub_fast.max(class.floor_min) + t_h + i64::from(legs[l2].fast_min) - ready;
                                push(vec![l1, l2], None, 1, fast_min, 0.0);
                            }
                        }
                        Edge::Service(si) if s.rules.max_transfers >= 2 => {
                            let svc = &s.services[si];
                            if c.accessible && !svc.accessible {
                                continue;
                            }
                            if at_hub_slow + t_h > i64::from(svc.departure_min) {
                                continue;
                            }
                            let Site::Hub(h2) = graph[e2.target()] else { continue };
                            let t_h2 = i64::from(s.hubs[h2].transfer_min);
                            let at_h2 = i64::from(svc.arrival_min);
                            for &l3 in leg_of.get(&(Site::Hub(h2), target)).map_or(&[][..], Vec::as_slice) {
                                let class = legs[l3].class.expect("hub legs have a class");
                                let arrive = at_h2 + t_h2 + i64::from(legs[l3].slow_min);
                                if at_h2 <= class.by_min && on_time(arrive) {
                                    let fast_min = at_h2.max(class.floor_min) + t_h2 + i64::from(legs[l3].fast_min) - ready;
                                    push(vec![l1, l3], Some(si), 2, fast_min, svc.cost_per_seat_yuan);
                                }
                            }
                        }
                        Edge::Bus(_) | Edge::Service(_) => {}
                    }
                }
            }
        }

        // The least bus cost of one seat on each leg: `min_v c_av / C_v` (an origin leg carries
        // the fixed cost; a hub leg may reuse an arrived bus, so only its km). Every plan pays at
        // least this per worker carried on the leg, since `sum_v c_av y_av >= seat_a sum_v C_v
        // y_av >= seat_a x_a`.
        let seat: Vec<f64> = legs
            .iter()
            .map(|l| {
                let origin_leg = matches!(l.from, Site::Origin(_));
                s.vehicle_types
                    .iter()
                    .zip(&cap)
                    .filter(|(_, &c)| c > 0)
                    .map(|(t, &c)| (if origin_leg { t.fixed_cost_yuan } else { 0.0 } + t.cost_per_km_yuan * l.km) / f64::from(c))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let estimate = |p: &Path| p.unit_cost + p.legs.iter().map(|&a| seat[a]).sum::<f64>();
        // Per worker of each commodity, the least of its paths' estimates and the unserved
        // penalty, over every path: `sum_k q_k floor_k` bounds every plan from below.
        let floor: Vec<f64> = paths_of
            .iter()
            .map(|ps| ps.iter().map(|&p| estimate(&paths[p])).fold(w.unserved_penalty_yuan, f64::min))
            .collect();
        // Sharper, per origin-destination pair: its direct leg carries no one else, so its
        // buses cost at least the cheapest cover `g(x)` of the `x` workers it carries (whole
        // buses, any fleet), while the others pay their cheapest other path's estimate:
        // `LB_od = min_x g(x) + x u_direct + sum_k e_k (q_k - x_k)`, where for a given `x` the
        // direct seats go to the class with the dearest alternative first.
        let mut pair_bound = 0.0;
        let mut k0 = 0;
        while k0 < commodities.len() {
            let mut k1 = k0;
            while k1 < commodities.len() && (commodities[k1].origin, commodities[k1].dest) == (commodities[k0].origin, commodities[k0].dest) {
                k1 += 1;
            }
            // (alternative per worker, workers, may go direct) per class; the direct path.
            let mut classes: Vec<(f64, u32, bool)> = Vec::new();
            let mut direct: Option<&Path> = None;
            for k in k0..k1 {
                let mut alt = w.unserved_penalty_yuan;
                let mut has_direct = false;
                for &p in &paths_of[k] {
                    if paths[p].legs.len() == 1 && paths[p].service.is_none() {
                        has_direct = true;
                        direct = Some(&paths[p]);
                    } else {
                        alt = alt.min(estimate(&paths[p]));
                    }
                }
                classes.push((alt, commodities[k].count, has_direct));
            }
            classes.sort_by(|a, b| b.0.total_cmp(&a.0));
            let all_alt: f64 = classes.iter().map(|c| c.0 * f64::from(c.1)).sum();
            let best = match direct {
                None => all_alt,
                Some(d) => {
                    let a = d.legs[0];
                    let costs: Vec<f64> = (0..s.vehicle_types.len()).map(|v| {
                        let t = &s.vehicle_types[v];
                        t.fixed_cost_yuan + t.cost_per_km_yuan * legs[a].km
                    }).collect();
                    let reach: u32 = classes.iter().filter(|c| c.2).map(|c| c.1).sum();
                    let g = crate::mix::cover_costs(reach, &cap, &costs);
                    let mut best = all_alt;
                    let mut alt_left = all_alt;
                    let mut x = 0usize;
                    for &(alt, q, may) in &classes {
                        if !may {
                            continue;
                        }
                        for _ in 0..q {
                            x += 1;
                            alt_left -= alt;
                            best = best.min(g[x] + x as f64 * d.unit_cost + alt_left);
                        }
                    }
                    best
                }
            };
            pair_bound += best;
            k0 = k1;
        }
        // Cheapest estimate first; then keep the best `MAX_PATHS` (and the best direct path,
        // the baseline without hubs), so that large scenarios stay tractable.
        let mut pruned = false;
        for ps in &mut paths_of {
            ps.sort_by(|&a, &b| {
                estimate(&paths[a])
                    .total_cmp(&estimate(&paths[b]))
                    .then(paths[a].unit_cost.total_cmp(&paths[b].unit_cost))
                    .then(paths[a].legs.cmp(&paths[b].legs))
                    .then(paths[a].service.cmp(&paths[b].service))
            });
            // A route is a path up to its departure class; the cap counts routes.
            let route = |p: usize| {
                let path = &paths[p];
                let last = &legs[path.legs[path.legs.len() - 1]];
                (path.legs[0], last.from, last.to, path.service)
            };
            let mut routes: Vec<(usize, Site, Site, Option<usize>)> = ps.iter().map(|&p| route(p)).collect();
            routes.sort();
            routes.dedup();
            if routes.len() > MAX_PATHS {
                pruned = true;
                let mut kept: Vec<(usize, Site, Site, Option<usize>)> = Vec::new();
                for &p in ps.iter() {
                    let r = route(p);
                    if kept.len() < MAX_PATHS && !kept.contains(&r) {
                        kept.push(r);
                    }
                }
                if let Some(d) = ps.iter().copied().find(|&p| paths[p].legs.len() == 1) {
                    kept.push(route(d));
                }
                ps.retain(|&p| kept.contains(&route(p)));
            }
        }
        // Renumber the kept paths and the legs they use.
        let mut used = vec![false; legs.len()];
        for ps in &paths_of {
            for &p in ps {
                for &a in &paths[p].legs {
                    used[a] = true;
                }
            }
        }
        // A hub that sends buses on may need empty buses from any origin that reaches it.
        let mut hub_sends = vec![false; s.hubs.len()];
        for (a, leg) in legs.iter().enumerate() {
            if let (true, Site::Hub(h)) = (used[a], leg.from) {
                hub_sends[h] = true;
            }
        }
        for (a, leg) in legs.iter().enumerate() {
            if let (Site::Origin(_), Site::Hub(h)) = (leg.from, leg.to) {
                used[a] |= hub_sends[h];
            }
        }
        let mut new_leg = vec![usize::MAX; legs.len()];
        let mut kept_legs = Vec::new();
        for (a, leg) in legs.into_iter().enumerate() {
            if used[a] {
                new_leg[a] = kept_legs.len();
                kept_legs.push(leg);
            }
        }
        let legs = kept_legs;
        let mut old_paths: Vec<Option<Path>> = paths.into_iter().map(Some).collect();
        let mut paths = Vec::new();
        for ps in &mut paths_of {
            for p in ps.iter_mut() {
                let mut path = old_paths[*p].take().expect("each path kept once");
                for a in &mut path.legs {
                    *a = new_leg[*a];
                }
                *p = paths.len();
                paths.push(path);
            }
        }

        let leg_time = legs
            .iter()
            .map(|l| match (l.from, l.to) {
                (Site::Origin(o), _) => i64::from(s.origins[o].ready_min) + i64::from(l.slow_min),
                (Site::Hub(h), Site::Dest(d)) => {
                    let latest = i64::from(s.destinations[d].deadline_min) - i64::from(l.slow_min) - i64::from(s.hubs[h].transfer_min);
                    l.class.map_or(latest, |c| latest.min(c.by_min))
                }
                _ => 0,
            })
            .collect();
        (Network { commodities, legs, paths, paths_of, cap, acc_cap, leg_time, floor, pair_bound, pruned, feeders }, per_hub)
    }

    /// A lower bound on every plan's cost: `sum_k q_k floor_k` (see [`Network::floor`]).
    pub fn floor_bound(&self) -> f64 {
        self.commodities.iter().zip(&self.floor).map(|(c, f)| f64::from(c.count) * f).sum()
    }

    /// The network's combinatorial lower bound: the larger of the floor and pair bounds.
    pub fn bound(&self) -> f64 {
        self.floor_bound().max(self.pair_bound)
    }

    /// Legs a path drives on that start at an origin and end at a hub (its feeder leg).
    pub fn is_origin_leg(&self, leg: usize) -> bool {
        matches!(self.legs[leg].from, Site::Origin(_))
    }

    /// Fixed cost of a bus of type `v` on leg `a` when it is the bus's first leg, plus its
    /// km cost: the model's coefficient of `y_av`.
    pub fn leg_cost(&self, s: &Scenario, leg: usize, v: usize) -> f64 {
        let t = &s.vehicle_types[v];
        let fixed = if self.is_origin_leg(leg) { t.fixed_cost_yuan } else { 0.0 };
        fixed + t.cost_per_km_yuan * self.legs[leg].km
    }

    /// The network with only the paths `keep` (ascending, so each commodity's stay cheapest
    /// first), numbered anew. Every other field is kept: none refers to a path.
    pub(crate) fn restricted(&self, keep: &[usize]) -> Network {
        let mut paths = Vec::with_capacity(keep.len());
        let mut paths_of = vec![Vec::new(); self.commodities.len()];
        for &p in keep {
            paths_of[self.paths[p].commodity].push(paths.len());
            paths.push(self.paths[p].clone());
        }
        Network {
            commodities: self.commodities.clone(),
            legs: self.legs.clone(),
            paths,
            paths_of,
            cap: self.cap.clone(),
            acc_cap: self.acc_cap.clone(),
            leg_time: self.leg_time.clone(),
            floor: self.floor.clone(),
            pair_bound: self.pair_bound,
            pruned: self.pruned,
            feeders: self.feeders.clone(),
        }
    }
}

/// A scenario from JSON and its network, for unit tests.
#[cfg(test)]
pub(crate) fn from_json(json: &str) -> (Scenario, Network) {
    let s: Scenario = serde_json::from_str(json).expect("test scenario");
    let net = network_of(&s);
    (s, net)
}

/// A scenario's network, for unit tests.
#[cfg(test)]
pub(crate) fn network_of(s: &Scenario) -> Network {
    Network::new(s, &TravelTable::new(s).expect("travel table"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two origins that reach the hub an hour and three hours after the start, one destination.
    fn two_arrivals() -> (Scenario, Network) {
        from_json(
            r#"{"name": "c", "vehicle_types": [{"id": "bus", "seats": 30, "fixed_cost_yuan": 1000, "cost_per_km_yuan": 4}],
            "origins": [
              {"id": "a", "lat": 41.0, "lon": 120.0, "ready_min": 0, "fleet": {"bus": 2}, "workers": [{"to": "d", "count": 10}]},
              {"id": "b", "lat": 41.0, "lon": 120.0, "ready_min": 120, "fleet": {"bus": 2}, "workers": [{"to": "d", "count": 10}]}],
            "hubs": [{"id": "h", "kind": "service_area", "lat": 40.5, "lon": 120.5, "transfer_min": 20}],
            "destinations": [{"id": "d", "lat": 39.0, "lon": 121.6, "deadline_min": 1440}]}"#,
        )
    }

    #[test]
    fn classes_are_the_arrival_times_at_the_hub() {
        let (s, net) = two_arrivals();
        let out: Vec<&BusLeg> = net.legs.iter().filter(|l| l.from == Site::Hub(0)).collect();
        assert_eq!(out.len(), 2);
        let to_hub = net.legs.iter().find(|l| l.to == Site::Hub(0)).unwrap();
        let early = i64::from(to_hub.slow_min);
        assert_eq!(out[0].class.unwrap().by_min, early);
        assert_eq!(out[1].class.unwrap().by_min, early + 120);
        // Origin a may take either class; in the later one its workers wait two hours, and the
        // path's cost says so. Origin b may take only the later one.
        let via = |k: usize| -> Vec<&Path> {
            net.paths_of[k].iter().map(|&p| &net.paths[p]).filter(|p| p.legs.len() == 2).collect()
        };
        let (a, b) = (via(0), via(1));
        assert_eq!(a.len(), 2);
        assert_eq!(b.len(), 1);
        let wait = a[1].unit_cost - a[0].unit_cost;
        assert!((wait - 120.0 * s.objective.worker_minute_yuan).abs() < 1e-9, "{wait}");
        assert_eq!(a[1].fast_min, b[0].fast_min + 120);
        // A bus may take a class only if it has arrived by then.
        assert_eq!(net.leg_time[a[0].legs[1]], early);
        assert_eq!(net.leg_time[a[1].legs[1]], early + 120);
    }

    #[test]
    fn classes_cut_at_the_widest_gaps() {
        let f = vec![(10, 9), (12, 11), (100, 90), (101, 95), (300, 280)];
        let c = classes_of(f.clone(), 3);
        assert_eq!(c, vec![
            Class { by_min: 12, floor_min: 9 },
            Class { by_min: 101, floor_min: 90 },
            Class { by_min: 300, floor_min: 280 },
        ]);
        assert_eq!(classes_of(f.clone(), 1), vec![Class { by_min: 300, floor_min: 9 }]);
        assert_eq!(classes_of(f, 9).len(), 5);
        assert_eq!(classes_of(Vec::new(), 3).len(), 1);
    }
}
