//! The order rows are placed in: every table after the tables its foreign keys reference.

use std::collections::HashSet;

use crate::matrix::TableRef;
use crate::probe::catalog::Catalog;
use crate::probe::ownership::{Model, Owner};

/// Relations ordered so every table comes after the tables its foreign keys reference
/// (self references and cycles are broken where they occur). In a cycle, the nullable
/// foreign key that does not carry ownership gives way: `a.b_id` (nullable) -> `b`, `b.a_id`
/// (not null) -> `a` puts `a` first, so `b` can reference it.
pub(super) fn topo_order(catalog: &Catalog, model: &Model) -> Vec<usize> {
    let n = catalog.relations.len();
    let index = |t: &TableRef| catalog.relations.iter().position(|r| &r.table == t);
    let edges: Vec<Vec<(usize, bool)>> = catalog
        .relations
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            let mut out: Vec<(usize, bool)> = rel
                .foreign_keys
                .iter()
                .enumerate()
                .filter_map(|(k, fk)| {
                    let j = index(&fk.target)?;
                    // a row owned through its parent, or living in its parent's tenant, needs
                    // that parent first, nullable or not
                    let owning = model.relations.get(i).is_some_and(|m| {
                        matches!(m.owner, Owner::Parent { fk, .. } if fk == k)
                            || m.tenant_fk() == Some(k)
                    });
                    let required = owning
                        || fk
                            .columns
                            .iter()
                            .any(|c| rel.column(c).is_some_and(|c| c.not_null));
                    (j != i).then_some((j, required))
                })
                .collect();
            out.sort_by_key(|&(_, required)| !required);
            out
        })
        .collect();
    let requires = |from: usize, to: usize| {
        let mut seen = vec![false; n];
        let mut stack = vec![from];
        while let Some(k) = stack.pop() {
            if k == to {
                return true;
            }
            if std::mem::replace(&mut seen[k], true) {
                continue;
            }
            stack.extend(edges[k].iter().filter(|e| e.1).map(|e| e.0));
        }
        false
    };
    let mut state = vec![0u8; n];
    let mut out = Vec::with_capacity(n);
    fn visit(
        i: usize,
        edges: &[Vec<(usize, bool)>],
        requires: &dyn Fn(usize, usize) -> bool,
        state: &mut [u8],
        out: &mut Vec<usize>,
    ) {
        if state[i] != 0 {
            return;
        }
        state[i] = 1;
        for &(j, required) in &edges[i] {
            if !required && requires(j, i) {
                continue;
            }
            visit(j, edges, requires, state, out);
        }
        state[i] = 2;
        out.push(i);
    }
    for i in 0..n {
        visit(i, &edges, &requires, &mut state, &mut out);
    }
    out
}

/// Tables that one relation references through two different foreign keys.
pub(super) fn paired_targets(catalog: &Catalog) -> HashSet<TableRef> {
    let mut out = HashSet::new();
    for rel in &catalog.relations {
        let mut seen = HashSet::new();
        for fk in &rel.foreign_keys {
            if !seen.insert(&fk.target) {
                out.insert(fk.target.clone());
            }
        }
    }
    out
}
