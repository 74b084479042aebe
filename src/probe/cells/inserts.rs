//! INSERT probes: a row of the identity's own (in its tenant), a row of another user (a
//! co-member, in a tenant-scoped table), a row in a tenant the identity does not belong to,
//! one per party column for a row with several parties, or any row of a table nobody owns.

use super::clearing::conflicts_sql;
use super::{probe, PlannedProbe};
use crate::matrix::quote_ident;
use crate::matrix::{insert_target, shape, Command};
use crate::probe::catalog::Relation;
use crate::probe::ownership::user;
use crate::probe::ownership::{Owner, RowModel};
use crate::probe::rows::{insert_sql, PlacedRow, RowSpec, Synthesizer};
use crate::probe::values::{column_literal, literal};
use crate::spec::Identity;

/// Every INSERT probe of `identity` on `rel`, sent to `into` (`rel`, or a view over it).
/// `other` is another identity that owns rows.
#[allow(clippy::too_many_arguments)]
pub(super) fn plan(
    synth: &Synthesizer,
    rel: &Relation,
    into: &Relation,
    model: &RowModel,
    identity: &Identity,
    other: Option<&Identity>,
    seq: &mut usize,
) -> Vec<PlannedProbe> {
    let in_tenant = model.tenant_fk().is_some();
    if !model.is_owned() && !in_tenant {
        return insert_probes(
            synth,
            rel,
            into,
            &RowSpec::default(),
            insert_target::ANY,
            seq,
        );
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
                actor: me,
                ..RowSpec::default()
            };
            probes.extend(insert_probes(
                synth,
                rel,
                into,
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
        actor: me,
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
                    actor: Some(me),
                    ..RowSpec::default()
                };
                probes.extend(insert_probes(
                    synth,
                    rel,
                    into,
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
                actor: me,
                ..RowSpec::default()
            };
            probes.extend(insert_probes(
                synth,
                rel,
                into,
                &spec,
                insert_target::OTHER,
                seq,
            ));
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
        // In the membership table an identity is already a member of its tenant: adding it
        // again would first clear the membership the policy checks. "Another user" is then
        // someone from outside the tenant, as an invitation adds.
        let membership = synth
            .model
            .tenancy
            .as_ref()
            .is_some_and(|t| t.membership.table == rel.table);
        let own_probes = insert_probes(synth, rel, into, &own, insert_target::OWN, seq);
        let built = own_probes.iter().all(|p| p.unbuildable.is_none());
        if (me.is_some() || built) && !(membership && home.is_some()) {
            let returning = own_probes
                .first()
                .filter(|_| built && me.is_some() && into.table == rel.table)
                .map(|p| PlannedProbe {
                    target: shape::INSERT_RETURNING.to_string(),
                    statement: format!("{} returning t.*", p.statement),
                    ..p.clone()
                });
            probes.extend(own_probes);
            probes.extend(returning);
            if let (true, Some(me)) = (built, me) {
                probes.extend(own_copy(synth, rel, into, me, home, seq));
                if let Some(o) = someone.filter(|o| o.sub.is_some()) {
                    probes.extend(forged(synth, rel, into, &own, o, seq));
                }
            }
        }
        let someone = match (membership, home) {
            (true, Some(t)) => synth
                .owners()
                .chain(synth.fillers)
                .find(|p| p.name != identity.name && !synth.tenants_of(&p.name).contains(&t)),
            _ => someone,
        };
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
                    actor: me,
                    ..RowSpec::default()
                };
                probes.extend(insert_probes(
                    synth,
                    rel,
                    into,
                    &spec,
                    insert_target::OTHER,
                    seq,
                ));
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
            actor: me,
            ..RowSpec::default()
        };
        probes.extend(insert_probes(
            synth,
            rel,
            into,
            &spec,
            insert_target::OTHER_TENANT,
            seq,
        ));
    }
    probes
}

