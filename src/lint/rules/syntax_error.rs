use crate::lint::diagnostic::{Diagnostic, Location, Origin};
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Reports a statement Postgres's own grammar rejects (the linter parses every file with
    /// libpg_query, the parser of the Postgres server), at the file, line and column Postgres
    /// points at, with Postgres's message. Only the first syntax error of a file is reported:
    /// Postgres stops there too. Statements before it are still linted.
    ///
    /// ## Why is this bad?
    /// The migration fails at that statement: `supabase db push` stops, and so does
    /// `rlsgate test`, which exits 2 because it cannot build the database to probe. `lint`
    /// ran and found the problem, so for `lint` it is a finding, an error (exit 1); `lint --db`
    /// reports it the same way and skips the catalog, which cannot be built.
    ///
    /// ## Example
    /// ```sql
    /// create tabel notes (id int);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table notes (id int);
    /// ```
    pub RULE, "syntax-error", Severity::Error, Scope::Static, "statement Postgres rejects as a syntax error"
}

pub(crate) fn diagnostic(location: Location, message: String) -> Diagnostic {
    Diagnostic {
        rule: RULE.id,
        severity: RULE.default_severity,
        origin: Origin::Static,
        object: None,
        location: Some(location),
        message,
        help: "Postgres rejects this statement, so the migration stops here (`rlsgate test` exits 2 on it): fix the statement".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn the_error_is_where_postgres_points() {
        let sql = "create table t (id int);\nalter table t enable row level security;\ncreate policy p on t for select to authenticated using (id = 1;";
        assert_eq!(
            findings("syntax-error", &[sql]),
            ["001.sql:3:63: syntax error at or near \";\""]
        );
        assert!(findings("unparsed-statement", &[sql]).is_empty());
        assert!(findings("syntax-error", &["do $$ begin perform 1; end $$;"]).is_empty());
    }
}
