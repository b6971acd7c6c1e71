//! The allocation model, built with `good_lp`.
//!
//! Sets: commodities `k` (size `q_k`), their paths `P_k`, bus legs `a`, vehicle types `v`
//! (capped seats `C_v`, capped accessible seats `A_v`), hubs `h`, services `s`.
//!
//! Variables:
//! - `x_p`  integer `>= 0`: workers on path `p`;
//! - `u_k`  `>= 0`: workers of `k` left unserved;
//! - `y_av` integer `>= 0`: buses of type `v` driving leg `a`;
//! - `z_hv` integer `0..=fleet_hv`: buses of type `v` based at hub `h` that are used.
//!
//! Objective: `min sum_av c_av y_av + sum_hv fixed_v z_hv + sum_p c_p x_p + pen sum_k u_k`,
//! `c_av = fixed_v [a leaves an origin] + km_a cpk_v`, `c_p` = worker time (lower estimate),
//! change penalties and service seats per worker (see [`crate::network::Path`]).
//!
//! Every constraint is stated beside the code that adds it. Flows that arrive at a hub by
//! service and buses that only drop workers at a service are covered by the same rows.

use super::Allocation;
use crate::network::{Network, Site};
use crate::scenario::Scenario;
use good_lp::{variable, Constraint, Expression, ProblemVariables, Variable};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The model, ready to hand to a solver backend (its solver types stay inside the crate).
pub struct Model {
    /// The variables and their bounds.
    pub(crate) vars: ProblemVariables,
    /// The objective expression.
    pub(crate) objective: Expression,
    /// Every constraint.
    pub(crate) constraints: Vec<Constraint>,
    /// `x_p` per path.
    pub(crate) x: Vec<Variable>,
    /// `u_k` per commodity.
    pub(crate) u: Vec<Variable>,
    /// `y_av` per leg and type (`None` where the type cannot drive the leg).
    pub(crate) y: Vec<Vec<Option<Variable>>>,
    /// `z_hv` per hub and type.
    pub(crate) z: Vec<Vec<Option<Variable>>>,
    /// What each constraint is, in the order of `constraints`.
    pub(crate) rows: Vec<Row>,
}

/// What a constraint of the model is: the same key names the same row in the models of two
/// networks whose legs and commodities correspond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Row {
    /// Demand of commodity `k`.
    Demand(usize),
    /// Capacity of leg `a`.
    Capacity(usize),
    /// Accessible seats of leg `a`.
    Accessible(usize),
    /// Envelope cut of leg `a`, the hull segment from `n_i` workers.
    Envelope(usize, u32),
    /// Linking cut of leg `a` and commodity `k`.
    Linking(usize, usize),
    /// Rounding cut of a side (origin `o`, or destination `d` as `origins + d`) and bus size.
    Rounding(usize, u32),
    /// Seats of service `s`.
    Seats(usize),
    /// Fleet of type `v` at origin `o`.
    Fleet(usize, usize),
    /// Escorts at origin `o`.
    Escorts(usize),
    /// Conservation at hub `h` for type `v` up to a threshold minute.
    Conservation(usize, usize, i64),
    /// Escorts of buses based at hub `h`.
    HubEscorts(usize),
    /// Size of hub `h`.
    HubSize(usize),
}

impl Row {
    /// The same row with its leg renumbered by `legs` (`None` where a leg has no image).
    pub(crate) fn on_legs(self, legs: &[Option<usize>]) -> Option<Row> {
        Some(match self {
            Row::Capacity(a) => Row::Capacity(legs[a]?),
            Row::Accessible(a) => Row::Accessible(legs[a]?),
            Row::Envelope(a, n) => Row::Envelope(legs[a]?, n),
            Row::Linking(a, k) => Row::Linking(legs[a]?, k),
            other => other,
        })
    }
}

/// Which strengthening rows the model gets; none changes the integer optimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cuts {
    /// Linking cuts per commodity and leg.
    pub linking: bool,
    /// Rounding cuts per departure point and per drop point.
    pub rounding: bool,
    /// Cost envelope cuts per leg: its buses cost at least the convex hull of whole-bus costs
    /// at its load.
    pub envelope: bool,
}