/// The own row with its author columns naming `other`: accepted, anyone writes in another's
/// name. Judged by whether a row naming `other` really appeared (a trigger may overwrite the
/// author with `auth.uid()`, which is no forgery).
fn forged(
    synth: &Synthesizer,
    rel: &Relation,
    into: &Relation,
    own: &RowSpec,
    other: &Identity,
    seq: &mut usize,
) -> Option<PlannedProbe> {
    let owners = synth.model_of(&rel.table).owner_columns(rel);
    let author = user::user_columns(rel, synth.catalog)
        .into_iter()
        .find(|c| {
            !owners.iter().any(|o| o.as_str() == *c)
                && into.column(c).is_some_and(|v| v.writable())
                && user::is_author(c)
        })?;
    let spec = RowSpec {
        owner: own.owner,
        parties: own.parties.clone(),
        tenant: own.tenant,
        parent: own.parent,
        actor: Some(other),
        ..RowSpec::default()
    };
    let probe = insert_probe(synth, rel, into, &spec, insert_target::FORGED, seq);
    let ty = rel.column(author).map_or("uuid", |c| c.sql_type.as_str());
    let check = format!(
        "select count(*)::text from {} t where t.{} = {}::{ty}",
        rel.table.qualified(),
        quote_ident(author),
        literal(other.sub.as_deref().unwrap_or_default())
    );
    Some(PlannedProbe {
        check: Some(check),
        ..probe
    })
}

/// A copy, with a new key, of a row `me` owns (in its tenant), tried only when the
/// synthesized own row was rejected.
fn own_copy(
    synth: &Synthesizer,
    rel: &Relation,
    into: &Relation,
    me: &Identity,
    home: Option<&str>,
    seq: &mut usize,
) -> Option<PlannedProbe> {
    let state = synth.states.get(&rel.table)?;
    let row = state.rows.iter().find(|r| {
        r.is_owned_by(&me.name) && (home.is_none() || r.facts.tenant.as_deref() == home)
    })?;
    *seq += 1;
    let fresh = synth
        .probe_values(
            rel,
            &RowSpec {
                owner: Some(me),
                tenant: home,
                actor: Some(me),
                ..RowSpec::default()
            },
            100_000 + *seq,
        )
        .ok()?;
    let keyed = |c: &str| rel.unique_keys().any(|k| k.iter().any(|x| x == c));
    let mut values = std::collections::BTreeMap::new();
    for column in rel
        .columns
        .iter()
        .filter(|c| c.writable() && into.column(&c.name).is_some_and(|v| v.writable()))
    {
        let copied = row
            .json
            .get(&column.name)
            .filter(|v| {
                !v.is_null()
                    && !keyed(&column.name)
                    && (column.category != 'A'
                        || matches!(column.base_type.as_str(), "json" | "jsonb"))
            })
            .map(|v| column_literal(v, column));
        if let Some(v) = copied.or_else(|| fresh.get(&column.name).cloned()) {
            values.insert(column.name.clone(), v);
        }
    }
    Some(PlannedProbe {
        covered_by: Some((Command::Insert, insert_target::OWN)),
        ..probe(
            Command::Insert,
            insert_target::OWN_COPY,
            conflicts_sql(rel, &values, "false"),
            insert_sql(into, &values, ""),
            false,
        )
    })
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

/// The INSERT probes of a row built for `rel`: one, or one per bucket for storage objects.
fn insert_probes(
    synth: &Synthesizer,
    rel: &Relation,
    into: &Relation,
    spec: &RowSpec,
    target: &str,
    seq: &mut usize,
) -> Vec<PlannedProbe> {
    synth
        .per_bucket(rel, spec)
        .iter()
        .map(|spec| insert_probe(synth, rel, into, spec, target, seq))
        .collect()
}

/// An INSERT of a row built for `rel`, sent to `into` (`rel` itself, or a view over it,
/// keeping the columns the view shows).
fn insert_probe(
    synth: &Synthesizer,
    rel: &Relation,
    into: &Relation,
    spec: &RowSpec,
    target: &str,
    seq: &mut usize,
) -> PlannedProbe {
    *seq += 1;
    match synth.probe_values(rel, spec, 100_000 + *seq) {
        Ok(values) => {
            let prelude = conflicts_sql(rel, &values, "false");
            let values = values
                .into_iter()
                .filter(|(c, _)| into.column(c).is_some_and(|v| v.writable()))
                .collect();
            probe(
                Command::Insert,
                target,
                prelude,
                insert_sql(into, &values, ""),
                false,
            )
        }
        Err(why) => PlannedProbe {
            unbuildable: Some(why),
            ..probe(Command::Insert, target, String::new(), String::new(), false)
        },
    }
}
