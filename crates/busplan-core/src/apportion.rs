//! Splitting a whole number in proportion to weights, for the generators and for rounding
//! an LP's flows.

/// Splits `total` into integer parts proportional to `weights` (largest remainders; ties by
/// index), so the parts sum exactly to `total`.
pub(crate) fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = total - parts.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_sums_exactly() {
        let parts = apportion(1001, &[1.0, 2.0, 3.5, 0.0]);
        assert_eq!(parts.iter().sum::<u64>(), 1001);
        assert_eq!(parts[3], 0);
    }
}
