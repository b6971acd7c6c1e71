//! Large neighbourhood search with exact sub-models: the allocation model with every variable
//! fixed at its value in the incumbent except those of one drop point's workers, solved by
//! microlp's branch and bound within a fixed number of nodes.
//!
//! The polish of [`super::heuristic`] moves one commodity (or a group) at a time, and its
//! loading chooses the buses. The plans it misses change several commodities and bus types at
//! once: on the county tier (seed 1) the first saving (127,325 -> 126,214 yuan) sends 24 of
//! Longcheng's workers for Pulandian direct instead of through the service area, 17 of
//! Beipiao's and 7 of Lingyuan's through it instead of direct, and changes the buses of seven
//! legs, among them Shuangta's feeders to the service area (a 53-seater and a 45-seater
//! become three 33-seat minibuses), though none of Shuangta's workers moves.
//!
//! **The neighbourhood of drop point `d`.** Free: `x_p` and `u_k` of every commodity `k` bound
//! for `d`; `y_av` of every leg of their paths, and of every leg into a hub on them (a hub may
//! need its empty feeders changed); `z_hv` of every hub. Fixed: everything else, at the
//! incumbent's value. Every row of the model stays, the fixed terms moved to its right-hand
//! side; a row with no free variable left holds already and is dropped. The incumbent is a
//! solution of the sub-model and its warm start, so the answer never costs more.
//!
//! The sub-model is handed to microlp as it is (no `good_lp` in between), so that fixed
//! variables cost nothing; or, for `exact` on `HiGHS`, to `HiGHS` (one thread, a fixed seed).
//! A node budget, not the clock, bounds its work: the answer does not depend on the machine
//! or the threads (the deadline only guards a slow machine, and says so).
//!
//! **RINS.** A budget may free only the part of a neighbourhood that its LP relaxation moves:
//! the integer columns whose LP value differs from the incumbent's, and the continuous ones
//! (relaxation induced neighbourhood search, Danna, Rothberg and Le Pape, 2005). On the city
//! tier that leaves about 67 of 500 free columns, which `HiGHS` solves five times as fast per
//! yuan saved; `exact` on `HiGHS` runs those first.

use super::model::Model;
use super::{model, model_cost, Allocation, Backend};
use crate::network::{Network, Site};
use crate::scenario::Scenario;
use good_lp::IntoAffineExpression;
use rayon::prelude::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A column of the model: objective coefficient, bounds and integrality.
struct Column {
    cost: f64,
    min: f64,
    max: f64,
    integer: bool,
}

/// A row of the model, `sum terms + constant <= 0` (or `= 0`), terms sorted by column.
struct Row {
    terms: Vec<(usize, f64)>,
    constant: f64,
    equality: bool,
}

/// The model as plain columns and rows, with the column of every variable of an allocation.
pub(crate) struct Flat {
    columns: Vec<Column>,
    rows: Vec<Row>,
    /// Rows that hold each column (for the rows a neighbourhood keeps).
    rows_of: Vec<Vec<usize>>,
    /// Column of `x_p`, `u_k`, `y_av` (`None`: no variable), `z_hv`.
    x: Vec<usize>,
    u: Vec<usize>,
    y: Vec<Vec<Option<usize>>>,
    z: Vec<Vec<Option<usize>>>,
}

