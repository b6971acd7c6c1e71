//! Choosing departure points: the p-median problem.
//!
//! Takes: client weights `w_i` (workers living at village `i`), a distance matrix `d_ij` (km from
//! village `i` to candidate site `j`) and the number `k` of sites to open. Gives: the `k` sites
//! that minimise the workers' total access distance, and every client's nearest open site.
//!
//! ```text
//! minimise    sum_i sum_j  w_i d_ij x_ij
//! subject to  sum_j x_ij = 1             for every client i   (everyone goes somewhere)
//!             x_ij <= y_j                for every i, j       (only to an open site)
//!             sum_j y_j  = k                                  (exactly k sites open)
//!             y_j in {0, 1},  0 <= x_ij <= 1
//! ```
//!
//! `x` need not be declared integer: once `y` is integral, sending every client wholly to its
//! nearest open site is optimal, so some optimal `x` is integral and the objective value is that
//! of the nearest assignment. Either way the answer is recomputed from the open set alone
//! (every client to its nearest open site, ties to the lower site index), so the result never
//! depends on how a solver split a client between tied sites.
//!
//! Two exact methods:
//! - [`Method::Enumerate`]: every one of the `C(n, k)` subsets in lexicographic order, `O(C(n, k)
//!   m k)` for `m` clients; the first subset of least cost wins.
//! - [`Method::Mip`]: the model above with `good_lp` and `microlp` (pure Rust branch and bound).
//!
//! [`Method::Auto`] enumerates when `C(n, k) <= ENUMERATION_LIMIT` and solves the MIP
//! otherwise. Both give the same least cost (they may differ in which of several tied subsets
//! they return); the property tests check that.

use std::fmt;

/// `Method::Auto` enumerates when there are at most this many subsets.
pub const ENUMERATION_LIMIT: u128 = 20_000;

/// Mean Earth radius, km (IUGG), the one geo's `Haversine` uses.
pub const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// Great-circle distance in km between two WGS84 points given in degrees (haversine formula:
/// `2 R asin(sqrt(sin^2(dlat/2) + cos lat1 cos lat2 sin^2(dlon/2)))`).
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// How to solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Enumerate when `C(n, k) <= ENUMERATION_LIMIT`, else the MIP.
    Auto,
    /// Every subset of `k` sites.
    Enumerate,
    /// The mixed-integer model with microlp.
    Mip,
}

impl Method {
    /// Lower-case name (`auto`, `enumerate`, `mip`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Enumerate => "enumerate",
            Method::Mip => "mip",
        }
    }
}

/// Why a p-median problem could not be solved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PMedianError {
    /// `k` is 0 or larger than the number of candidate sites.
    #[error("cannot open {k} of {sites} candidate sites (k must be between 1 and the number of candidates)")]
    BadK {
        /// Sites asked for.
        k: usize,
        /// Candidate sites.
        sites: usize,
    },
    /// A row of the distance matrix does not have one entry per site, or a weight or distance
    /// is negative or not finite.
    #[error("bad p-median input: {0}")]
    BadInput(String),
    /// The solver failed.
    #[error("the p-median model could not be solved: {0}")]
    Solver(String),
}

/// The chosen sites.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Open sites, indices in increasing order.
    pub open: Vec<usize>,
    /// For every client, the index of its nearest open site (ties to the lower index).
    pub assign: Vec<usize>,
    /// `sum_i w_i d_{i, assign_i}`.
    pub cost: f64,
    /// The method that found it (`Enumerate` or `Mip`, never `Auto`).
    pub method: Method,
}

/// `C(n, k)`, saturating at `u128::MAX`.
pub fn binomial(n: usize, k: usize) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let mut c: u128 = 1;
    for i in 0..k {
        // c * (n - i) / (i + 1) is exact at every step (it is C(n, i + 1)).
        c = match c.checked_mul((n - i) as u128) {
            Some(x) => x / (i as u128 + 1),
            None => return u128::MAX,
        };
    }
    c
}

