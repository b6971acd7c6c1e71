//! The LP relaxation by a first-order method: the primal-dual hybrid gradient (PDHG) with
//! diagonal scaling, restarts to the average and an adaptive primal weight, after the design
//! of PDLP (Applegate et al., "Practical large-scale linear programming using primal-dual
//! hybrid gradient", 2021), written for the relaxation of [`super::model`].
//!
//! Why: microlp's simplex needs 6 s for the city tier's relaxation; this needs a fixed number
//! of sparse products, about 0.5 ms each on that model. Its answer is approximate, but its
//! bound is exact: every variable of the model is boxed, so any dual vector `y` (signed as the
//! rows ask) gives a valid Lagrangian bound
//!
//! `L(y) = q'y + sum_j min over l_j <= x_j <= u_j of (c - K'y)_j x_j  <=  min { c'x : x in P }`
//!
//! for the LP `min c'x` subject to `K x >= q` (inequality rows, `y >= 0`), `K x = q`
//! (equality rows, `y` free) and `l <= x <= u`. [`solve_from`] returns the best `L(y)` seen,
//! after coordinate ascent on `L` from the best `y` ([`ascend`]).

use super::model::Model;
use good_lp::IntoAffineExpression;
use std::time::Instant;

/// A boxed LP in the form above.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lp {
    /// Objective coefficients.
    pub c: Vec<f64>,
    /// A constant added to the objective.
    pub constant: f64,
    /// Finite lower bounds.
    pub lower: Vec<f64>,
    /// Finite upper bounds.
    pub upper: Vec<f64>,
    /// Rows as (column, coefficient) lists.
    pub rows: Vec<Vec<(usize, f64)>>,
    /// Right-hand sides.
    pub q: Vec<f64>,
    /// Whether each row is an equality (otherwise `>=`).
    pub eq: Vec<bool>,
}

impl Lp {
    /// The relaxation of a model (its variables in `good_lp`'s numbering) and the column of
    /// each `x_p`. `None` if a bound is not finite (the Lagrangian bound needs boxes).
    pub(crate) fn from_model(m: &Model) -> Option<(Lp, Vec<usize>)> {
        let mut lp = Lp::default();
        let column = m.columns();
        for (_, def) in m.vars.iter_variables_with_def() {
            lp.lower.push(def.get_min());
            lp.upper.push(def.get_max());
        }
        if lp.lower.iter().chain(&lp.upper).any(|b| !b.is_finite()) {
            return None;
        }
        lp.c = vec![0.0; lp.lower.len()];
        let objective = m.objective.clone();
        lp.constant = objective.clone().constant();
        for (v, a) in objective.linear_coefficients() {
            lp.c[column[&v]] += a;
        }
        // good_lp keeps `expr <= 0` or `expr = 0`: `-expr_linear >= constant`.
        for c in &m.constraints {
            let e = c.expression().clone();
            lp.q.push(e.clone().constant());
            // Sorted by column: the order of the sums then does not depend on good_lp's maps.
            let mut row: Vec<(usize, f64)> = e.linear_coefficients().map(|(v, a)| (column[&v], -a)).collect();
            row.sort_unstable_by_key(|e| e.0);
            lp.rows.push(row);
            lp.eq.push(c.is_equality());
        }
        let x = m.x.iter().map(|v| column[v]).collect();
        Some((lp, x))
    }
}

/// What [`solve`] found.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// The best Lagrangian bound seen: a lower bound on the LP's optimum, up to floating point.
    pub bound: f64,
    /// The primal point of least error seen, approximately optimal and feasible.
    pub x: Vec<f64>,
    /// Iterations done.
    pub iterations: usize,
    /// Whether it ended on its iterations or its tolerance, not on the deadline.
    pub complete: bool,
    /// The duals of `bound` (after the ascent), one per row.
    pub y: Vec<f64>,
    /// The point of least error before each of the iteration counts asked for.
    pub snapshots: Vec<Vec<f64>>,
}

/// Rows per parallel task of a sparse product.
const MUL_ROWS: usize = 1_024;

/// A sparse matrix by rows.
struct Csr {
    start: Vec<usize>,
    col: Vec<u32>,
    val: Vec<f64>,
}

