//! The order a program plays a playlist's entries in.

use super::Order;

/// Every entry index `0..len` exactly once, in airing order.
///
/// `cursor` is the index after the last item that aired (any number: it is taken modulo
/// `len`); only [`Order::Rotate`] uses it. [`Order::Shuffle`] draws from `rng`.
pub fn play_order(order: Order, len: usize, cursor: usize, rng: &mut fastrand::Rng) -> Vec<usize> {
    match order {
        Order::Sequential => (0..len).collect(),
        Order::Rotate => {
            let start = cursor.checked_rem(len).unwrap_or(0);
            (start..len).chain(0..start).collect()
        }
        Order::Shuffle => {
            let mut all: Vec<usize> = (0..len).collect();
            rng.shuffle(&mut all);
            all
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_permutation(v: &[usize], len: usize) -> bool {
        let mut sorted = v.to_vec();
        sorted.sort_unstable();
        sorted == (0..len).collect::<Vec<_>>()
    }

    #[test]
    fn examples() {
        let mut rng = fastrand::Rng::with_seed(7);
        assert_eq!(
            play_order(Order::Sequential, 4, 2, &mut rng),
            vec![0, 1, 2, 3]
        );
        assert_eq!(play_order(Order::Rotate, 4, 2, &mut rng), vec![2, 3, 0, 1]);
        assert_eq!(play_order(Order::Rotate, 4, 6, &mut rng), vec![2, 3, 0, 1]);
        assert_eq!(play_order(Order::Rotate, 4, 4, &mut rng), vec![0, 1, 2, 3]);
        assert!(play_order(Order::Rotate, 0, 3, &mut rng).is_empty());
        assert!(play_order(Order::Shuffle, 0, 0, &mut rng).is_empty());
    }

    /// Property: for many (len, cursor) pairs every order is a permutation of 0..len, rotate
    /// starts at cursor % len and keeps the cyclic order, sequential is the identity.
    #[test]
    fn every_order_is_a_permutation() {
        let mut rng = fastrand::Rng::with_seed(57);
        for len in 0..40 {
            for cursor in (0..3 * len + 2).chain([usize::MAX, usize::MAX - 1]) {
                for order in [Order::Sequential, Order::Shuffle, Order::Rotate] {
                    let got = play_order(order, len, cursor, &mut rng);
                    assert!(is_permutation(&got, len), "{order} {len} {cursor}: {got:?}");
                }
                let rot = play_order(Order::Rotate, len, cursor, &mut rng);
                if len > 0 {
                    assert_eq!(rot[0], cursor % len, "{len} {cursor}");
                    for w in rot.windows(2) {
                        assert_eq!(w[1], (w[0] + 1) % len);
                    }
                }
                assert_eq!(
                    play_order(Order::Sequential, len, cursor, &mut rng),
                    (0..len).collect::<Vec<_>>()
                );
            }
        }
    }

    #[test]
    fn shuffle_varies() {
        let mut rng = fastrand::Rng::with_seed(1);
        let first = play_order(Order::Shuffle, 20, 0, &mut rng);
        let differs = (0..10).any(|_| play_order(Order::Shuffle, 20, 0, &mut rng) != first);
        assert!(differs);
    }
}
