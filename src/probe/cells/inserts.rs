//! INSERT probes: a row of the identity's own (in its tenant), a row of another user (a
//! co-member, in a tenant-scoped table), a row in a tenant the identity does not belong to,
//! one per party column for a row with several parties, or any row of a table nobody owns.

use super::clearing::conflicts_sql;
use super::{probe, PlannedProbe};
use crate::matrix::{insert_target, Command};
use crate::probe::catalog::Relation;
use crate::probe::ownership::{Owner, RowModel};
use crate::probe::rows::{insert_sql, PlacedRow, RowSpec, Synthesizer};
use crate::spec::Identity;

/// Every INSERT probe of `identity` on `rel`. `other` is another identity that owns rows.
pub(super) fn plan(
    synth: &Synthesizer,
    rel: &Relation,
    model: &RowModel,
    identity: &Identity,
    other: Option<&Identity>,
    seq: &mut usize,
) -> Vec<PlannedProbe> {
    let in_tenant = model.tenant_fk().is_some();
    if !model.is_owned() && !in_tenant {
        return vec![insert_probe(
            synth,
            rel,
            &RowSpec::default(),
            insert_target::ANY,
            seq,
        )];
    }
    let me = identity.owns_rows().then_some(identity);
    let tenants = synth.tenants_of(&identity.name);
    let home = tenants.first().copied().filter(|_| in_tenant);
    let foreign = in_tenant
        .then(|| {
            synth
                .tenant_names()
                .into_iter()
                .find(|t| !tenants.contains(t))
        })
        .flatten();
    let mut probes = Vec::new();
    if in_tenant && home.is_none() {
        // not a member of any tenant: every row it could insert lands in someone else's (owned
        // by the identity, or by that tenant's member when the identity has no user id)
        if let Some(t) = foreign {
            let spec = RowSpec {
                owner: me.or_else(|| synth.members(t).last().copied()),
                tenant: Some(t),
                ..RowSpec::default()
            };
            probes.push(insert_probe(
                synth,
                rel,
                &spec,
                insert_target::OTHER_TENANT,
                seq,
            ));
        }
        return probes;
    }
    let parties = match &model.owner {
        Owner::Users(cols) if cols.len() > 1 => cols.clone(),
        _ => Vec::new(),
    };
    let base = RowSpec {
        owner: me,
        tenant: home,
        ..RowSpec::default()
    };
    // someone else in the tenant (a synthesized member), or another identity
    let someone = synth.someone_else(&base).or(other);
    if !parties.is_empty() {
        if let Some(me) = me {
            let partner = someone.unwrap_or(me);
            for (i, column) in parties.iter().enumerate() {
                let mut persons: Vec<&Identity> = vec![partner; parties.len()];
                persons[i] = me;
                let spec = RowSpec {
                    owner: Some(persons[0]),
                    parties: persons,
                    tenant: home,
                    ..RowSpec::default()
                };
                probes.push(insert_probe(
                    synth,
                    rel,
                    &spec,
                    &insert_target::party(column),
                    seq,
                ));
            }
        }
        if let Some(o) = someone {
            let third = synth
                .owners()
                .find(|p| p.name != identity.name && p.name != o.name)
                .unwrap_or(o);
            let persons: Vec<&Identity> = (0..parties.len())
                .map(|i| if i == 0 { o } else { third })
                .collect();
            let spec = RowSpec {
                owner: Some(o),
                parties: persons,
                tenant: home,
                ..RowSpec::default()
            };
            probes.push(insert_probe(synth, rel, &spec, insert_target::OTHER, seq));
        }
    } else {
        let own = RowSpec {
            parent: owned_parent(
                synth,
                model,
                |r| me.is_some_and(|m| r.is_owned_by(&m.name)),
                home,
            ),
            ..base
        };
        let own_probe = insert_probe(synth, rel, &own, insert_target::OWN, seq);
        if me.is_some() || own_probe.unbuildable.is_none() {
            probes.push(own_probe);
        }
        if model.is_owned() {
            if let Some(o) = someone {
                let spec = RowSpec {
                    owner: Some(o),
                    tenant: home,
                    parent: owned_parent(
                        synth,
                        model,
                        |r| r.is_owned_by(&o.name) && !r.is_owned_by(&identity.name),
                        home,
                    ),
                    ..RowSpec::default()
                };
                probes.push(insert_probe(synth, rel, &spec, insert_target::OTHER, seq));
            }
        }
    }
    if let Some(t) = foreign {
        let spec = RowSpec {
            owner: me,
            tenant: Some(t),
            parent: owned_parent(
                synth,
                model,
                |r| r.facts.tenant.as_deref() == Some(t),
                Some(t),
            ),
            ..RowSpec::default()
        };
        probes.push(insert_probe(
            synth,
            rel,
            &spec,
            insert_target::OTHER_TENANT,
            seq,
        ));
    }
    probes
}

/// For a row owned through its parent: the label of a parent row that `wanted`, in `tenant`
/// when given.
fn owned_parent<'s>(
    synth: &'s Synthesizer,
    model: &RowModel,
    wanted: impl Fn(&PlacedRow) -> bool,
    tenant: Option<&str>,
) -> Option<&'s str> {
    let Owner::Parent { parent, .. } = &model.owner else {
        return None;
    };
    synth
        .states
        .get(parent)?
        .rows
        .iter()
        .filter(|r| {
            tenant.is_none() || r.facts.tenant.is_none() || r.facts.tenant.as_deref() == tenant
        })
        .find(|r| wanted(r))
        .map(|r| r.label.as_str())
}

pub(crate) fn insert_probe(
    synth: &Synthesizer,
    rel: &Relation,
    spec: &RowSpec,
    target: &str,
    seq: &mut usize,
) -> PlannedProbe {
    *seq += 1;
    match synth.probe_values(rel, spec, 100_000 + *seq) {
        Ok(values) => {
            let prelude = conflicts_sql(rel, &values, "false");
            probe(
                Command::Insert,
                target,
                prelude,
                insert_sql(rel, &values, ""),
                false,
            )
        }
        Err(why) => PlannedProbe {
            unbuildable: Some(why),
            ..probe(Command::Insert, target, String::new(), String::new(), false)
        },
    }
}