/// Every client to its nearest site among `open` (ties to the lower index), and the cost.
pub fn assign_nearest(weights: &[f64], dist: &[Vec<f64>], open: &[usize]) -> (Vec<usize>, f64) {
    let mut cost = 0.0;
    let assign = dist
        .iter()
        .zip(weights)
        .map(|(row, &w)| {
            let mut best = open[0];
            for &j in &open[1..] {
                if row[j].total_cmp(&row[best]).then(j.cmp(&best)).is_lt() {
                    best = j;
                }
            }
            cost += w * row[best];
            best
        })
        .collect();
    (assign, cost)
}

fn check_input(weights: &[f64], dist: &[Vec<f64>], k: usize) -> Result<usize, PMedianError> {
    if weights.len() != dist.len() {
        return Err(PMedianError::BadInput(format!("{} weights for {} distance rows", weights.len(), dist.len())));
    }
    let n = dist.first().map_or(0, Vec::len);
    if k == 0 || k > n {
        return Err(PMedianError::BadK { k, sites: n });
    }
    for (i, row) in dist.iter().enumerate() {
        if row.len() != n {
            return Err(PMedianError::BadInput(format!("distance row {i} has {} entries, not {n}", row.len())));
        }
        if let Some(d) = row.iter().find(|d| !d.is_finite() || **d < 0.0) {
            return Err(PMedianError::BadInput(format!("distance {d} in row {i}")));
        }
        if !weights[i].is_finite() || weights[i] < 0.0 {
            return Err(PMedianError::BadInput(format!("weight {} of client {i}", weights[i])));
        }
    }
    Ok(n)
}

/// Opens `k` of the candidate sites (columns of `dist`) so that the weighted distance from every
/// client (rows) to its nearest open site is least. See the module documentation.
pub fn solve(weights: &[f64], dist: &[Vec<f64>], k: usize, method: Method) -> Result<Solution, PMedianError> {
    let n = check_input(weights, dist, k)?;
    let method = match method {
        Method::Auto if binomial(n, k) <= ENUMERATION_LIMIT => Method::Enumerate,
        Method::Auto => Method::Mip,
        m => m,
    };
    let open = match method {
        _ if k == n => (0..n).collect(),
        Method::Enumerate => enumerate(weights, dist, n, k),
        _ => mip(weights, dist, n, k)?,
    };
    let (assign, cost) = assign_nearest(weights, dist, &open);
    Ok(Solution { open, assign, cost, method })
}

/// The cheapest `k`-subset by enumeration, in lexicographic order; the first of several tied
/// subsets wins (a later subset must be cheaper by more than a rounding error).
fn enumerate(weights: &[f64], dist: &[Vec<f64>], n: usize, k: usize) -> Vec<usize> {
    let mut subset: Vec<usize> = (0..k).collect();
    let mut best = subset.clone();
    let mut best_cost = f64::INFINITY;
    loop {
        // cost(S) = sum_i w_i min_{j in S} d_ij
        let mut cost = 0.0;
        for (row, &w) in dist.iter().zip(weights) {
            let near = subset.iter().map(|&j| row[j]).fold(f64::INFINITY, f64::min);
            cost += w * near;
            if cost >= best_cost {
                break;
            }
        }
        if best_cost.is_infinite() || cost < best_cost - 1e-9 * best_cost.max(1.0) {
            best_cost = cost;
            best.clone_from(&subset);
        }
        // Next subset in lexicographic order: bump the rightmost index that can move.
        let Some(i) = (0..k).rev().find(|&i| subset[i] < n - k + i) else { break };
        subset[i] += 1;
        for t in i + 1..k {
            subset[t] = subset[t - 1] + 1;
        }
    }
    best
}

