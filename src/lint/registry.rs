//! Every rule, declared once in its own file under `rules/`, listed here once.

pub use super::rule::{Rule, Scope};
use super::rules;

pub static RULES: &[&Rule] = &[
    &rules::rls_disabled::RULE,
    &rules::policy_without_rls::RULE,
    &rules::rls_no_policy::RULE,
    &rules::policy_always_true::RULE,
    &rules::policy_user_metadata::RULE,
    &rules::policy_missing_to::RULE,
    &rules::auth_uid_per_row::RULE,
    &rules::multiple_permissive_policies::RULE,
    &rules::security_definer_executable::RULE,
    &rules::function_search_path_mutable::RULE,
    &rules::view_security_definer::RULE,
    &rules::auth_users_exposed::RULE,
    &rules::materialized_view_exposed::RULE,
    &rules::foreign_table_exposed::RULE,
    &rules::grant_truncate_to_api_role::RULE,
    &rules::extension_in_public::RULE,
    &rules::auth_users_altered::RULE,
    &rules::unparsed_statement::RULE,
    &rules::invalid_input::RULE,
    &rules::policy_captured_column::RULE,
    &rules::policy_owner_mismatch::RULE,
    &rules::policy_owner_reassignable::RULE,
    &rules::security_definer_without_caller_check::RULE,
    &rules::revoke_without_effect::RULE,
    &rules::syntax_error::RULE,
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// The line after which `docs/rules.md` is written by hand (the accuracy measurements).
pub const GENERATED_END: &str =
    "<!-- end of the generated rule reference; what follows is written by hand -->";

/// `docs/rules.md`: every rule's documentation, one section per rule (anchor = rule id).
pub fn markdown() -> String {
    let mut out = String::from(
        "# rlsgate lint rules\n\n<!-- Generated from the rules' doc comments (src/lint/rules/); `UPDATE_DOCS=1 cargo test --lib rules_md` rewrites it. -->\n\n| Rule | Default severity | Runs on | Summary |\n|---|---|---|---|\n",
    );
    for r in RULES {
        let scope = match r.scope {
            Scope::Static => "files",
            Scope::Both => "files, catalog",
        };
        out.push_str(&format!(
            "| [`{0}`](#{0}) | {1} | {scope} | {2} |\n",
            r.id, r.default_severity, r.summary
        ));
    }
    for r in RULES {
        out.push_str(&format!(
            "\n## {}\n\n{} (default severity: {})\n\n",
            r.id, r.summary, r.default_severity
        ));
        for line in r.doc_text().lines() {
            if let Some(h) = line.strip_prefix("## ") {
                out.push_str(&format!("### {h}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.push_str(GENERATED_END);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_documented_with_the_fixed_headings() {
        let mut ids = std::collections::BTreeSet::new();
        for rule in RULES {
            assert!(ids.insert(rule.id), "duplicate rule id {}", rule.id);
            let doc = rule.doc_text();
            for heading in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(doc.contains(heading), "{} lacks `{heading}`", rule.id);
            }
            assert!(doc.contains("```sql"), "{} has no SQL example", rule.id);
        }
    }

    #[test]
    fn rules_md_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
        let generated = markdown();
        let current = std::fs::read_to_string(path).unwrap_or_default();
        let by_hand = current
            .split_once(GENERATED_END)
            .map_or("", |(_, tail)| tail.strip_prefix('\n').unwrap_or(tail));
        let expected = format!("{generated}{by_hand}");
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test --lib rules_md`"
        );
    }

    fn sql_blocks(doc: &str) -> Vec<String> {
        doc.split("```sql\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn every_rule_flags_its_bad_example_and_passes_its_good_one() {
        let mut failures = Vec::new();
        for rule in RULES {
            let blocks = sql_blocks(&rule.doc_text());
            assert_eq!(
                blocks.len(),
                2,
                "{}: expected a bad and a good example",
                rule.id
            );
            let hits = |sql: &str| {
                crate::lint::rules::test_support::lint(&[sql])
                    .into_iter()
                    .filter(|d| d.rule == rule.id)
                    .count()
            };
            if hits(&blocks[0]) == 0 {
                failures.push(format!("{}: the bad example is not flagged", rule.id));
            }
            if hits(&blocks[1]) > 0 {
                failures.push(format!("{}: the good example is flagged", rule.id));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }
}
