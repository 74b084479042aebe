use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Notes statements the static linter could not read: sqlparser rejected them and no
    /// targeted reader covers them (for example `DO` blocks).
    ///
    /// ## Why is this bad?
    /// It is not bad in itself, but whatever the statement does (enable RLS, create a policy,
    /// grant a privilege) is invisible to the static rules. `rlsgate lint --db` reads the
    /// migrated catalog and sees the effect.
    ///
    /// ## Example
    /// ```sql
    /// do $$ begin execute 'alter table t enable row level security'; end $$;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// alter table t enable row level security;
    /// ```
    pub RULE, "unparsed-statement", Severity::Info, Scope::Static, "statement the static linter could not read"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for u in &ctx.model.unparsed {
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(Some(u.site)),
            u.what.clone(),
            format!("statement `{}` was not analysed: {}", u.what, u.reason),
            "run `rlsgate lint --db` to check its effect on the migrated database",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn do_blocks_are_noted_with_their_location() {
        assert_eq!(
            findings("unparsed-statement", &["select 1;\n  do $$ begin perform 1; end $$;"]),
            ["001.sql:2:3: statement `do $$ begin perform 1; end $$` was not analysed: DO blocks run procedural code that the static linter does not follow"]
        );
    }
}
