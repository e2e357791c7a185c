//! Tolerance clustering and union-find, shared by the layout rungs.

/// Groups values that lie within `tol` of their sorted neighbour (chained)
/// and returns each group's mean, ascending.
pub fn cluster_1d(values: &[f64], tol: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let mut out = Vec::new();
    let mut group: Vec<f64> = Vec::new();
    for v in sorted {
        if let Some(&last) = group.last() {
            if v - last > tol {
                out.push(mean(&group));
                group.clear();
            }
        }
        group.push(v);
    }
    if !group.is_empty() {
        out.push(mean(&group));
    }
    out
}

/// The representative of `v` among cluster means `centres` (the nearest).
pub fn snap(v: f64, centres: &[f64]) -> f64 {
    centres
        .iter()
        .copied()
        .min_by(|a, b| (a - v).abs().total_cmp(&(b - v).abs()))
        .unwrap_or(v)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// A union-find over `0..n`.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    /// The representative of `i`'s set.
    pub fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Merges the sets of `a` and `b` (the smaller index becomes the root).
    pub fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_chain() {
        assert_eq!(
            cluster_1d(&[10.0, 10.5, 30.0, 11.0, 29.0], 1.0),
            vec![10.5, 29.5]
        );
        assert_eq!(snap(12.0, &[10.5, 29.5]), 10.5);
    }

    #[test]
    fn union_find() {
        let mut u = UnionFind::new(4);
        u.union(3, 1);
        u.union(1, 2);
        assert_eq!(u.find(3), 1);
        assert_eq!(u.find(2), 1);
        assert_eq!(u.find(0), 0);
    }
}
