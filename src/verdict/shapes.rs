//! Request shapes against the plain statement of their cell: `.insert().select()` (INSERT ...
//! RETURNING) beside the plain insert of the identity's own row, `.upsert()` of a row beside a
//! plain UPDATE of it. A shape never decides the cell; where it differs, the cell says so.

use serde::{Deserialize, Serialize};

use crate::matrix::{insert_target, shape, Observation, Outcome};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapeNote {
    /// `insert returning` or `upsert:<row label>`.
    pub shape: String,
    /// How its probe ended: `allowed`, `denied by RLS`, `policy error`, ...
    pub outcome: String,
    /// How it differs from the plain statement; absent when they agree or the shape's probe
    /// could not decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub differs: Option<String>,
}

impl ShapeNote {
    /// How supabase-js writes the shape.
    pub fn call(&self) -> &'static str {
        if self.shape == shape::INSERT_RETURNING {
            "`.insert().select()`"
        } else {
            "`.upsert()`"
        }
    }
}

/// The shapes of `obs`, each compared with the plain statement.
pub fn notes(obs: &Observation) -> Vec<ShapeNote> {
    obs.shapes
        .iter()
        .map(|p| {
            let accepted = p.outcome.is_allowed();
            let refused = matches!(
                p.outcome,
                Outcome::DeniedRls { .. }
                    | Outcome::DeniedPrivilege { .. }
                    | Outcome::Filtered
                    | Outcome::PolicyError { .. }
            );
            let how = match &p.outcome {
                Outcome::PolicyError { .. } => "fails with a policy error",
                _ => "is refused",
            };
            let differs = if p.target == shape::INSERT_RETURNING {
                let plain = obs.inserted.contains(insert_target::OWN);
                match (plain, accepted, refused) {
                    (true, _, true) => Some(format!(
                        "`.insert().select()` of its own row {how} although the plain insert is accepted: no SELECT policy shows the new row to it"
                    )),
                    (false, true, _) => Some(
                        "`.insert().select()` of its own row is accepted although the plain insert is not".to_string(),
                    ),
                    _ => None,
                }
            } else {
                let label = p.target.trim_start_matches(shape::UPSERT);
                let plain = obs.reached.contains(label);
                match (plain, accepted, refused) {
                    (true, _, true) => Some(format!(
                        "`.upsert()` of row {label} {how} although a plain UPDATE of it is accepted: an upsert also needs the INSERT policies' WITH CHECK and the SELECT policies to pass on the row"
                    )),
                    (false, true, _) => Some(format!(
                        "`.upsert()` of row {label} changes it although a plain UPDATE of it does not"
                    )),
                    _ => None,
                }
            };
            ShapeNote {
                shape: p.target.clone(),
                outcome: p.outcome.short().to_string(),
                differs,
            }
        })
        .collect()
}