impl Cuts {
    /// The plain model.
    pub const NONE: Cuts = Cuts { linking: false, rounding: false, envelope: false };
    /// Every cut.
    pub const ALL: Cuts = Cuts { linking: true, rounding: true, envelope: true };
    /// The linking cuts only.
    pub const LINKING: Cuts = Cuts { linking: true, rounding: false, envelope: false };
}

/// Builds the model; `integer = false` gives its LP relaxation (the lower bound).
pub fn build(s: &Scenario, net: &Network, integer: bool, cuts: Cuts) -> Model {
    build_with(s, net, integer, cuts, false)
}

/// [`build`], with a conservation row at every threshold if `every_threshold` (for tests: the
/// rows left out are implied by the others).
pub(crate) fn build_with(s: &Scenario, net: &Network, integer: bool, cuts: Cuts, every_threshold: bool) -> Model {
    let nv = s.vehicle_types.len();
    let mut vars = ProblemVariables::new();
    let int = |d: good_lp::VariableDefinition| if integer { d.integer() } else { d };
    let x: Vec<Variable> = net
        .paths
        .iter()
        .map(|p| vars.add(int(variable().min(0).max(net.commodities[p.commodity].count))))
        .collect();
    let u: Vec<Variable> = net.commodities.iter().map(|c| vars.add(variable().min(0).max(c.count))).collect();

    // Legs that some path uses, and the types that can drive them.
    let mut used_leg = vec![false; net.legs.len()];
    for p in &net.paths {
        for &a in &p.legs {
            used_leg[a] = true;
        }
    }
    let origin_fleet = |o: usize, v: usize| s.origins[o].fleet.get(&s.vehicle_types[v].id).copied().unwrap_or(0);
    let hub_fleet = |h: usize, v: usize| s.hubs[h].fleet.get(&s.vehicle_types[v].id).copied().unwrap_or(0);
    let total_fleet: Vec<u32> = (0..nv)
        .map(|v| (0..s.origins.len()).map(|o| origin_fleet(o, v)).chain((0..s.hubs.len()).map(|h| hub_fleet(h, v))).sum())
        .collect();
    // Hub-to-hub use of origin legs: an origin leg to a hub may carry no flow and still bring
    // a bus that continues, so every origin->hub leg whose hub has a used outbound leg exists.
    let mut hub_out_used = vec![false; s.hubs.len()];
    for (a, leg) in net.legs.iter().enumerate() {
        if let (Site::Hub(h), true) = (leg.from, used_leg[a]) {
            hub_out_used[h] = true;
        }
    }
    let y: Vec<Vec<Option<Variable>>> = net
        .legs
        .iter()
        .enumerate()
        .map(|(a, leg)| {
            let exists = used_leg[a] || matches!((leg.from, leg.to), (Site::Origin(_), Site::Hub(h)) if hub_out_used[h]);
            (0..nv)
                .map(|v| {
                    let bound = match leg.from {
                        Site::Origin(o) => origin_fleet(o, v),
                        _ => total_fleet[v],
                    };
                    (exists && net.cap[v] > 0 && bound > 0).then(|| vars.add(int(variable().min(0).max(bound))))
                })
                .collect()
        })
        .collect();
    let z: Vec<Vec<Option<Variable>>> = (0..s.hubs.len())
        .map(|h| {
            (0..nv)
                .map(|v| {
                    let f = hub_fleet(h, v);
                    (hub_out_used[h] && f > 0 && net.cap[v] > 0).then(|| vars.add(int(variable().min(0).max(f))))
                })
                .collect()
        })
        .collect();

    let mut objective = Expression::default();
    for (a, row) in y.iter().enumerate() {
        for (v, var) in row.iter().enumerate() {
            if let Some(var) = var {
                objective.add_mul(net.leg_cost(s, a, v), *var);
            }
        }
    }
    for row in &z {
        for (v, var) in row.iter().enumerate() {
            if let Some(var) = var {
                objective.add_mul(s.vehicle_types[v].fixed_cost_yuan, *var);
            }
        }
    }
    for (p, path) in net.paths.iter().enumerate() {
        objective.add_mul(path.unit_cost, x[p]);
    }
    for &uk in &u {
        objective.add_mul(s.objective.unserved_penalty_yuan, uk);
    }

    let mut constraints = Vec::new();
    let mut rows = Vec::new();
    // Every constraint with its key, so that the two stay in step.
    let mut add = |c: Constraint, r: Row| {
        constraints.push(c);
        rows.push(r);
    };
    // Demand: sum_{p in P_k} x_p + u_k = q_k.
    for (k, c) in net.commodities.iter().enumerate() {
        let mut e = Expression::from(u[k]);
        for &p in &net.paths_of[k] {
            e.add_mul(1.0, x[p]);
        }
        add(e.eq(f64::from(c.count)), Row::Demand(k));
    }
    // Per leg: the paths through it, all and accessible, and per commodity.
    let mut through: Vec<Vec<usize>> = vec![Vec::new(); net.legs.len()];
    for (p, path) in net.paths.iter().enumerate() {
        for &a in &path.legs {
            through[a].push(p);
        }
    }
    let max_cap = net.cap.iter().copied().max().unwrap_or(0);
    let workers = if cuts.envelope { leg_workers(net) } else { Vec::new() };
    for a in 0..net.legs.len() {
        if through[a].is_empty() {
            continue;
        }
        let seats = |per_bus: &dyn Fn(usize) -> f64| {
            let mut e = Expression::default();
            for (v, var) in y[a].iter().enumerate() {
                if let Some(var) = var {
                    e.add_mul(per_bus(v), *var);
                }
            }
            e
        };
        // Capacity: sum_{p through a} x_p <= sum_v C_v y_av.
        let mut load = Expression::default();
        for &p in &through[a] {
            load.add_mul(1.0, x[p]);
        }
        add(load.leq(seats(&|v| f64::from(net.cap[v]))), Row::Capacity(a));
        // Accessible seats: sum_{p through a, k(p) accessible} x_p <= sum_v A_v y_av.
        let acc: Vec<usize> = through[a].iter().copied().filter(|&p| net.commodities[net.paths[p].commodity].accessible).collect();
        if !acc.is_empty() {
            let mut e = Expression::default();
            for &p in &acc {
                e.add_mul(1.0, x[p]);
            }
            add(e.leq(seats(&|v| f64::from(net.acc_cap[v]))), Row::Accessible(a));
        }
        // Linking cut (valid for integer solutions, tightens the LP): a bus of type v carries
        // at most min(q_k, C_v) workers of k, so
        // sum_{p in P_k through a} x_p <= sum_v min(q_k, C_v) y_av  (A_v for accessible k).
        let mut by_k: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &p in &through[a] {
            by_k.entry(net.paths[p].commodity).or_default().push(p);
        }
        if cuts.envelope {
            // Envelope cut (valid for integer buses, tightens the LP): whole buses that seat F
            // workers cost at least g_a(F), the cheapest cover of F seats at this leg's costs,
            // hence at least phi_a(F), the lower convex hull of g_a over 0..=Q_a (Q_a: the
            // workers of every commodity with a path through a). Each segment i of phi_a, from
            // (n_i, g_a(n_i)) with slope beta_i, gives
            //   sum_v c_av y_av - beta_i sum_{p through a} x_p >= g_a(n_i) - beta_i n_i.
            // Segments at the cheapest cost per seat are left out: the capacity row prices them.
            let types: Vec<usize> = (0..nv).filter(|&v| y[a][v].is_some()).collect();
            let cap: Vec<u32> = types.iter().map(|&v| net.cap[v]).collect();
            let cost: Vec<f64> = types.iter().map(|&v| net.leg_cost(s, a, v)).collect();
            let per_seat = cost.iter().zip(&cap).map(|(c, &n)| c / f64::from(n)).fold(f64::INFINITY, f64::min);
            for (n0, g0, beta) in envelope(workers[a].0, &cap, &cost) {
                if beta <= per_seat * (1.0 + 1e-9) {
                    continue;
                }
                let mut e = Expression::default();
                for (i, &v) in types.iter().enumerate() {
                    e.add_mul(cost[i], y[a][v].expect("a type that drives the leg"));
                }
                for &p in &through[a] {
                    e.add_mul(-beta, x[p]);
                }
                add(e.geq(g0 - beta * f64::from(n0)), Row::Envelope(a, n0));
            }
        }
        for (k, ps) in by_k {
            let c = &net.commodities[k];
            if !cuts.linking || (c.count >= max_cap && !c.accessible) {
                continue;
            }
            let mut e = Expression::default();
            for &p in &ps {
                e.add_mul(1.0, x[p]);
            }
            let per = |v: usize| f64::from(c.count.min(if c.accessible { net.acc_cap[v] } else { net.cap[v] }));
            add(e.leq(seats(&per)), Row::Linking(a, k));
        }
    }
    if cuts.rounding {
        // Rounding cuts per departure point and per drop point. Every served worker of origin
        // o leaves on a bus out of o, and every served worker bound for d arrives on a bus
        // into d: with N_v the buses of type v on those legs and U the unserved workers,
        // sum_v C_v N_v + U >= W. Divided by a bus size `delta` (b = W / delta, f = frac(b) >
        // 0), the mixed-integer rounding inequality
        //   sum_v (floor(C_v / delta) + min(frac(C_v / delta), f) / f) N_v + U / (delta f) >= ceil(b)
        // holds for every integer N, and cuts off LPs that pay for a fraction of the last bus.
        // (legs, commodities) per origin, then per destination, in one pass each.
        let no = s.origins.len();
        let mut sides: Vec<(Vec<usize>, Vec<usize>)> = vec![(Vec::new(), Vec::new()); no + s.destinations.len()];
        for (a, leg) in net.legs.iter().enumerate() {
            if let Site::Origin(o) = leg.from {
                sides[o].0.push(a);
            }
            if let Site::Dest(d) = leg.to {
                sides[no + d].0.push(a);
            }
        }
        for (k, c) in net.commodities.iter().enumerate() {
            sides[c.origin].1.push(k);
            sides[no + c.dest].1.push(k);
        }
        for (side, (legs, ks)) in sides.into_iter().enumerate() {
            let want: u32 = ks.iter().map(|&k| net.commodities[k].count).sum();
            if want == 0 {
                continue;
            }
            let mut sizes: Vec<u32> =
                (0..nv).filter(|&v| legs.iter().any(|&a| y[a][v].is_some())).map(|v| net.cap[v]).filter(|&c| c > 0).collect();
            sizes.sort_unstable();
            sizes.dedup();
            for &delta in &sizes {
                let delta = f64::from(delta);
                let b = f64::from(want) / delta;
                let f = b - b.floor();
                if f < 1e-6 {
                    continue;
                }
                let mut e = Expression::default();
                for (v, &cap) in net.cap.iter().enumerate() {
                    let a_v = f64::from(cap) / delta;
                    let coef = a_v.floor() + (a_v - a_v.floor()).min(f) / f;
                    for &a in &legs {
                        if let Some(var) = y[a][v] {
                            e.add_mul(coef, var);
                        }
                    }
                }
                for &k in &ks {
                    e.add_mul(1.0 / (delta * f), u[k]);
                }
                add(e.geq(b.ceil()), Row::Rounding(side, delta as u32));
            }
        }
    }
    // Service seats: sum_{p via s} x_p <= seats_s.
    for (si, svc) in s.services.iter().enumerate() {
        let mut e = Expression::default();
        let mut any = false;
        for (p, path) in net.paths.iter().enumerate() {
            if path.service == Some(si) {
                e.add_mul(1.0, x[p]);
                any = true;
            }
        }
        if any {
            add(e.leq(f64::from(svc.seats)), Row::Seats(si));
        }
    }
    // Fleet at an origin: sum_{a out of o} y_av <= fleet_ov; escorts: sum_{a out of o, v} y_av <= E_o.
    for (o, origin) in s.origins.iter().enumerate() {
        let mut all = Expression::default();
        let mut any = false;
        for (v, fleet) in (0..nv).map(|v| (v, origin_fleet(o, v))) {
            let mut e = Expression::default();
            let mut any_v = false;
            for (row, leg) in y.iter().zip(&net.legs) {
                if leg.from == Site::Origin(o) {
                    if let Some(var) = row[v] {
                        e.add_mul(1.0, var);
                        all.add_mul(1.0, var);
                        any_v = true;
                    }
                }
            }
            if any_v {
                any = true;
                add(e.leq(f64::from(fleet)), Row::Fleet(o, v));
            }
        }
        if let (Some(esc), true) = (origin.escorts, any) {
            add(all.leq(f64::from(esc)), Row::Escorts(o));
        }
    }
    for (h, hub) in s.hubs.iter().enumerate() {
        let ins: Vec<usize> = (0..net.legs.len()).filter(|&a| net.legs[a].to == Site::Hub(h)).collect();
        let outs: Vec<usize> = (0..net.legs.len()).filter(|&a| net.legs[a].from == Site::Hub(h)).collect();
        // Vehicle conservation with time (Hall's condition for nested neighbourhoods): an
        // outbound bus on leg a must be an incoming bus arriving by L_a (latest arrival that
        // still meets the deadline beyond a) or a bus based at h. For every threshold L:
        // sum_{a out of h, L_a <= L} y_av <= sum_{b into h, arr_b <= L} y_bv + z_hv.
        let mut thresholds: Vec<i64> = outs.iter().filter(|&&a| y[a].iter().any(Option::is_some)).map(|&a| net.leg_time[a]).collect();
        thresholds.sort_unstable();
        thresholds.dedup();
        for v in 0..nv {
            let arrivals: Vec<i64> = ins.iter().filter(|&&b| y[b][v].is_some()).map(|&b| net.leg_time[b]).collect();
            let limits = if every_threshold { thresholds.clone() } else { binding_thresholds(&thresholds, arrivals) };
            for limit in limits {
                let mut lhs = Expression::default();
                let mut any = false;
                for &a in &outs {
                    if net.leg_time[a] <= limit {
                        if let Some(var) = y[a][v] {
                            lhs.add_mul(1.0, var);
                            any = true;
                        }
                    }
                }
                if !any {
                    continue;
                }
                let mut rhs = Expression::default();
                for &b in &ins {
                    if net.leg_time[b] <= limit {
                        if let Some(var) = y[b][v] {
                            rhs.add_mul(1.0, var);
                        }
                    }
                }
                if let Some(zv) = z[h][v] {
                    rhs.add_mul(1.0, zv);
                }
                add(lhs.leq(rhs), Row::Conservation(h, v, limit));
            }
        }
        // Escorts for buses based at the hub: sum_v z_hv <= E_h.
        if let Some(esc) = hub.escorts {
            let mut e = Expression::default();
            let mut any = false;
            for var in z[h].iter().flatten() {
                e.add_mul(1.0, *var);
                any = true;
            }
            if any {
                add(e.leq(f64::from(esc)), Row::HubEscorts(h));
            }
        }
        // Hub size: sum_{b into h, v} y_bv + sum_v z_hv <= max_buses_h.
        if let Some(max) = hub.max_buses {
            let mut e = Expression::default();
            let mut any = false;
            for &b in &ins {
                for var in y[b].iter().flatten() {
                    e.add_mul(1.0, *var);
                    any = true;
                }
            }
            for var in z[h].iter().flatten() {
                e.add_mul(1.0, *var);
                any = true;
            }
            if any {
                add(e.leq(f64::from(max)), Row::HubSize(h));
            }
        }
    }
    Model { vars, objective, constraints, x, u, y, z, rows }
}

