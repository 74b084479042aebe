use std::collections::{BTreeMap, BTreeSet};

use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::{Policy, PolicyCommand};
use crate::lint::policy_columns::owner_columns;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags a table whose policies tie rows to one user column (`author_id = auth.uid()`) for
    /// some commands, and compare `auth.uid()` only with another column (`editor_id`) for
    /// another command: the commands of one table disagree on who owns the row.
    ///
    /// ## Why is this bad?
    /// Typed by hand or copied from another table, the odd policy lets a different user act on
    /// the row: here whoever is named `editor_id` deletes a post its author owns, and the author
    /// cannot. A test with one user who is both author and editor passes. Tables where a
    /// command deliberately serves another party (`buyer_id` reads, `seller_id` updates) pass
    /// when some other command also names that column.
    ///
    /// ## Example
    /// ```sql
    /// create table posts (id uuid primary key, author_id uuid, editor_id uuid);
    /// alter table posts enable row level security;
    /// create policy "read" on posts for select to authenticated using ((select auth.uid()) = author_id);
    /// create policy "write" on posts for insert to authenticated with check ((select auth.uid()) = author_id);
    /// create policy "edit" on posts for update to authenticated using ((select auth.uid()) = author_id);
    /// create policy "remove" on posts for delete to authenticated using ((select auth.uid()) = editor_id);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table posts (id uuid primary key, author_id uuid, editor_id uuid);
    /// alter table posts enable row level security;
    /// create policy "read" on posts for select to authenticated using ((select auth.uid()) = author_id);
    /// create policy "write" on posts for insert to authenticated with check ((select auth.uid()) = author_id);
    /// create policy "edit" on posts for update to authenticated using ((select auth.uid()) = author_id);
    /// create policy "remove" on posts for delete to authenticated using ((select auth.uid()) = author_id);
    /// ```
    pub RULE, "policy-owner-mismatch", Severity::Warning, Scope::Both, "one command's policy ties rows to a different user column than the others"
}

/// The user columns each command's permissive API policies compare with `auth.uid()`, and the
/// policy that names each.
type Owners<'a> = BTreeMap<PolicyCommand, BTreeMap<String, &'a Policy>>;

fn owners<'a>(policies: &[&'a Policy]) -> Owners<'a> {
    let mut by_command: Owners<'a> = BTreeMap::new();
    for p in policies {
        let mut columns: BTreeSet<String> = BTreeSet::new();
        for (_, expr) in p.expressions() {
            columns.extend(
                owner_columns(expr, &p.table.name)
                    .into_iter()
                    .map(|c| c.name),
            );
        }
        for command in p.command.expand() {
            for c in &columns {
                by_command
                    .entry(*command)
                    .or_default()
                    .entry(c.clone())
                    .or_insert(p);
            }
        }
    }
    by_command
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut tables: BTreeMap<_, Vec<&Policy>> = BTreeMap::new();
    for p in ctx
        .model
        .policies
        .iter()
        .filter(|p| p.permissive && p.applies_to_api())
    {
        tables.entry(&p.table).or_default().push(p);
    }
    for (table, policies) in tables {
        let by_command = owners(&policies);
        for (command, columns) in &by_command {
            let others: Vec<(&PolicyCommand, &BTreeMap<String, &Policy>)> =
                by_command.iter().filter(|(c, _)| *c != command).collect();
            if others.len() < 2 {
                continue;
            }
            let named_elsewhere: BTreeSet<&String> =
                others.iter().flat_map(|(_, cols)| cols.keys()).collect();
            let common: Vec<&String> = named_elsewhere
                .iter()
                .copied()
                .filter(|c| others.iter().all(|(_, cols)| cols.contains_key(*c)))
                .collect();
            if common.is_empty() || columns.keys().any(|c| named_elsewhere.contains(c)) {
                continue;
            }
            let (column, policy) = columns.iter().next().expect("a command has a column");
            let owner = common[0];
            let site = ctx.refine(policy.site, |text| {
                owner_columns(text, &table.name)
                    .into_iter()
                    .find(|c| c.name == *column)
                    .map(|c| (c.start, c.end))
            });
            let commands: Vec<&str> = others.iter().map(|(c, _)| c.as_str()).collect();
            out.push(ctx.diagnostic(
                &RULE,
                site,
                policy.label(),
                format!(
                    "{} lets the user in `{column}` {} rows of {table}, while the {} policies tie rows to `{owner}`",
                    policy.label(),
                    command.as_str(),
                    commands.join("/"),
                ),
                format!("compare auth.uid() with `{owner}`, as the other commands do, or name `{column}` in them too if both users own the row"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    const POSTS: &str = "create table posts (id uuid primary key, author_id uuid, editor_id uuid);\nalter table posts enable row level security;\ncreate policy r on posts for select to authenticated using ((select auth.uid()) = author_id);\ncreate policy i on posts for insert to authenticated with check ((select auth.uid()) = author_id);\ncreate policy u on posts for update to authenticated using ((select auth.uid()) = author_id);\n";

    #[test]
    fn the_odd_command_is_flagged_at_its_column() {
        let sql = format!("{POSTS}create policy d on posts for delete to authenticated using ((select auth.uid()) = editor_id);");
        assert_eq!(
            findings("policy-owner-mismatch", &[&sql]),
            ["001.sql:6:83: policy \"d\" on public.posts lets the user in `editor_id` DELETE rows of public.posts, while the SELECT/INSERT/UPDATE policies tie rows to `author_id`"]
        );
    }

    #[test]
    fn same_column_and_two_party_tables_pass() {
        let same = format!("{POSTS}create policy d on posts for delete to authenticated using (author_id = (select auth.uid()));");
        assert!(findings("policy-owner-mismatch", &[&same]).is_empty());
        let orders = "create table orders (id uuid, buyer_id uuid, seller_id uuid);\ncreate policy r on orders for select to authenticated using ((select auth.uid()) = buyer_id or (select auth.uid()) = seller_id);\ncreate policy i on orders for insert to authenticated with check ((select auth.uid()) = buyer_id);\ncreate policy u on orders for update to authenticated using ((select auth.uid()) = seller_id);\ncreate policy d on orders for delete to authenticated using ((select auth.uid()) = buyer_id);";
        assert!(findings("policy-owner-mismatch", &[orders]).is_empty());
    }
}