impl Flat {
    /// Flattens a model built with integer variables.
    pub(crate) fn of(m: &Model) -> Flat {
        let index: HashMap<good_lp::Variable, usize> = m.columns();
        let col = |v: &good_lp::Variable| index[v];
        let mut cost = vec![0.0; index.len()];
        for (v, c) in (&m.objective).linear_coefficients() {
            cost[col(&v)] += c;
        }
        let columns: Vec<Column> = m
            .vars
            .iter_variables_with_def()
            .zip(cost)
            .map(|((_, def), cost)| Column { cost, min: def.get_min(), max: def.get_max(), integer: def.is_integer() })
            .collect();
        let mut rows_of = vec![Vec::new(); columns.len()];
        let rows: Vec<Row> = m
            .constraints
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let e = c.expression();
                let mut terms: Vec<(usize, f64)> = e.linear_coefficients().map(|(v, a)| (col(&v), a)).filter(|&(_, a)| a != 0.0).collect();
                terms.sort_by_key(|&(j, _)| j);
                for &(j, _) in &terms {
                    rows_of[j].push(i);
                }
                Row { terms, constant: e.constant(), equality: c.is_equality() }
            })
            .collect();
        let opt = |row: &Vec<Option<good_lp::Variable>>| row.iter().map(|v| v.as_ref().map(col)).collect();
        Flat {
            columns,
            rows,
            rows_of,
            x: m.x.iter().map(col).collect(),
            u: m.u.iter().map(col).collect(),
            y: m.y.iter().map(opt).collect(),
            z: m.z.iter().map(opt).collect(),
        }
    }

    /// Every column's value in an allocation.
    fn values(&self, a: &Allocation) -> Vec<f64> {
        let mut v = vec![0.0; self.columns.len()];
        for (&j, &f) in self.x.iter().zip(&a.flow) {
            v[j] = f64::from(f);
        }
        for (&j, &f) in self.u.iter().zip(&a.unserved) {
            v[j] = f64::from(f);
        }
        for (cols, vals) in self.y.iter().chain(&self.z).zip(a.buses.iter().chain(&a.based)) {
            for (j, &n) in cols.iter().zip(vals) {
                if let Some(j) = j {
                    v[*j] = f64::from(n);
                }
            }
        }
        v
    }

    /// The allocation of column values (rounded: the columns of an allocation are integer).
    fn allocation(&self, v: &[f64]) -> Allocation {
        let r = |j: usize| v[j].round().max(0.0) as u32;
        let opt = |cols: &Vec<Option<usize>>| cols.iter().map(|j| j.map_or(0, r)).collect();
        Allocation {
            flow: self.x.iter().map(|&j| r(j)).collect(),
            unserved: self.u.iter().map(|&j| r(j)).collect(),
            buses: self.y.iter().map(opt).collect(),
            based: self.z.iter().map(opt).collect(),
        }
    }

    /// Whether values satisfy every row and bound, up to `1e-6` relative: the rounded answer of
    /// a sub-model is checked before it is kept (rounded, its integer columns are integer).
    fn holds(&self, v: &[f64]) -> bool {
        let bounds = self.columns.iter().zip(v).all(|(c, &x)| x >= c.min - 1e-9 && x <= c.max + 1e-9);
        bounds
            && self.rows.iter().all(|r| {
                let (mut sum, mut scale) = (r.constant, r.constant.abs());
                for &(j, a) in &r.terms {
                    sum += a * v[j];
                    scale = scale.max((a * v[j]).abs());
                }
                let tol = 1e-6 * scale.max(1.0);
                if r.equality {
                    sum.abs() <= tol
                } else {
                    sum <= tol
                }
            })
    }

    /// The sub-model with the columns `free` free and every other at `values`, solved by
    /// `solver` from `values` within `nodes` nodes. `None` if the solver failed or found
    /// nothing (the incumbent stays); the flag says whether the deadline stopped it.
    fn solve(&self, solver: Backend, values: &[f64], free: &[usize], nodes: u64, deadline: Instant) -> (Option<Vec<f64>>, bool) {
        match solver {
            Backend::Microlp => self.solve_microlp(values, free, nodes, deadline),
            #[cfg(feature = "highs")]
            Backend::Highs => self.solve_highs(values, free, nodes, deadline),
            #[cfg(not(feature = "highs"))]
            Backend::Highs => (None, false),
        }
    }

    /// [`Flat::solve`] in the neighbourhood `free`, or in its RINS part if the budget says so.
    fn solve_in(&self, budget: Budget, values: &[f64], free: &[usize], nodes: u64, deadline: Instant) -> (Option<Vec<f64>>, bool) {
        if !budget.rins {
            return self.solve(budget.solver, values, free, nodes, deadline);
        }
        match self.disagreeing(values, free) {
            Some(part) if part.iter().any(|&j| self.columns[j].integer) => self.solve(budget.solver, values, &part, nodes, deadline),
            _ => (None, Instant::now() >= deadline),
        }
    }

    /// The rows that hold a free column, each once, in the model's order.
    fn kept_rows(&self, free: &[usize]) -> Vec<usize> {
        let mut kept: Vec<usize> = free.iter().flat_map(|&j| self.rows_of[j].iter().copied()).collect();
        kept.sort_unstable();
        kept.dedup();
        kept
    }

    /// The right-hand side of row `i` with the columns not in `handle` at `values`, and its
    /// free terms.
    fn sub_row<H: Copy>(&self, i: usize, handle: &[Option<H>], values: &[f64]) -> (Vec<(H, f64)>, f64) {
        let row = &self.rows[i];
        let mut rhs = -row.constant;
        let mut terms = Vec::new();
        for &(j, a) in &row.terms {
            match handle[j] {
                Some(h) => terms.push((h, a)),
                None => rhs -= a * values[j],
            }
        }
        (terms, rhs)
    }

    /// [`Flat::solve`] on `HiGHS`: one thread, a fixed seed and a node limit, so that the
    /// answer depends neither on the machine nor on the threads.
    #[cfg(feature = "highs")]
    fn solve_highs(&self, values: &[f64], free: &[usize], nodes: u64, deadline: Instant) -> (Option<Vec<f64>>, bool) {
        use good_lp::{variable, Expression, ProblemVariables, Solution, SolverModel, WithInitialSolution};
        let mut vars = ProblemVariables::new();
        let mut handle = vec![None; self.columns.len()];
        let mut objective = Expression::default();
        for &j in free {
            let c = &self.columns[j];
            let def = variable().min(c.min).max(c.max);
            let h = vars.add(if c.integer { def.integer() } else { def });
            handle[j] = Some(h);
            objective.add_mul(c.cost, h);
        }
        let time = deadline.saturating_duration_since(Instant::now()).as_secs_f64().max(1e-3);
        let nodes = i32::try_from(nodes).unwrap_or(i32::MAX);
        let mut p = vars.minimise(objective).using(good_lp::highs).set_time_limit(time).set_threads(1).set_option("random_seed", 0).set_option("mip_max_nodes", nodes);
        p.set_verbose(false);
        let Ok(mut p) = p.set_mip_rel_gap(0.0) else { return (None, false) };
        p = p.with_initial_solution(free.iter().map(|&j| (handle[j].expect("free"), values[j])));
        for i in self.kept_rows(free) {
            let (terms, rhs) = self.sub_row(i, &handle, values);
            let mut e = Expression::default();
            for (h, a) in terms {
                e.add_mul(a, h);
            }
            p.add_constraint(if self.rows[i].equality { e.eq(rhs) } else { e.leq(rhs) });
        }
        let found = p.solve();
        let cut = Instant::now() >= deadline;
        let Ok(sol) = found else { return (None, cut) };
        let mut v = values.to_vec();
        for &j in free {
            v[j] = sol.value(handle[j].expect("free"));
        }
        (Some(v), cut)
    }

    /// The columns of `free` that the sub-model's LP relaxation (microlp's simplex) moves from
    /// `values`, and every continuous one: the neighbourhood of RINS (Danna, Rothberg and Le
    /// Pape, 2005) within the drop point's, whose integer columns the LP and the incumbent agree
    /// on stay fixed. `None` if the LP failed.
    fn disagreeing(&self, values: &[f64], free: &[usize]) -> Option<Vec<usize>> {
        let (p, handle) = self.microlp_problem(values, free, false);
        let lp = p.solve().ok()?.into_solution().ok()?;
        Some(free.iter().copied().filter(|&j| !self.columns[j].integer || (lp[handle[j].expect("free")] - values[j]).abs() > 1e-6).collect())
    }

    /// The sub-model as a microlp problem (its integer columns integer if `integer`), and the
    /// handle of every free column.
    fn microlp_problem(&self, values: &[f64], free: &[usize], integer: bool) -> (microlp::Problem, Vec<Option<microlp::Variable>>) {
        let mut p = microlp::Problem::new(microlp::OptimizationDirection::Minimize);
        let mut handle = vec![None; self.columns.len()];
        for &j in free {
            let c = &self.columns[j];
            handle[j] = Some(if c.integer && integer {
                p.add_integer_var(c.cost, (c.min as i32, c.max as i32))
            } else {
                p.add_var(c.cost, (c.min, c.max))
            });
        }
        for i in self.kept_rows(free) {
            let (terms, rhs) = self.sub_row(i, &handle, values);
            let mut expr = microlp::LinearExpr::empty();
            for (h, a) in terms {
                expr.add(h, a);
            }
            let op = if self.rows[i].equality { microlp::ComparisonOp::Eq } else { microlp::ComparisonOp::Le };
            p.add_constraint(expr, op, rhs);
        }
        (p, handle)
    }

    /// [`Flat::solve`] on microlp's branch and bound, driven directly.
    fn solve_microlp(&self, values: &[f64], free: &[usize], nodes: u64, deadline: Instant) -> (Option<Vec<f64>>, bool) {
        let (p, handle) = self.microlp_problem(values, free, true);
        let mut o = microlp::SolveOptions::default();
        o.node_limit = Some(nodes);
        o.mip_gap = 1e-9;
        o.time_limit = Some(deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1)));
        o.warm_start = Some(free.iter().map(|&j| (handle[j].expect("free"), values[j])).collect());
        let Ok(out) = p.solve_with(o) else { return (None, false) };
        let cut = matches!(out.termination_reason(), microlp::TerminationReason::TimeLimit);
        let Ok(sol) = out.into_solution() else { return (None, cut) };
        let mut v = values.to_vec();
        for &j in free {
            v[j] = sol[handle[j].expect("free")];
        }
        (Some(v), cut)
    }
}

