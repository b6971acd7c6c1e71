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
    let floors: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    if floors <= total {
        let mut left = total - floors;
        for &i in order.iter().cycle() {
            if left == 0 {
                break;
            }
            parts[i] += 1;
            left -= 1;
        }
    } else {
        // Rounding pushed some floors over: take back from the smallest remainders.
        let mut over = floors - total;
        for &i in order.iter().rev().cycle() {
            if over == 0 {
                break;
            }
            if parts[i] > 0 {
                parts[i] -= 1;
                over -= 1;
            }
        }
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

    proptest::proptest! {
        #[test]
        fn parts_sum_to_the_total(total in 0u64..100_000, weights in proptest::collection::vec(0.0f64..1e6, 1..20), halves: bool) {
            // Halves are where ties and rounding meet (an LP's flows often split so).
            let weights: Vec<f64> = weights.iter().map(|w| if halves { (w * 2.0).round() / 2.0 } else { *w }).collect();
            let parts = apportion(total, &weights);
            let sum: f64 = weights.iter().sum();
            proptest::prop_assert_eq!(parts.iter().sum::<u64>(), if sum > 0.0 { total } else { 0 });
            for (p, w) in parts.iter().zip(&weights) {
                if sum > 0.0 {
                    proptest::prop_assert!((*p as f64 - total as f64 * w / sum).abs() < 1.0 + 1e-6);
                }
            }
        }
    }
}