impl Csr {
    fn from_rows(rows: &[Vec<(usize, f64)>]) -> Csr {
        let mut m = Csr { start: vec![0], col: Vec::new(), val: Vec::new() };
        for r in rows {
            for &(j, v) in r {
                m.col.push(j as u32);
                m.val.push(v);
            }
            m.start.push(m.col.len());
        }
        m
    }

    /// `out = A x`, each row summed in order (rows in parallel: the result does not depend
    /// on the threads).
    fn mul(&self, x: &[f64], out: &mut [f64]) {
        use rayon::prelude::*;
        out.par_chunks_mut(MUL_ROWS).enumerate().for_each(|(c, chunk)| {
            for (r, o) in chunk.iter_mut().enumerate() {
                *o = self.row_times(c * MUL_ROWS + r, x);
            }
        });
    }

    /// Row `i` times `x`, summed in order.
    fn row_times(&self, i: usize, x: &[f64]) -> f64 {
        let (a, b) = (self.start[i], self.start[i + 1]);
        self.col[a..b].iter().zip(&self.val[a..b]).map(|(&j, v)| v * x[j as usize]).sum()
    }

    /// `out = A x` as [`Csr::mul`], and for each row `i`, once `out_i` is known,
    /// `then(i, out_i, &mut a_i, &mut b_i)` on the same task: the element-wise updates of an
    /// iteration ride on the product's parallel pass instead of one sequential pass each
    /// (element by element, so the result does not depend on the threads either).
    fn mul_then(&self, x: &[f64], out: &mut [f64], a: &mut [f64], b: &mut [f64], then: impl Fn(usize, f64, &mut f64, &mut f64) + Sync) {
        use rayon::prelude::*;
        out.par_chunks_mut(MUL_ROWS).zip(a.par_chunks_mut(MUL_ROWS)).zip(b.par_chunks_mut(MUL_ROWS)).enumerate().for_each(
            |(c, ((chunk, a), b))| {
                for (r, o) in chunk.iter_mut().enumerate() {
                    let i = c * MUL_ROWS + r;
                    *o = self.row_times(i, x);
                    then(i, *o, &mut a[r], &mut b[r]);
                }
            },
        );
    }

    fn transpose(&self, ncols: usize) -> Csr {
        let mut start = vec![0usize; ncols + 1];
        for &j in &self.col {
            start[j as usize + 1] += 1;
        }
        for j in 0..ncols {
            start[j + 1] += start[j];
        }
        let mut next = start.clone();
        let mut col = vec![0; self.col.len()];
        let mut val = vec![0.0; self.val.len()];
        for i in 0..self.start.len() - 1 {
            for k in self.start[i]..self.start[i + 1] {
                let j = self.col[k] as usize;
                col[next[j]] = i as u32;
                val[next[j]] = self.val[k];
                next[j] += 1;
            }
        }
        Csr { start, col, val }
    }
}

