//! The drop points' Lagrangian bound: the rows of the model that join two drop points are
//! priced by duals of its LP, and what is left falls apart into one small integer program per
//! drop point, each solved exactly.
//!
//! The columns of drop point `d` are the flows `x_p` and unserved `u_k` of the commodities
//! bound for `d` and the buses `y_av` of the legs into `d`; every other column (the buses of
//! legs into hubs, `z_hv`) is a master column. A row whose columns all belong to one drop point
//! stays in that drop point's block (demand, capacity and accessible seats of legs into `d`,
//! their envelope and linking cuts, the rounding cuts of `d`). Every other row `i` (capacity
//! of legs into hubs, conservation at hubs, fleets, escorts, service seats, the departure
//! points' rounding cuts) is a linking row `K_i x >= q_i` (or `= q_i`) and is moved into the
//! objective with a multiplier `pi_i` (`>= 0` on inequalities, free on equalities). For every
//! such `pi`, with `r = c - K_link' pi`,
//!
//! `L(pi) = sum_i pi_i q_i + sum_{j master} min(l_j r_j, u_j r_j) + sum_d min { r' x : x an integer point of block d }`
//!
//! is at most the model's integer optimum: an integer point of the model lies in every block
//! and in the master's box, and there `pi_i (q_i - K_i x) <= 0` on every linking row. At the
//! LP's duals `L(pi)` is at least the LP's optimum (each block's integer minimum is at least
//! its LP minimum, and at those duals the LP minima sum to the LP's optimum); what it adds is
//! the integrality of the buses into each drop point, where the LP's gap lies on the county
//! tier. There (seed 1) the model with only those buses integer has the optimum 126,096 yuan,
//! the model itself 126,097, and the model with only the buses out of departure points
//! integer 125,454, against the LP's 125,126 (`HiGHS`).
//!
//! The multipliers are the LP's duals, two sets of them, each giving a bound, the larger
//! taken: an optimal vertex of the dual (`HiGHS`'s row duals on the `highs` backend; on
//! microlp, which gives no duals, its simplex's optimum of the dual LP) and PDHG's (the duals
//! of its Lagrangian bound, [`pdhg::solve_from`]). Neither is always the better: county tier
//! seeds 1-3, 126,059, 125,867 and 127,748 yuan at the vertex of microlp's dual LP (in
//! 0.16, 0.27 and 0.11 s), 126,060, 126,027 and 127,530 at PDHG's (0.26, 0.97 and 0.22 s);
//! the optimum of seed 1 is 126,097, of seed 3 127,770. The blocks are solved by microlp's
//! branch and bound, in parallel; a block that its node limit stops gives its proven bound
//! instead of its optimum.
//!
//! Where it is not used: on the city tier (200 drop points) it gave 7,119,269 yuan at the
//! duals of PDHG's 5,000 iterations, in 4.6 s, below the finer bound (7,130,277): there the gap
//! is not in the buses into drop points.

use super::cuts;
use super::pdhg::{self, Lp};
use super::{below_tolerance, model, Backend};
use crate::network::{Network, Site};
use crate::scenario::Scenario;
use microlp::{ComparisonOp, OptimizationDirection, Problem, SolveOptions, TerminationReason};
use rayon::prelude::*;
use std::time::Instant;

/// Iterations of PDHG for its set of duals. County tier seeds 1-3, the bound after 1,000,
/// 2,000, 5,000, 10,000 and 20,000 iterations: 125,718, 126,043, 126,058, 126,060 and 126,059
/// yuan; 124,935, 125,120, 125,887, 126,027 and 126,038; 127,233, 127,280, 127,387, 127,530 and
/// 127,685 (at `HiGHS`'s duals 126,046, 125,983 and 127,748). 10,000 take 0.2-0.3 s on seeds 1
/// and 3 and 1 s on seed 2, whose LP is larger.
pub const BLOCK_ITERATIONS: usize = 10_000;

/// Least time limit, seconds, under which the bound takes PDHG's duals as well as the
/// vertex's: PDHG's 10,000 iterations take 0.2-1 s on the county tier, and beside the search
/// they did not end in time under 1 s (seeds 2 and 3: the LP's bound and a `time_limit`
/// status; with the vertex's duals only, 125,867 and 127,748 yuan).
pub const PDHG_DUALS_MIN_LIMIT_S: f64 = 5.0;