/// Per leg, the workers of every commodity with a path through it (`Q_a`), and of the
/// accessible ones among them: no plan carries more on the leg.
pub(crate) fn leg_workers(net: &Network) -> Vec<(u32, u32)> {
    let mut riders: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); net.legs.len()];
    for p in &net.paths {
        for &a in &p.legs {
            riders[a].insert(p.commodity);
        }
    }
    riders
        .iter()
        .map(|ks| {
            let workers = |accessible_only: bool| ks.iter().map(|&k| &net.commodities[k]).filter(|c| c.accessible || !accessible_only).map(|c| c.count).sum();
            (workers(false), workers(true))
        })
        .collect()
}

/// The thresholds of a hub's conservation rows that are not implied by another (`thresholds`
/// sorted and distinct). Between two arrivals the right-hand side stays and the left grows,
/// so the row of the last threshold before the next arrival implies the rows of the thresholds
/// before it: only the thresholds with an arrival after them and no later than the next
/// threshold, and the last, are kept. The LP is the same with a fraction of the rows and
/// nonzeros: on the city tier 150 rows with 15,000 nonzeros instead of 1,329 with 130,000 (of
/// 244,000 in all), which halved PDHG's time.
pub(crate) fn binding_thresholds(thresholds: &[i64], mut arrivals: Vec<i64>) -> Vec<i64> {
    arrivals.sort_unstable();
    let binding = |i: usize| {
        thresholds.get(i + 1).is_none_or(|&next| {
            let first_after = arrivals.partition_point(|&t| t <= thresholds[i]);
            arrivals.get(first_after).is_some_and(|&t| t <= next)
        })
    };
    (0..thresholds.len()).filter(|&i| binding(i)).map(|i| thresholds[i]).collect()
}