/// The open sites of an optimal solution of the MIP in the module documentation.
fn mip(weights: &[f64], dist: &[Vec<f64>], n: usize, k: usize) -> Result<Vec<usize>, PMedianError> {
    use good_lp::{variable, Expression, ProblemVariables, Solution as _, SolverModel};
    let mut vars = ProblemVariables::new();
    // y_j in {0, 1}: site j is open.
    let y: Vec<good_lp::Variable> = (0..n).map(|_| vars.add(variable().binary())).collect();
    // x_ij in [0, 1]: share of client i served by site j (only for clients with workers).
    let clients: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] > 0.0).collect();
    let x: Vec<Vec<good_lp::Variable>> =
        clients.iter().map(|_| (0..n).map(|_| vars.add(variable().min(0).max(1))).collect()).collect();
    let mut objective = Expression::default();
    for (c, &i) in clients.iter().enumerate() {
        for j in 0..n {
            objective.add_mul(weights[i] * dist[i][j], x[c][j]);
        }
    }
    let mut problem = vars.minimise(objective).using(good_lp::microlp);
    for xc in &x {
        // sum_j x_ij = 1
        let mut e = Expression::default();
        for &v in xc {
            e.add_mul(1.0, v);
        }
        problem.add_constraint(e.eq(1.0));
        // x_ij <= y_j
        for (j, &v) in xc.iter().enumerate() {
            let mut e = Expression::default();
            e.add_mul(1.0, v);
            e.add_mul(-1.0, y[j]);
            problem.add_constraint(e.leq(0.0));
        }
    }
    // sum_j y_j = k
    let mut e = Expression::default();
    for &v in &y {
        e.add_mul(1.0, v);
    }
    problem.add_constraint(e.eq(k as f64));
    let sol = problem.solve().map_err(|e| PMedianError::Solver(e.to_string()))?;
    let mut open: Vec<usize> = (0..n).filter(|&j| sol.value(y[j]) > 0.5).collect();
    if open.len() != k {
        return Err(PMedianError::Solver(format!("the solver opened {} sites, not {k}", open.len())));
    }
    open.sort_unstable();
    Ok(open)
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomials() {
        assert_eq!(binomial(5, 2), 10);
        assert_eq!(binomial(20, 10), 184_756);
        assert_eq!(binomial(3, 4), 0);
        assert_eq!(binomial(7, 0), 1);
        assert_eq!(binomial(300, 150), u128::MAX);
    }

    #[test]
    fn haversine_one_degree_of_latitude() {
        let d = haversine_km(41.0, 120.0, 42.0, 120.0);
        assert!((d - 111.19).abs() < 0.05, "{d}");
        assert!(haversine_km(41.5, 120.4, 41.5, 120.4).abs() < 1e-12);
    }

    #[test]
    fn line_of_villages() {
        // Villages at 0, 1, 2, 10, 11 km on a line, candidate sites at the same places.
        let xs = [0.0, 1.0, 2.0, 10.0, 11.0];
        let dist: Vec<Vec<f64>> = xs.iter().map(|a| xs.iter().map(|b| f64::abs(a - b)).collect()).collect();
        let w = [1.0, 1.0, 1.0, 1.0, 1.0];
        for m in [Method::Enumerate, Method::Mip] {
            let s = solve(&w, &dist, 2, m).unwrap();
            assert_eq!(s.open[0], 1, "{m}");
            assert!(s.open[1] == 3 || s.open[1] == 4, "{m}");
            assert!((s.cost - 3.0).abs() < 1e-9, "{m}: {}", s.cost);
            assert_eq!(s.assign[..3], [1, 1, 1]);
        }
        assert_eq!(solve(&w, &dist, 2, Method::Auto).unwrap().method, Method::Enumerate);
        assert!(matches!(solve(&w, &dist, 0, Method::Auto), Err(PMedianError::BadK { .. })));
        assert!(matches!(solve(&w, &dist, 6, Method::Auto), Err(PMedianError::BadK { .. })));
    }
}