/// How much search the neighbourhoods get.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Most times each drop point's neighbourhood is solved, on average.
    pub rounds: usize,
    /// Most nodes of each sub-model's branch and bound.
    pub nodes: u64,
    /// Work of all the sub-models together: nodes times the square of their free columns (the
    /// time of a node grows about so).
    pub work: f64,
    /// The sub-models' solver.
    pub solver: Backend,
    /// Whether each sub-model frees only the columns its LP relaxation moves (see
    /// `Flat::disagreeing`).
    pub rins: bool,
}

/// `fast`'s budget. Nodes: county tier, plan cost and time of a run at 300, 600, 1,000 and
/// 2,000: seed 1 126,173 yuan each time, in 0.22, 0.29, 0.38 and 0.64 s; seed 2 127,438,
/// 127,438, 127,237 and 127,099 in 0.8, 1.4, 2.1-2.2 and 3.9 s; seed 3 128,393, 128,393,
/// 127,895 and 127,770 (its optimum) in 0.3, 0.4, 0.6 and 0.9 s. Work: the county tier's
/// neighbourhoods have 120 to 200 free columns; a round of its seed 2 (eight at 1,000 nodes) is
/// 2.85e8, and its two rounds take about 2 s.
pub const FAST: Budget = Budget { rounds: 2, nodes: 1_000, work: 6e8, solver: Backend::Microlp, rins: false };