/// The Lagrangian bound `L(y) = q'y + sum_j min(lo_j r_j, hi_j r_j)` with `r = c - kty`
/// (`kty = K'y`).
fn lagrangian(q: &[f64], y: &[f64], c: &[f64], kty: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    let mut bound: f64 = q.iter().zip(y).map(|(a, b)| a * b).sum();
    for j in 0..c.len() {
        let r = c[j] - kty[j];
        bound += if r >= 0.0 { r * lo[j] } else { r * hi[j] };
    }
    bound
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

/// Iterations between evaluations of the bound and the restart test.
const CHECK_EVERY: usize = 64;

/// A restart to the better of the average and the current point when its error has fallen
/// below this share of the error at the last restart.
const RESTART_SHARE: f64 = 0.5;

/// Scales rows and columns so that the matrix is better conditioned: ten rounds of Ruiz
/// (infinity norms to 1), then Pock-Chambolle (square roots of the absolute sums). Returns the
/// row and column factors; `rows` is scaled in place, `K~ = D_r K D_c`.
fn scale(rows: &mut [Vec<(usize, f64)>], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rs = vec![1.0f64; rows.len()];
    let mut cs = vec![1.0f64; n];
    for round in 0..11 {
        // Ruiz rounds divide by the square roots of the largest entries, the last round by
        // those of the absolute sums.
        let ruiz = round < 10;
        let size = |a: f64, v: f64| if ruiz { a.max(v.abs()) } else { a + v.abs() };
        let mut col = vec![0.0f64; n];
        for (i, r) in rows.iter_mut().enumerate() {
            let s = r.iter().fold(0.0, |a, e| size(a, e.1));
            if s > 0.0 {
                let f = 1.0 / s.sqrt();
                rs[i] *= f;
                for e in r.iter_mut() {
                    e.1 *= f;
                }
            }
            for &(j, v) in r.iter() {
                col[j] = size(col[j], v);
            }
        }
        for r in rows.iter_mut() {
            for e in r.iter_mut() {
                if col[e.0] > 0.0 {
                    e.1 /= col[e.0].sqrt();
                }
            }
        }
        for (c, s) in cs.iter_mut().zip(&col) {
            if *s > 0.0 {
                *c /= s.sqrt();
            }
        }
    }
    (rs, cs)
}

/// [`solve_from`] from zero, with no snapshots.
#[cfg(test)]
pub(crate) fn solve(lp: &Lp, iterations: usize, tol: f64, deadline: Instant) -> Found {
    solve_from(lp, iterations, tol, deadline, None, &[])
}

/// Runs PDHG for `iterations`, or until the relative primal residual and the relative gap
/// between the primal objective and the bound are both below `tol` (checked every
/// [`CHECK_EVERY`]), or until `deadline` (then `complete` is false), from `start = (x, y)`
/// (`x` clamped to its bounds, `y` to the rows' signs) or from zero. For each iteration count
/// in `snapshots` (multiples of [`CHECK_EVERY`]) it keeps in [`Found::snapshots`] the primal
/// point of least error among the checks before that count. Deterministic: the same LP and
/// limits give the same bits unless the deadline stops it.
pub(crate) fn solve_from(lp: &Lp, iterations: usize, tol: f64, deadline: Instant, start: Option<(&[f64], &[f64])>, snapshots: &[usize]) -> Found {
    let n = lp.c.len();
    let m = lp.rows.len();
    let mut rows = lp.rows.clone();
    let (rs, cs) = scale(&mut rows, n);
    let k = Csr::from_rows(&rows);
    drop(rows);
    let kt = k.transpose(n);
    // The scaled problem: x = D_c x~, y = D_r y~.
    let c: Vec<f64> = (0..n).map(|j| lp.c[j] * cs[j]).collect();
    let lo: Vec<f64> = (0..n).map(|j| lp.lower[j] / cs[j]).collect();
    let hi: Vec<f64> = (0..n).map(|j| lp.upper[j] / cs[j]).collect();
    let q: Vec<f64> = (0..m).map(|i| lp.q[i] * rs[i]).collect();
    let eq = &lp.eq;
    let (cn, qn) = (norm(&c), norm(&q));

    // Step size 0.95 / ||K~||_2, the norm by power iteration from a fixed vector with no
    // structure (a constant one may lie in the kernel of K~). Scaling leaves the norm near 1,
    // which stands in if the iteration finds nothing.
    let mut v: Vec<f64> = (0..n).map(|j| 1.0 + ((j as u64).wrapping_mul(2_654_435_761) % 1_000) as f64 / 1_000.0).collect();
    let (mut kv, mut ktkv) = (vec![0.0; m], vec![0.0; n]);
    let mut sing = 0.0;
    for _ in 0..40 {
        let nv = norm(&v);
        if nv == 0.0 {
            break;
        }
        for x in &mut v {
            *x /= nv;
        }
        k.mul(&v, &mut kv);
        kt.mul(&kv, &mut ktkv);
        sing = norm(&ktkv).sqrt();
        std::mem::swap(&mut v, &mut ktkv);
    }
    let eta = 0.95 / if sing > 1e-9 { sing } else { 1.0 };
    let mut omega = if cn > 0.0 && qn > 0.0 { cn / qn } else { 1.0 };

    // The bound and the error of a point: the larger of the relative primal residual and the
    // relative gap between its objective and the bound (no dual residual: every variable is
    // boxed). Scratch vectors given.
    let eval = |x: &[f64], y: &[f64], kx: &mut [f64], kty: &mut [f64]| -> (f64, f64) {
        k.mul(x, kx);
        kt.mul(y, kty);
        let bound = lagrangian(&q, y, &c, kty, &lo, &hi);
        let primal: f64 = c.iter().zip(x).map(|(a, b)| a * b).sum();
        let mut res = 0.0;
        for i in 0..m {
            let d = q[i] - kx[i];
            let d = if eq[i] { d } else { d.max(0.0) };
            res += d * d;
        }
        let res = res.sqrt() / (1.0 + qn);
        let gap = (primal - bound).abs() / (1.0 + primal.abs() + bound.abs());
        (bound, res.max(gap))
    };

    let (mut x, mut y): (Vec<f64>, Vec<f64>) = match start {
        Some((x0, y0)) => (
            (0..n).map(|j| (x0[j] / cs[j]).clamp(lo[j], hi[j])).collect(),
            (0..m).map(|i| if eq[i] { y0[i] / rs[i] } else { (y0[i] / rs[i]).max(0.0) }).collect(),
        ),
        None => ((0..n).map(|j| 0.0f64.clamp(lo[j], hi[j])).collect(), vec![0.0f64; m]),
    };
    let (mut x_avg, mut y_avg, mut weight) = (x.clone(), y.clone(), 0.0);
    let (mut x_restart, mut y_restart) = (x.clone(), y.clone());
    let (mut kx, mut kty, mut kx_new, mut x_new) = (vec![0.0; m], vec![0.0; n], vec![0.0; m], vec![0.0; n]);
    let (mut scratch_m, mut scratch_n) = (vec![0.0; m], vec![0.0; n]);
    let mut best = Found { bound: f64::NEG_INFINITY, x: x.clone(), iterations: 0, complete: true, y: Vec::new(), snapshots: Vec::new() };
    let mut y_best = y.clone();
    let (mut best_err, mut err_at_restart) = (f64::INFINITY, f64::INFINITY);
    let mut done = 0;
    k.mul(&x, &mut kx);
    kt.mul(&y, &mut kty);
    while done < iterations {
        if Instant::now() >= deadline {
            best.complete = false;
            break;
        }
        let block = CHECK_EVERY.min(iterations - done);
        let (tau, sigma) = (eta / omega, eta * omega);
        // x+ = proj(x - tau (c - K'y)); y+ = proj(y + sigma (q - K(2 x+ - x))). Each
        // iteration is two parallel passes: the rows (K x+, then y+ and its average) and the
        // columns (K'y+, then the average of x+ and the next iteration's x+).
        let step = |j: usize, kty_j: f64, x_j: f64| (x_j - tau * (c[j] - kty_j)).clamp(lo[j], hi[j]);
        for j in 0..n {
            x_new[j] = step(j, kty[j], x[j]);
        }
        for _ in 0..block {
            weight += 1.0;
            let w = 1.0 / weight;
            k.mul_then(&x_new, &mut kx_new, &mut y, &mut y_avg, |i, kx_new_i, y_i, y_avg_i| {
                let yi = *y_i + sigma * (q[i] - 2.0 * kx_new_i + kx[i]);
                *y_i = if eq[i] { yi } else { yi.max(0.0) };
                *y_avg_i += w * (*y_i - *y_avg_i);
            });
            std::mem::swap(&mut x, &mut x_new);
            std::mem::swap(&mut kx, &mut kx_new);
            kt.mul_then(&y, &mut kty, &mut x_avg, &mut x_new, |j, kty_j, x_avg_j, x_next_j| {
                *x_avg_j += w * (x[j] - *x_avg_j);
                *x_next_j = step(j, kty_j, x[j]);
            });
        }
        done += block;
        if snapshots.contains(&done) {
            best.snapshots.push(best.x.iter().zip(&cs).map(|(x, s)| x * s).collect());
        }
        let (b_now, e_now) = eval(&x, &y, &mut scratch_m, &mut scratch_n);
        let (b_avg, e_avg) = eval(&x_avg, &y_avg, &mut scratch_m, &mut scratch_n);
        for (b, yy) in [(b_now, &y), (b_avg, &y_avg)] {
            if b > best.bound {
                best.bound = b;
                y_best.clone_from(yy);
            }
        }
        for (e, p) in [(e_now, &x), (e_avg, &x_avg)] {
            if e < best_err {
                best_err = e;
                best.x.clone_from(p);
            }
        }
        let (err, to_avg) = if e_avg < e_now { (e_avg, true) } else { (e_now, false) };
        if err < tol {
            break;
        }
        if err < RESTART_SHARE * err_at_restart {
            if to_avg {
                x.clone_from(&x_avg);
                y.clone_from(&y_avg);
            }
            // The primal weight follows how far each side moved since the last restart.
            let (dx, dy) = (distance(&x, &x_restart), distance(&y, &y_restart));
            if dx > 1e-10 && dy > 1e-10 {
                omega = (0.5 * (dy / dx).ln() + 0.5 * omega.ln()).exp();
            }
            x_restart.clone_from(&x);
            y_restart.clone_from(&y);
            x_avg.clone_from(&x);
            y_avg.clone_from(&y);
            weight = 0.0;
            err_at_restart = err;
            k.mul(&x, &mut kx);
            kt.mul(&y, &mut kty);
        }
    }
    // The best duals seen, polished: coordinate ascent only ever raises their bound. One
    // sweep if the deadline stopped the iterations (twenty take 0.1 s on the city tier).
    if best.bound.is_finite() {
        let sweeps = if best.complete { ASCENT_SWEEPS } else { 1 };
        best.bound = best.bound.max(ascend(&k, &kt, &c, &lo, &hi, &q, eq, &mut y_best, sweeps));
    }
    best.iterations = done;
    best.bound += lp.constant;
    best.y = y_best.iter().zip(&rs).map(|(y, r)| y * r).collect();
    best.x.iter_mut().zip(&cs).for_each(|(x, s)| *x *= s);
    best
}

/// Sweeps of [`ascend`] over PDHG's best duals. On the city tier (seeds 1 to 3) it raised the
/// bound by 7,300, 5,000 and 20,600 yuan (0.1-0.3 %) in 20 sweeps, about 0.1 s, and 100 or
/// 400 sweeps added less than 10 yuan: it stops at a kink of `L`.
const ASCENT_SWEEPS: usize = 20;

/// Coordinate ascent on the Lagrangian bound `L(y) = q'y + sum_j min(lo_j r_j, hi_j r_j)`,
/// `r = c - K'y`, from `y`: each row's dual in turn moves to the maximum of `L` along it (a
/// concave piecewise-linear function of one variable, its breakpoints where a column's
/// reduced cost changes sign), `y_i >= 0` kept for inequality rows (a negative one is first
/// set to 0). `L` never decreases, and any such `y` gives a bound. Gives the last `L`. It
/// runs its sweeps whatever the clock (about 5 ms each on the city tier), so that the bound
/// does not depend on the machine.
#[allow(clippy::too_many_arguments)]
fn ascend(k: &Csr, kt: &Csr, c: &[f64], lo: &[f64], hi: &[f64], q: &[f64], eq: &[bool], y: &mut [f64], sweeps: usize) -> f64 {
    let n = c.len();
    // Only duals of the rows' signs give bounds.
    for (yi, &e) in y.iter_mut().zip(eq) {
        if !e {
            *yi = yi.max(0.0);
        }
    }
    let mut r = vec![0.0; n];
    kt.mul(y, &mut r);
    for j in 0..n {
        r[j] = c[j] - r[j];
    }
    let mut points: Vec<(f64, f64)> = Vec::new();
    for _ in 0..sweeps {
        for i in 0..q.len() {
            let (start, end) = (k.start[i], k.start[i + 1]);
            if start == end {
                continue;
            }
            // phi'(t) = q_i - sum_j k_ij h_j'(r_j - k_ij t); at t = 0+ and the breakpoints.
            let mut slope_right = q[i];
            points.clear();
            for e in start..end {
                let (j, a) = (k.col[e] as usize, k.val[e]);
                // h_j' just to the right of t = 0 (r moves by -a t).
                let moving_down = a > 0.0;
                let rj = r[j];
                let h = if rj > 0.0 || (rj == 0.0 && !moving_down) { lo[j] } else { hi[j] };
                slope_right -= a * h;
                let t = rj / a;
                points.push((t, a.abs() * (hi[j] - lo[j])));
            }
            let mut t = 0.0;
            if slope_right > 0.0 {
                // Move right through the breakpoints ahead.
                points.retain(|p| p.0 > 0.0);
                points.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                let mut s = slope_right;
                for &(tp, drop) in &points {
                    t = tp;
                    s -= drop;
                    if s <= 0.0 {
                        break;
                    }
                }
                if s > 0.0 {
                    continue; // unbounded along this row: leave it (the LP would be infeasible)
                }
            } else {
                // Slope to the left of 0: phi'(0-) = slope_right + the drops at t = 0.
                let mut s = slope_right + points.iter().filter(|p| p.0 == 0.0).map(|p| p.1).sum::<f64>();
                if s >= 0.0 {
                    continue;
                }
                points.retain(|p| p.0 < 0.0);
                points.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
                let floor = if eq[i] { f64::NEG_INFINITY } else { -y[i] };
                t = floor;
                let mut moved = false;
                for &(tp, drop) in &points {
                    if tp <= floor {
                        break;
                    }
                    // Passing a breakpoint going left raises the slope by its drop.
                    s += drop;
                    if s >= 0.0 {
                        t = tp;
                        moved = true;
                        break;
                    }
                }
                if !moved && !t.is_finite() {
                    continue;
                }
            }
            if t != 0.0 {
                y[i] += t;
                for e in start..end {
                    r[k.col[e] as usize] -= k.val[e] * t;
                }
            }
        }
    }
    // The bound of the final `y` from `K'y` computed afresh, not from the updates.
    kt.mul(y, &mut r);
    lagrangian(q, y, c, &r, lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::solve::far;

    /// `min x1 + 2 x2` s.t. `x1 + x2 >= 1`, `0 <= x <= 10`: from `y = 0` (bound `0`), ascent
    /// moves the row's dual to 1, where `L` is the optimum, 1; from `y = 3` (bound
    /// `3 - 20 - 10 = -27`) back down to 1 as well; from `y = -5`, not a dual of a `>=` row,
    /// it starts at 0.
    #[test]
    fn ascent_climbs_the_lagrangian_to_the_optimum() {
        let k = Csr::from_rows(&[vec![(0, 1.0), (1, 1.0)]]);
        let kt = k.transpose(2);
        let (c, lo, hi, q) = ([1.0, 2.0], [0.0, 0.0], [10.0, 10.0], [1.0]);
        for start in [0.0, 3.0, -5.0] {
            let mut y = [start];
            let b = ascend(&k, &kt, &c, &lo, &hi, &q, &[false], &mut y, 1);
            assert!((b - 1.0).abs() < 1e-12, "from {start}: {b}");
            assert!((y[0] - 1.0).abs() < 1e-12, "from {start}: y = {}", y[0]);
        }
    }

    /// An equality row and a negative coefficient: `min 2 x1 + x2 - x3` s.t. `x1 + x2 = 3`,
    /// `-x3 >= -1`, `0 <= x <= 10`; optimum `3 - 1 = 2`. From `y = 0` one sweep moves the
    /// equality's dual up to 1 (the cheaper column's reduced cost reaches 0) and the other to
    /// 1 (`x3`'s reduced cost reaches 0), where `L` is the optimum. And `min x` s.t.
    /// `-x >= -10` from `y = -5`: a negative dual of a `>=` row would claim 10; from 0 the
    /// bound is the optimum, 0.
    #[test]
    fn ascent_handles_equalities_negative_coefficients_and_signs() {
        let k = Csr::from_rows(&[vec![(0, 1.0), (1, 1.0)], vec![(2, -1.0)]]);
        let kt = k.transpose(3);
        let mut y = [0.0, 0.0];
        let b = ascend(&k, &kt, &[2.0, 1.0, -1.0], &[0.0; 3], &[10.0; 3], &[3.0, -1.0], &[true, false], &mut y, 1);
        assert!((b - 2.0).abs() < 1e-12, "{b}");
        assert!((y[0] - 1.0).abs() < 1e-12 && (y[1] - 1.0).abs() < 1e-12, "{y:?}");

        let k = Csr::from_rows(&[vec![(0, -1.0)]]);
        let kt = k.transpose(1);
        let mut y = [-5.0];
        let b = ascend(&k, &kt, &[1.0], &[0.0], &[10.0], &[-10.0], &[false], &mut y, 3);
        assert!(b <= 1e-12, "{b} above the optimum 0");
    }

    /// min x + 2 y  s.t.  x + y >= 3,  x - y = 1,  0 <= x, y <= 10: optimum x = 2, y = 1, 4.
    #[test]
    fn solves_a_small_lp_and_bounds_it() {
        let lp = Lp {
            c: vec![1.0, 2.0],
            constant: 0.5,
            lower: vec![0.0, 0.0],
            upper: vec![10.0, 10.0],
            rows: vec![vec![(0, 1.0), (1, 1.0)], vec![(0, 1.0), (1, -1.0)]],
            q: vec![3.0, 1.0],
            eq: vec![false, true],
        };
        let f = solve(&lp, 20_000, 1e-9, far());
        assert!(f.bound <= 4.5 + 1e-9, "{}", f.bound);
        assert!(f.bound >= 4.5 - 1e-4, "{}", f.bound);
        assert!((f.x[0] - 2.0).abs() < 1e-3 && (f.x[1] - 1.0).abs() < 1e-3, "{:?}", f.x);
    }

    /// Any iterate's bound is a bound: after one check, far from converged, it is still below.
    /// min 3 a + b + 4 c  s.t.  a + 2 b + c >= 4,  b + 3 c >= 3,  0 <= a, b, c <= 5: the optimum
    /// is 3 (b = 3; the dual y = (0, 1) proves it).
    #[test]
    fn an_early_stop_still_bounds() {
        let lp = Lp {
            c: vec![3.0, 1.0, 4.0],
            constant: 0.0,
            lower: vec![0.0; 3],
            upper: vec![5.0; 3],
            rows: vec![vec![(0, 1.0), (1, 2.0), (2, 1.0)], vec![(1, 1.0), (2, 3.0)]],
            q: vec![4.0, 3.0],
            eq: vec![false, false],
        };
        let opt = 3.0;
        for it in [CHECK_EVERY, 4 * CHECK_EVERY, 10_000] {
            let f = solve(&lp, it, 0.0, far());
            assert!(f.bound <= opt + 1e-9, "{it} iterations: bound {} above {opt}", f.bound);
        }
        assert!(solve(&lp, 10_000, 1e-10, far()).bound >= opt - 1e-3);
    }

    /// min a  s.t.  a - b >= 0,  0 <= a <= 5,  1 <= b <= 5: the optimum is 1. `K'K` maps the
    /// all-ones vector to zero, which must not break the step size.
    #[test]
    fn a_kernel_vector_does_not_stall_it() {
        let lp = Lp {
            c: vec![1.0, 0.0],
            constant: 0.0,
            lower: vec![0.0, 1.0],
            upper: vec![5.0, 5.0],
            rows: vec![vec![(0, 1.0), (1, -1.0)]],
            q: vec![0.0],
            eq: vec![false],
        };
        let f = solve(&lp, 10_000, 1e-10, far());
        assert!(f.complete);
        assert!(f.bound <= 1.0 + 1e-9 && f.bound >= 1.0 - 1e-3, "{}", f.bound);
    }

    /// Exactly the iterations asked for; a deadline already past stops it at once, and says so.
    #[test]
    fn runs_its_iterations_or_says_it_did_not() {
        let lp = Lp {
            c: vec![1.0, 2.0],
            constant: 0.0,
            lower: vec![0.0, 0.0],
            upper: vec![10.0, 10.0],
            rows: vec![vec![(0, 1.0), (1, 1.0)]],
            q: vec![3.0],
            eq: vec![false],
        };
        let f = solve(&lp, 100, 0.0, far());
        assert_eq!((f.iterations, f.complete), (100, true));
        let f = solve(&lp, 100, 0.0, Instant::now());
        assert_eq!((f.iterations, f.complete), (0, false));
        assert!(f.bound <= 3.0);
    }
}