/// Most nodes of a block's branch and bound; a block stopped by it gives its proven bound,
/// which rises slowly: county tier seed 1 at PDHG's duals after 10,000 iterations, 125,161
/// yuan with 100 nodes a block, 125,308 with 300, 125,910 with 1,000 and 126,060 with 5,000
/// (the largest block takes 1,580 nodes at `HiGHS`'s duals).
pub const BLOCK_NODES: u64 = 5_000;

/// The drop points' bound of the model with every cut (lowered for tolerance), at the duals of
/// a vertex and, `with_pdhg`, at PDHG's too, and whether the deadline left it to its end (its
/// duals and every block; a block stopped by its node limit gives the same bound on every
/// machine). `None` if the backend gave no duals or a block no bound.
pub(crate) fn drop_point_bound(s: &Scenario, net: &Network, backend: Backend, with_pdhg: bool, deadline: Instant) -> Option<(f64, bool)> {
    let m = model::build(s, net, false, model::Cuts::ALL);
    let cols = m.columns();
    let (mut lp, _) = Lp::from_model(&m)?;
    cuts::drop_point_bounds(net, &m, &mut lp);
    let n = lp.c.len();
    // The block of each column (`None`: master) and which columns are integer. Flows are
    // integer only on paths with a service: with the buses `y` (and those flows) fixed at
    // integers, the rest of a block's rows in `x` and `u` are its demand rows and, per leg, the
    // capacity row and the accessible row on a subset of its columns, two laminar families: a
    // totally unimodular matrix with integer right-hand sides, so some optimal `x` is integer
    // and satisfies the cuts, which hold at every integer point. The block's minimum is the
    // same, with fewer columns to branch on (county tier seed 2: the blocks take 0.41 s
    // instead of 0.64 s at `HiGHS`'s duals).
    let mut block: Vec<Option<usize>> = vec![None; n];
    let mut integer = vec![true; n];
    for (p, x) in m.x.iter().enumerate() {
        block[cols[x]] = Some(net.commodities[net.paths[p].commodity].dest);
        integer[cols[x]] = net.paths[p].service.is_some();
    }
    for (k, u) in m.u.iter().enumerate() {
        block[cols[u]] = Some(net.commodities[k].dest);
        integer[cols[u]] = false;
    }
    for (a, ys) in m.y.iter().enumerate() {
        if let Site::Dest(d) = net.legs[a].to {
            for y in ys.iter().flatten() {
                block[cols[y]] = Some(d);
            }
        }
    }
    drop(m);
    let blocks = Blocks::of(&lp, block, integer, s.destinations.len());
    // Two sets of multipliers, each giving a bound: a vertex of the dual (the simplex's) and
    // PDHG's. Neither is always the better (module docs).
    let (vertex, pdhg) = rayon::join(|| simplex_duals(&lp, backend, deadline), || if with_pdhg { pdhg_duals(&lp, deadline) } else { None });
    let bounds: Vec<(Option<f64>, bool)> = [vertex, pdhg]
        .into_par_iter()
        .map(|duals| match duals {
            Some((pi, solved)) => {
                let (bound, whole) = blocks.lagrangian(&lp, &pi, deadline);
                (bound, solved && whole)
            }
            None => (None, true),
        })
        .collect();
    let best = bounds.iter().filter_map(|b| b.0).reduce(f64::max)?;
    Some((below_tolerance(best), bounds.iter().all(|b| b.1) && Instant::now() < deadline))
}

/// PDHG's duals of the LP after [`BLOCK_ITERATIONS`], and whether the deadline left it all
/// of them. `None` if it found no finite bound.
fn pdhg_duals(lp: &Lp, deadline: Instant) -> Option<(Vec<f64>, bool)> {
    let found = pdhg::solve_from(lp, BLOCK_ITERATIONS, 1e-9, deadline, None, &[]);
    found.bound.is_finite().then_some((found.y, found.complete))
}

/// The duals of an optimal vertex of the LP, from the backend's simplex: on microlp, which
/// gives no duals, its optimum of the dual LP ([`dual_lp`]); on `HiGHS` its row duals. `None`
/// if the solver gave up; the duals are always complete.
fn simplex_duals(lp: &Lp, backend: Backend, deadline: Instant) -> Option<(Vec<f64>, bool)> {
    match backend {
        Backend::Microlp => dual_lp(lp, deadline),
        #[cfg(feature = "highs")]
        Backend::Highs => highs_duals(lp, deadline),
        #[cfg(not(feature = "highs"))]
        Backend::Highs => None,
    }
    .map(|y| (y, true))
}

