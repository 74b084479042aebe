//! What a lint rule is: its id, severity, scope and documentation, declared once in its file.

use super::diagnostic::Severity;

/// Where a rule can look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only the migration files (e.g. a statement that fails on hosted Supabase).
    Static,
    /// The migration files and the migrated catalog.
    Both,
}

#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub default_severity: Severity,
    pub summary: &'static str,
    pub scope: Scope,
    /// Markdown: What it does / Why is this bad? / Example.
    pub doc: &'static str,
}

impl Rule {
    /// The doc comment without the one-space indent `///` leaves.
    pub fn doc_text(&self) -> String {
        self.doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }
}

/// Declare a rule from its `///` doc comment: `declare_rule! { /// docs ... pub NAME, "id", Severity::X, Scope::Y, "summary" }`.
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* pub $name:ident, $id:literal, $severity:expr, $scope:expr, $summary:literal) => {
        pub static $name: $crate::lint::rule::Rule = $crate::lint::rule::Rule {
            id: $id,
            default_severity: $severity,
            summary: $summary,
            scope: $scope,
            doc: concat!($($doc, "\n",)*),
        };
    };
}
pub(crate) use declare_rule;
