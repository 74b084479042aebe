//! Rows with several parties (the host and the guest of a booking): which users fill the
//! party columns of each synthesized row, and how such a row is labelled.

/// The party assignments for `owners`, `parties` columns each: every owner is, in turn, the
/// first party, with the owners after it (cyclically) in the other columns. With three or
/// more owners every identity meets a row in each party column and a row it is no party of.
pub fn assignments<T: Clone>(owners: &[T], parties: usize) -> Vec<Vec<T>> {
    if owners.is_empty() || parties == 0 {
        return Vec::new();
    }
    (0..owners.len())
        .map(|i| {
            (0..parties)
                .map(|p| owners[(i + p) % owners.len()].clone())
                .collect()
        })
        .collect()
}

/// `alice&bob`: the parties in column order.
pub fn label(names: &[&str]) -> String {
    names.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_owner_is_each_party_once_and_no_party_of_some_row() {
        let rows = assignments(&["alice", "bob", "admin"], 2);
        assert_eq!(
            rows,
            vec![
                vec!["alice", "bob"],
                vec!["bob", "admin"],
                vec!["admin", "alice"]
            ]
        );
        for who in ["alice", "bob", "admin"] {
            assert_eq!(rows.iter().filter(|r| r[0] == who).count(), 1);
            assert_eq!(rows.iter().filter(|r| r[1] == who).count(), 1);
            assert_eq!(rows.iter().filter(|r| !r.contains(&who)).count(), 1);
        }
        assert_eq!(label(&rows[0]), "alice&bob");
    }
}