/// The rows' duals of the LP from microlp's simplex on its dual, `max q'y + l'w - u'v`
/// subject to `K'y + w - v = c`, `w, v >= 0`, `y >= 0` on inequalities (`w` left out where
/// `l = 0`: the row is then `K'y - v <= c`).
fn dual_lp(lp: &Lp, deadline: Instant) -> Option<Vec<f64>> {
    let n = lp.c.len();
    let m = lp.rows.len();
    let mut p = Problem::new(OptimizationDirection::Maximize);
    p.set_time_limit(deadline.saturating_duration_since(Instant::now()));
    let y: Vec<microlp::Variable> = (0..m).map(|i| p.add_var(lp.q[i], if lp.eq[i] { (f64::NEG_INFINITY, f64::INFINITY) } else { (0.0, f64::INFINITY) })).collect();
    let mut by_col: Vec<Vec<(microlp::Variable, f64)>> = vec![Vec::new(); n];
    for (i, row) in lp.rows.iter().enumerate() {
        for &(j, a) in row {
            by_col[j].push((y[i], a));
        }
    }
    for (j, mut expr) in by_col.into_iter().enumerate() {
        expr.push((p.add_var(-lp.upper[j], (0.0, f64::INFINITY)), -1.0));
        if lp.lower[j] == 0.0 {
            p.add_constraint(&expr[..], ComparisonOp::Le, lp.c[j]);
        } else {
            expr.push((p.add_var(lp.lower[j], (0.0, f64::INFINITY)), 1.0));
            p.add_constraint(&expr[..], ComparisonOp::Eq, lp.c[j]);
        }
    }
    let sol = p.solve().ok()?.into_solution().ok()?;
    Some(y.iter().map(|&v| sol.var_value(v)).collect())
}

/// `HiGHS`'s row duals of the LP ([`cuts::highs_lp`]): `>= 0` on inequalities for a minimum,
/// with reduced costs `c - K' y`.
#[cfg(feature = "highs")]
fn highs_duals(lp: &Lp, deadline: Instant) -> Option<Vec<f64>> {
    let (mut m, _) = cuts::highs_lp(lp);
    m.set_option("time_limit", deadline.saturating_duration_since(Instant::now()).as_secs_f64().max(1e-3));
    let solved = m.try_solve().ok()?;
    (solved.status() == highs::HighsModelStatus::Optimal).then(|| solved.get_solution().dual_rows().to_vec())
}

/// The drop points' blocks of an LP, the same whatever the multipliers.
struct Blocks {
    /// The block of each column (`None`: master).
    block: Vec<Option<usize>>,
    /// Which columns are integer.
    integer: Vec<bool>,
    /// The block of each row (`None`: a linking row).
    row_block: Vec<Option<usize>>,
    /// The columns and the rows of each block.
    columns: Vec<Vec<usize>>,
    rows: Vec<Vec<usize>>,
}

impl Blocks {
    /// The blocks of `lp` with the columns' blocks `block` over `blocks` drop points: a row is
    /// a block's if all its columns are; else it links blocks.
    fn of(lp: &Lp, block: Vec<Option<usize>>, integer: Vec<bool>, blocks: usize) -> Blocks {
        let row_block: Vec<Option<usize>> = lp
            .rows
            .iter()
            .map(|row| {
                let first = row.first().and_then(|&(j, _)| block[j])?;
                row.iter().all(|&(j, _)| block[j] == Some(first)).then_some(first)
            })
            .collect();
        let mut columns = vec![Vec::new(); blocks];
        for (j, b) in block.iter().enumerate() {
            if let Some(d) = b {
                columns[*d].push(j);
            }
        }
        let mut rows = vec![Vec::new(); blocks];
        for (i, b) in row_block.iter().enumerate() {
            if let Some(d) = b {
                rows[*d].push(i);
            }
        }
        Blocks { block, integer, row_block, columns, rows }
    }