/// `exact`'s budget on microlp, ended by its share of the clock: the MIP that follows rarely
/// improves on the whole model what these find.
pub const EXACT: Budget = Budget { rounds: 10, nodes: 5_000, work: f64::INFINITY, solver: Backend::Microlp, rins: false };

/// `exact`'s budget on `HiGHS`: before its MIP on networks of up to [`super::LNS_PATHS`]
/// paths, instead of it above, where its branch and bound on the whole model does not improve
/// `fast`'s plan (city tier seed 3: 300 s without a better plan or bound). Its nodes are dear, but its presolve, cuts and heuristics
/// find what microlp's nodes do not: on city tier seed 3, a round over the drop points takes
/// 6,947,099 to 6,887,553 yuan at 20 nodes (196 s on one thread), and to 6,882,378 at the
/// default, unlimited (249 s with 5 s each), where microlp's at 2,000 nodes saves nothing.
pub const EXACT_HIGHS: Budget = Budget { rounds: 10, nodes: 20, work: f64::INFINITY, solver: Backend::Highs, rins: false };

/// [`EXACT_HIGHS`] with RINS, run before it: city tier seed 3, two rounds of 155 sub-models of
/// 67 free columns on average (of about 500) take 6,947,099 to 6,920,316 yuan in 17.8 s, where
/// one round of the whole sub-models takes 196 s to save twice that. On microlp the same
/// small sub-models save nothing at 1,000 nodes and 2,000 yuan at 20,000.
pub const EXACT_HIGHS_RINS: Budget = Budget { rins: true, ..EXACT_HIGHS };