/// Loads above which a leg gets no envelope cut: its hull is then the cheapest type's line
/// almost everywhere (which the capacity row gives), and the cover costs take `O(Q T)` to list.
pub const ENVELOPE_LOAD: u32 = 3_000;

/// The lower convex hull of `g(n)`, the cheapest cover of `n` seats by buses of sizes `cap` at
/// costs `cost`, over `n` in `0..=q`: its segments `(n_i, g(n_i), slope_i)` from `n = 0`, in
/// order (slopes increase). Empty when `q` is 0 or above [`ENVELOPE_LOAD`], or no bus has seats.
pub fn envelope(q: u32, cap: &[u32], cost: &[f64]) -> Vec<(u32, f64, f64)> {
    if q == 0 || q > ENVELOPE_LOAD || cap.iter().all(|&c| c == 0) {
        return Vec::new();
    }
    let g = crate::mix::cover_costs(q, cap, cost);
    // Andrew's monotone chain, lower hull, over the points (n, g(n)).
    let mut hull: Vec<(u32, f64)> = Vec::new();
    for (n, &gn) in g.iter().enumerate() {
        let pt = (n as u32, gn);
        while hull.len() >= 2 {
            let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
            // b leaves the hull if it is on or above the line from a to pt.
            let cross = f64::from(b.0 - a.0) * (pt.1 - a.1) - (b.1 - a.1) * f64::from(pt.0 - a.0);
            if cross <= 0.0 {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(pt);
    }
    hull.windows(2).map(|w| (w[0].0, w[0].1, (w[1].1 - w[0].1) / f64::from(w[1].0 - w[0].0))).collect()
}

impl Model {
    /// Number of variables and constraints.
    pub fn size(&self) -> (usize, usize) {
        (self.vars.len(), self.constraints.len())
    }

    /// The variables, objective and constraints to hand to a backend, and a shell without them
    /// (the same variable handles and objective) to read the solution with.
    pub(crate) fn into_parts(self) -> (ProblemVariables, Expression, Vec<Constraint>, Model) {
        let Model { vars, objective, constraints, x, u, y, z, rows } = self;
        let shell = Model { vars: ProblemVariables::new(), objective: objective.clone(), constraints: Vec::new(), x, u, y, z, rows };
        (vars, objective, constraints, shell)
    }

    /// The column of each variable in `good_lp`'s numbering (creation order), which its microlp
    /// adapter keeps: for code that hands the model to a solver by hand.
    pub(crate) fn columns(&self) -> HashMap<Variable, usize> {
        self.vars.iter_variables_with_def().enumerate().map(|(j, (v, _))| (v, j)).collect()
    }

    /// Values of every variable for an allocation, as a warm start.
    pub(crate) fn start(&self, alloc: &Allocation) -> Vec<(Variable, f64)> {
        let mut out = Vec::new();
        out.extend(self.x.iter().zip(&alloc.flow).map(|(v, &f)| (*v, f64::from(f))));
        out.extend(self.u.iter().zip(&alloc.unserved).map(|(v, &f)| (*v, f64::from(f))));
        for (row, vals) in self.y.iter().zip(&alloc.buses) {
            for (var, &n) in row.iter().zip(vals) {
                if let Some(var) = var {
                    out.push((*var, f64::from(n)));
                }
            }
        }
        for (row, vals) in self.z.iter().zip(&alloc.based) {
            for (var, &n) in row.iter().zip(vals) {
                if let Some(var) = var {
                    out.push((*var, f64::from(n)));
                }
            }
        }
        out
    }

    /// Reads an allocation back from variable values.
    pub(crate) fn read(&self, value: impl Fn(Variable) -> f64) -> Allocation {
        let r = |v: Variable| value(v).round().max(0.0) as u32;
        Allocation {
            flow: self.x.iter().map(|&v| r(v)).collect(),
            unserved: self.u.iter().map(|&v| r(v)).collect(),
            buses: self.y.iter().map(|row| row.iter().map(|v| v.map_or(0, r)).collect()).collect(),
            based: self.z.iter().map(|row| row.iter().map(|v| v.map_or(0, r)).collect()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::envelope;
    use crate::mix::cover_costs;
    use proptest::prelude::*;

    proptest! {
        /// The envelope is the lower convex hull of the cover costs: it starts at 0, ends on
        /// `g(q)`, its slopes rise, every corner is a cover cost and no cover cost is below it.
        #[test]
        fn envelope_is_the_lower_hull_of_the_cover_costs(
            buses in proptest::collection::vec((5u32..60, 100u32..3000), 1..4), q in 1u32..400,
        ) {
            let cap: Vec<u32> = buses.iter().map(|b| b.0).collect();
            let cost: Vec<f64> = buses.iter().map(|b| f64::from(b.1)).collect();
            let g = cover_costs(q, &cap, &cost);
            let segs = envelope(q, &cap, &cost);
            prop_assert!(!segs.is_empty());
            prop_assert_eq!(segs[0].0, 0);
            prop_assert!(segs[0].1.abs() < 1e-12);
            for w in segs.windows(2) {
                prop_assert!(w[0].2 <= w[1].2 + 1e-9, "slopes fall: {:?}", w);
                prop_assert!(w[0].0 < w[1].0);
                let end = w[0].1 + w[0].2 * f64::from(w[1].0 - w[0].0);
                prop_assert!((end - w[1].1).abs() < 1e-6, "segments do not meet: {:?}", w);
            }
            for &(n, gn, _) in &segs {
                prop_assert!((g[n as usize] - gn).abs() < 1e-9);
            }
            let phi = |n: u32| {
                let &(n0, g0, beta) = segs.iter().rev().find(|s| s.0 <= n).expect("a segment");
                g0 + beta * f64::from(n - n0)
            };
            prop_assert!((phi(q) - g[q as usize]).abs() < 1e-6, "the hull misses g(q)");
            for n in 0..=q {
                prop_assert!(phi(n) <= g[n as usize] + 1e-6, "hull {} above g({n}) = {}", phi(n), g[n as usize]);
            }
        }
    }

    proptest! {
        /// The conservation row of every threshold is implied by a kept one: a kept threshold
        /// at or after it with no arrival in between (the same right-hand side, a left-hand
        /// side at least as large). And every kept row is needed: it is the last, or an
        /// arrival comes before the next threshold.
        #[test]
        fn kept_conservation_rows_imply_the_others(
            mut thresholds in proptest::collection::vec(0i64..60, 0..12), arrivals in proptest::collection::vec(0i64..60, 0..8),
        ) {
            thresholds.sort_unstable();
            thresholds.dedup();
            let kept = super::binding_thresholds(&thresholds, arrivals.clone());
            let between = |a: i64, b: i64| arrivals.iter().any(|&t| a < t && t <= b);
            for &l in &thresholds {
                prop_assert!(kept.iter().any(|&k| k >= l && !between(l, k)), "{l} of {thresholds:?} not implied by {kept:?}");
            }
            for &k in &kept {
                let next = thresholds.iter().copied().find(|&t| t > k);
                prop_assert!(next.is_none_or(|n| between(k, n)), "{k} kept without need: {thresholds:?} {arrivals:?}");
            }
        }
    }

    #[test]
    fn no_envelope_without_load_or_seats() {
        assert!(envelope(0, &[53], &[1000.0]).is_empty());
        assert!(envelope(10, &[], &[]).is_empty());
        assert!(envelope(super::ENVELOPE_LOAD + 1, &[53], &[1000.0]).is_empty());
    }
}