    /// `L(y)` (module docs) of `lp`, and whether the deadline left every block to its end.
    /// `None` as the bound if a block gave none.
    fn lagrangian(&self, lp: &Lp, y: &[f64], deadline: Instant) -> (Option<f64>, bool) {
        let mut total = lp.constant;
        let mut r = lp.c.clone();
        for (i, row) in lp.rows.iter().enumerate() {
            if self.row_block[i].is_some() {
                continue;
            }
            // Only multipliers of the rows' signs give bounds.
            let pi = if lp.eq[i] { y[i] } else { y[i].max(0.0) };
            total += pi * lp.q[i];
            for &(j, a) in row {
                r[j] -= pi * a;
            }
        }
        for (j, b) in self.block.iter().enumerate() {
            if b.is_none() {
                total += (lp.lower[j] * r[j]).min(lp.upper[j] * r[j]);
            }
        }
        let solved: Vec<(Option<f64>, bool)> = (0..self.columns.len())
            .into_par_iter()
            .map(|d| block_minimum(lp, &r, &self.integer, &self.columns[d], &self.rows[d], deadline))
            .collect();
        let mut whole = true;
        for (b, complete) in solved {
            let Some(b) = b else { return (None, false) };
            total += b;
            whole &= complete;
        }
        (Some(total), whole)
    }
}

/// The least `r' x` over the integer points of one block (its `columns` and `rows` of `lp`):
/// microlp's branch and bound within [`BLOCK_NODES`], its proven bound where that stops it,
/// and whether the deadline left it to its end (a stop on the node limit is the same on every
/// machine). `None` if microlp fails or leaves no bound.
fn block_minimum(lp: &Lp, r: &[f64], integer: &[bool], columns: &[usize], rows: &[usize], deadline: Instant) -> (Option<f64>, bool) {
    if columns.is_empty() {
        return (Some(0.0), true);
    }
    let mut p = Problem::new(OptimizationDirection::Minimize);
    let mut var = vec![None; lp.c.len()];
    for &j in columns {
        var[j] = Some(if integer[j] {
            p.add_integer_var(r[j], (lp.lower[j] as i32, lp.upper[j].min(f64::from(i32::MAX)) as i32))
        } else {
            p.add_var(r[j], (lp.lower[j], lp.upper[j]))
        });
    }
    for &i in rows {
        let expr: Vec<(microlp::Variable, f64)> = lp.rows[i].iter().filter_map(|&(j, a)| Some((var[j]?, a))).collect();
        p.add_constraint(&expr[..], if lp.eq[i] { ComparisonOp::Eq } else { ComparisonOp::Ge }, lp.q[i]);
    }
    let mut options = SolveOptions::default();
    options.node_limit = Some(BLOCK_NODES);
    options.time_limit = Some(deadline.saturating_duration_since(Instant::now()));
    let Ok(out) = p.solve_with(options) else { return (None, false) };
    let bound = match out.termination_reason() {
        TerminationReason::ProvenOptimal => out.solution().map(microlp::Solution::objective),
        _ => out.stats().best_bound,
    };
    (bound.map(below_tolerance), out.termination_reason() != TerminationReason::TimeLimit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::far;
    use proptest::prelude::*;

    /// The county tier, seed 1: above the cut bound (125,550 yuan) and at or below the optimum
    /// that `HiGHS` proves (126,097.18 yuan), on each backend.
    #[test]
    fn county_bound_nears_the_optimum() {
        let s = crate::generate::tiers::county(1);
        let net = crate::network::network_of(&s);
        for backend in crate::solve::backends() {
            let (bound, complete) = drop_point_bound(&s, &net, backend, true, far()).expect("a bound");
            assert!(complete, "{backend:?}");
            assert!(bound > 126_000.0, "{backend:?}: {bound}");
            assert!(bound <= 126_097.18, "{backend:?}: {bound}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// The bound bounds plans: on random small scenarios it is at or below the cost of
        /// `fast`'s plan and, with `HiGHS`, the model's MIP optimum, on each backend.
        #[test]
        fn drop_point_bound_stays_below_plans(seed in 0u64..1_000_000, hubs in 1usize..3, train: bool) {
            let s = crate::generate::small(crate::generate::Small { origins: 3, hubs, destinations: 3, types: 2, train }, seed);
            let net = crate::network::network_of(&s);
            let mut bounds = Vec::new();
            for backend in crate::solve::backends() {
                let (bound, complete) = drop_point_bound(&s, &net, backend, true, far()).expect("a bound");
                prop_assert!(complete);
                bounds.push(bound);
            }
            let tol = |c: f64| 1e-6 * c.abs().max(1.0);
            let costs = crate::solve::plan_costs(&s, &net);
            for c in costs {
                for &bound in &bounds {
                    prop_assert!(bound <= c + tol(c), "drop points' bound {} above {}", bound, c);
                }
            }
        }
    }
}
