use crate::lint::diagnostic::{Diagnostic, Location, Origin};
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Reports input the linter cannot read: binary files, invalid UTF-8, and unterminated
    /// strings, quoted identifiers, dollar quotes or comments. Statements before the problem
    /// are still linted.
    ///
    /// ## Why is this bad?
    /// Postgres would reject the file too, or worse, read the rest of the file as one string.
    ///
    /// ## Example
    /// ```sql
    /// create function f() returns int language sql as $$ select 1;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create function f() returns int language sql as $$ select 1 $$;
    /// ```
    pub RULE, "invalid-input", Severity::Error, Scope::Static, "file or statement the linter cannot read"
}

pub(crate) fn diagnostic(location: Location, message: String, help: &str) -> Diagnostic {
    Diagnostic {
        rule: RULE.id,
        severity: RULE.default_severity,
        origin: Origin::Static,
        object: None,
        location: Some(location),
        message,
        help: help.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn unterminated_dollar_quote_keeps_earlier_statements() {
        let sql = "create table t (id int);\ncreate function f() returns int as $$ select 1;";
        assert_eq!(
            findings("invalid-input", &[sql]),
            ["001.sql:2:36: unterminated dollar-quoted string starting at line 2, column 36"]
        );
        assert_eq!(findings("rls-disabled", &[sql]).len(), 1);
    }
}