/// The search ends when the next sub-model would get fewer nodes than this (or than the
/// budget's nodes, if fewer) from the work left.
pub const MIN_NODES: u64 = 100;

/// The columns of drop point `d`'s neighbourhood (see the module's documentation).
fn free_columns(f: &Flat, net: &Network, d: usize) -> Vec<usize> {
    let mut free = Vec::new();
    let mut leg = vec![false; net.legs.len()];
    let mut hub = vec![false; f.z.len()];
    for (k, c) in net.commodities.iter().enumerate() {
        if c.dest != d {
            continue;
        }
        free.push(f.u[k]);
        for &p in &net.paths_of[k] {
            free.push(f.x[p]);
            for &a in &net.paths[p].legs {
                leg[a] = true;
                if let Site::Hub(h) = net.legs[a].to {
                    hub[h] = true;
                }
            }
        }
    }
    for (a, l) in net.legs.iter().enumerate() {
        if leg[a] || matches!(l.to, Site::Hub(h) if hub[h]) {
            free.extend(f.y[a].iter().flatten());
        }
    }
    for row in &f.z {
        free.extend(row.iter().flatten());
    }
    free.sort_unstable();
    free
}

/// The drop points' neighbourhoods from `alloc`, in the order of the drop points and round
/// again, each improvement kept at once, until every drop point's has been solved from the
/// incumbent (the one that gave it counts), the budget's rounds or work are spent, or the
/// cost is down to `stop_at`. Returns the best allocation and whether the deadline cut a
/// sub-model short. An `alloc` that is not a solution of the model is returned as it is (the
/// search's answers always are solutions).
///
/// Neighbourhoods are solved a batch at a time, one per thread, from the same incumbent; the
/// first that saves is kept and those after it are solved again from the new incumbent. So the
/// answer is that of solving them one by one, whatever the threads.
pub fn by_destination(s: &Scenario, net: &Network, alloc: &Allocation, budget: Budget, stop_at: f64, deadline: Instant) -> (Allocation, bool) {
    let mut dests: Vec<usize> = net.commodities.iter().map(|c| c.dest).collect();
    dests.sort_unstable();
    dests.dedup();
    if dests.is_empty() {
        return (alloc.clone(), false);
    }
    // Every cut: the envelope cuts prune the sub-models' trees (county tier, seed 1: 126,920
    // yuan without them, 126,173 with them, in the same nodes).
    let f = Flat::of(&model::build(s, net, true, model::Cuts::ALL));
    // Every sub-model starts from the incumbent's values and every answer is read back
    // through them: the incumbent must be exactly a solution of the flat model.
    let start = f.values(alloc);
    if f.allocation(&start) != *alloc || !f.holds(&start) {
        debug_assert!(false, "the incumbent is not a solution of the model");
        return (alloc.clone(), false);
    }
    let free: Vec<Vec<usize>> = dests.iter().map(|&d| free_columns(&f, net, d)).collect();
    let mut best = alloc.clone();
    let mut cost = model_cost(s, net, &best);
    let mut cut = false;
    let (mut next, mut quiet, mut solved, mut work) = (0, 0, 0, budget.work);
    let limit = budget.rounds * dests.len();
    let threads = rayon::current_num_threads().max(1);
    let least = MIN_NODES.min(budget.nodes);
    while quiet < dests.len() && solved < limit && cost > stop_at {
        // The next neighbourhoods in order, each with its nodes from what the ones before it
        // leave of the work, as if solved one by one.
        let mut batch: Vec<(usize, u64)> = Vec::new();
        let mut left = work;
        for i in 0..threads.min(dests.len() - quiet).min(limit - solved) {
            let at = (next + i) % dests.len();
            let n2 = (free[at].len() as f64).powi(2).max(1.0);
            let nodes = ((left / n2) as u64).min(budget.nodes);
            batch.push((at, nodes));
            left -= nodes as f64 * n2;
        }
        if batch[0].1 < least {
            break;
        }
        if Instant::now() >= deadline {
            return (best, true);
        }
        let values = f.values(&best);
        let found: Vec<(Option<Vec<f64>>, bool)> =
            batch.par_iter().map(|&(at, nodes)| if nodes < least { (None, false) } else { f.solve_in(budget, &values, &free[at], nodes, deadline) }).collect();
        for ((at, nodes), (v, stopped)) in batch.into_iter().zip(found) {
            if nodes < least {
                return (best, cut);
            }
            cut |= stopped;
            solved += 1;
            work -= nodes as f64 * (free[at].len() as f64).powi(2).max(1.0);
            next = (next + 1) % dests.len();
            quiet += 1;
            let Some(v) = v else { continue };
            let a = f.allocation(&v);
            let c = model_cost(s, net, &a);
            if super::heuristic::saves(c, cost) && f.holds(&f.values(&a)) {
                best = a;
                cost = c;
                // Its own neighbourhood was just searched; those after it were solved from the
                // old incumbent.
                quiet = 1;
                break;
            }
        }
    }
    (best, cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{small, Small};
    use crate::solve::heuristic::PathFilter;
    use good_lp::Solution as _;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    /// The search's answer, the model and the model flattened.
    fn searched(s: &Scenario) -> (Network, Allocation, Model, Flat) {
        let net = crate::network::network_of(s);
        let a = super::super::fast_search(s, &net, PathFilter::All, far());
        let m = model::build(s, &net, true, model::Cuts::ALL);
        let f = Flat::of(&m);
        (net, a, m, f)
    }

    /// Every constraint of the model, evaluated by `good_lp` (not through the flat rows).
    fn model_holds(m: &Model, a: &Allocation) -> bool {
        let values: HashMap<good_lp::Variable, f64> = m.start(a).into_iter().collect();
        let integer = m.x.iter().chain(&m.u).all(|v| values.value(*v).fract() == 0.0);
        integer
            && m.constraints.iter().all(|c| {
                let e = c.expression();
                let lhs = e.eval_with(&values);
                let tol = 1e-6 * (1.0 + e.constant().abs());
                if c.is_equality() {
                    lhs.abs() <= tol
                } else {
                    lhs <= tol
                }
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
        /// The flat model reads an allocation back as it was and judges it as the model's own
        /// constraints do: the search's answer holds, a leg stripped of its buses does not. The
        /// neighbourhoods' answer, whole or RINS, by microlp or HiGHS, satisfies every
        /// constraint of the model and costs no more.
        #[test]
        fn neighbourhoods_keep_every_row_and_never_cost_more(seed in 0u64..1_000_000, hubs in 1usize..3, train: bool) {
            let s = small(Small { origins: 5, hubs, destinations: 5, types: 3, train }, seed);
            let (net, a, m, f) = searched(&s);
            let v = f.values(&a);
            proptest::prop_assert_eq!(&f.allocation(&v), &a);
            proptest::prop_assert!(f.holds(&v) && model_holds(&m, &a));
            let loaded = net.paths.iter().enumerate().find(|&(p, _)| a.flow[p] > 0).map(|(_, path)| path.legs[0]);
            if let Some(leg) = loaded {
                let mut stripped = a.clone();
                stripped.buses[leg].iter_mut().for_each(|n| *n = 0);
                proptest::prop_assert!(!f.holds(&f.values(&stripped)) && !model_holds(&m, &stripped));
            }
            let rins = Budget { rins: true, ..FAST };
            let solvers: &[Budget] =
                if cfg!(feature = "highs") { &[FAST, rins, Budget { rounds: 1, ..EXACT_HIGHS }, Budget { rounds: 1, ..EXACT_HIGHS_RINS }] } else { &[FAST, rins] };
            for &budget in solvers {
                let (b, cut) = by_destination(&s, &net, &a, budget, f64::NEG_INFINITY, far());
                proptest::prop_assert!(!cut);
                proptest::prop_assert!(model_holds(&m, &b), "{:?}", budget);
                proptest::prop_assert!(model_cost(&s, &net, &b) <= model_cost(&s, &net, &a) + 1e-9, "{:?}", budget);
            }
        }
    }

    /// On the county tier (seed 1) the search stops at a local optimum that the drop points'
    /// neighbourhoods improve by more than half a per cent, and one thread or several give the
    /// same allocation, also when the work budget ends the search within a batch.
    #[test]
    fn county_tier_neighbourhoods_save_whatever_the_threads() {
        let s = crate::generate::tiers::county(1);
        let (net, a, m, _) = searched(&s);
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("a pool");
        let run = |threads, budget| pool(threads).install(|| by_destination(&s, &net, &a, budget, f64::NEG_INFINITY, far()));
        let one = run(1, FAST);
        for threads in [2, 3] {
            assert_eq!(run(threads, FAST), one, "{threads} threads");
        }
        let (before, after) = (model_cost(&s, &net, &a), model_cost(&s, &net, &one.0));
        assert!(after < 0.995 * before, "{after} against {before}");
        assert!(model_holds(&m, &one.0));
        // Work for about five sub-models at 300 nodes: it runs out within the batches of 2 and
        // 3 threads.
        let short = Budget { rounds: 2, nodes: 300, work: 5.0 * 300.0 * 160.0 * 160.0, ..FAST };
        let one = run(1, short);
        for threads in [2, 3, 4] {
            assert_eq!(run(threads, short), one, "{threads} threads, short of work");
        }
        // The search stops where the cost is down to the given one: here after its first
        // saving, where it would go on to save more.
        let (halt, _) = pool(2).install(|| by_destination(&s, &net, &a, FAST, before - 1.0, far()));
        let halted = model_cost(&s, &net, &halt);
        assert!(halted < before - 1.0 && halted > after, "{halted}: {before} -> {after}");
    }

    /// Solved by `HiGHS` (`exact`'s sub-models on large networks), the county tier's
    /// neighbourhoods save too, hold every constraint of the model, and give the same
    /// allocation on one thread or several; so do their RINS parts.
    #[cfg(feature = "highs")]
    #[test]
    fn county_tier_neighbourhoods_by_highs_save_whatever_the_threads() {
        let s = crate::generate::tiers::county(1);
        let (net, a, m, _) = searched(&s);
        let budget = Budget { rounds: 1, ..EXACT_HIGHS };
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("a pool");
        let run = |threads| pool(threads).install(|| by_destination(&s, &net, &a, budget, f64::NEG_INFINITY, far()));
        let one = run(1);
        assert!(!one.1);
        assert_eq!(run(2), one);
        let (before, after) = (model_cost(&s, &net, &a), model_cost(&s, &net, &one.0));
        assert!(after < 0.995 * before, "{after} against {before}");
        assert!(model_holds(&m, &one.0));
        // RINS: the same for one thread or two, and an answer that holds.
        let rins = |threads| pool(threads).install(|| by_destination(&s, &net, &a, Budget { rounds: 1, ..EXACT_HIGHS_RINS }, f64::NEG_INFINITY, far()));
        let one = rins(1);
        assert_eq!(rins(2), one);
        assert!(model_holds(&m, &one.0) && model_cost(&s, &net, &one.0) <= before);
    }
}
