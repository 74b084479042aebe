//! The auditor's report as one self-contained HTML file: inline CSS, no script, no fetch.

mod functions;
mod markup;
mod relations;

use std::io::{self, Write};

use super::Audit;
use markup::{escape, truncate, CSS};

pub fn write(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    let title = format!("rlsgate access report: {}", audit.meta.project);
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>",
        e(&title)
    )?;
    writeln!(out, "<h1>{}</h1>", e(&title))?;
    writeln!(
        out,
        "<div class=\"muted\">rlsgate {} · {}{}</div>",
        e(&audit.meta.rlsgate),
        e(audit.meta.started_at.as_deref().unwrap_or("")),
        audit
            .meta
            .postgres
            .as_deref()
            .map(|p| format!(" · PostgreSQL {}", e(p)))
            .unwrap_or_default()
    )?;
    summary(audit, out)?;
    metadata(audit, out)?;
    relations::matrix(audit, out)?;
    relations::tables(audit, out)?;
    relations::views(audit, out)?;
    functions::functions(audit, out)?;
    lint(audit, out)?;
    writeln!(out, "</main>\n</body>\n</html>")
}

fn summary(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let s = &audit.summary;
    let (class, word) = if audit.passed {
        ("pass", "PASS")
    } else {
        ("fail", "FAIL")
    };
    let errors = audit
        .lint
        .iter()
        .filter(|d| d.severity == crate::lint::Severity::Error)
        .count();
    writeln!(
        out,
        "<section id=\"summary\"><div class=\"verdict {class}\"><span class=\"badge\" id=\"verdict\">{word}</span>\
         <div class=\"counts\"><span><b>{}</b> cells</span><span><b>{}</b> passed</span><span><b>{}</b> failed</span>\
         <span><b>{}</b> unspecified</span>{}<span><b>{}</b> inconclusive</span>{}<span><b>{}</b> tables and views</span>\
         <span><b>{}</b> lint findings ({errors} errors)</span><span><b>{}</b> functions</span></div></div>",
        s.cells,
        s.passed,
        s.failed,
        s.unspecified,
        if s.suspicious > 0 {
            format!("<span><b>{}</b> suspicious</span>", s.suspicious)
        } else {
            String::new()
        },
        s.inconclusive,
        if s.policy_errors > 0 {
            format!("<span><b>{}</b> policy errors</span>", s.policy_errors)
        } else {
            String::new()
        },
        audit.relations.len(),
        audit.lint.len(),
        audit.functions.len()
    )?;
    let worst = audit.worst_findings(10);
    if worst.is_empty() {
        writeln!(out, "<p>No failed, suspicious or inconclusive cell, no lint error, no exposed SECURITY DEFINER function.</p>")?;
    } else {
        writeln!(out, "<h3>Worst findings</h3>\n<ol class=\"worst\">")?;
        for f in worst {
            writeln!(
                out,
                "<li><a href=\"#{}\">{}</a>{}</li>",
                escape(&f.anchor),
                escape(&f.title),
                if f.detail.is_empty() {
                    String::new()
                } else {
                    format!("<span class=\"detail\">{}</span>", escape(&f.detail))
                }
            )?;
        }
        writeln!(out, "</ol>")?;
    }
    writeln!(out, "</section>")
}

fn metadata(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    writeln!(out, "<h2 id=\"run\">Run</h2>\n<table class=\"data meta\">")?;
    let mut row = |k: &str, v: String| writeln!(out, "<tr><td>{k}</td><td>{v}</td></tr>");
    row("Project", e(&audit.meta.project))?;
    row("rlsgate", e(&audit.meta.rlsgate))?;
    row(
        "PostgreSQL",
        e(audit.meta.postgres.as_deref().unwrap_or("unknown")),
    )?;
    row(
        "Started",
        e(audit.meta.started_at.as_deref().unwrap_or("unknown")),
    )?;
    if let Some(ms) = audit.meta.duration_ms {
        row("Duration", format!("{:.1} s", ms as f64 / 1000.0))?;
    }
    row("Exposed schemas", e(&audit.schemas.join(", ")))?;
    row(
        "Migrations",
        format!(
            "{} files, sha256 <code id=\"migrations-hash\">{}</code><br><span class=\"muted\">{}</span>",
            audit.migrations.len(),
            e(&audit.migrations_hash),
            e(&audit.migrations.join(", "))
        ),
    )?;
    row(
        "Unspecified cells",
        if audit.meta.without_specs {
            "judged against the presumption (no specs); suspicious ones fail the gate".into()
        } else if audit.meta.allow_unspecified {
            "allowed (--allow-unspecified)".into()
        } else {
            "fail the gate".into()
        },
    )?;
    writeln!(out, "</table>")?;
    writeln!(out, "<h3>Identities</h3>\n<table class=\"data\" id=\"identities\"><tr><th>identity</th><th>database role</th><th>sub</th><th>JWT claims (request.jwt.claims)</th></tr>")?;
    for id in &audit.identities {
        let claims = serde_json::to_string(&id.claims).unwrap_or_default();
        writeln!(
            out,
            "<tr><td><b>{}</b></td><td><code>{}</code></td><td><code>{}</code></td><td><details><summary><code>{}</code></summary><pre>{}</pre></details></td></tr>",
            e(&id.name),
            e(&id.role),
            e(id.sub.as_deref().unwrap_or("–")),
            e(&truncate(&claims, 90)),
            e(&serde_json::to_string_pretty(&id.claims).unwrap_or_default())
        )?;
    }
    writeln!(out, "</table>")
}

fn lint(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    writeln!(out, "<h2 id=\"lint\">Lint findings</h2>")?;
    if audit.lint.is_empty() {
        return writeln!(out, "<p>No lint finding.</p>");
    }
    writeln!(
        out,
        "<table class=\"data lint\"><tr><th>severity</th><th>rule</th><th>where</th><th>object</th><th>finding</th></tr>"
    )?;
    for d in &audit.lint {
        let at = d
            .location
            .as_ref()
            .map(|l| format!("{}:{}:{}", l.file, l.line, l.column))
            .unwrap_or_else(|| "catalog".into());
        writeln!(
            out,
            "<tr><td class=\"sev-{sev}\">{sev}</td><td><a href=\"{}\"><code>{}</code></a></td><td><code>{}</code></td><td>{}</td><td>{}<div class=\"muted\">{}</div></td></tr>",
            e(&d.doc_url()),
            e(d.rule),
            e(&at),
            e(d.object.as_deref().unwrap_or("")),
            e(&d.message),
            e(&d.help),
            sev = d.severity.as_str(),
        )?;
    }
    writeln!(out, "</table>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::{Scope, TableRef};
    use crate::probe::provenance::{Policy, RelationAccess};
    use crate::report::matrix::RunMeta;
    use crate::verdict::{Action, Cell, CellOutcome, Reach, Subject, Summary};

    fn audit() -> Audit {
        let table = TableRef::new("public", "notes");
        let everyone = ["alice".to_string(), "bob".to_string()].into();
        let cells = vec![Cell {
            subject: Subject::Relation(table.clone()),
            identity: "anon".into(),
            action: Action::Select,
            expected: Reach::rows(Scope::None),
            actual: Reach::rows(Scope::All),
            reached: Some(everyone),
            allowed: Some(Default::default()),
            outcome: CellOutcome::Fail,
            detail: "sees rows alice, bob it should not".into(),
            probes: vec![],
            suspicion: None,
            shapes: vec![],
        }];
        Audit {
            meta: RunMeta::new("demo"),
            passed: false,
            summary: Summary::of(&cells),
            migrations: vec!["migrations/1.sql".into()],
            migrations_hash: "abc".into(),
            schemas: vec!["public".into()],
            identities: vec![super::super::IdentityInfo {
                name: "anon".into(),
                role: "anon".into(),
                sub: None,
                claims: serde_json::json!({"role": "anon"}),
            }],
            cells,
            relations: vec![RelationAccess {
                table: table.clone(),
                kind: "table".into(),
                owner: "postgres".into(),
                rls: true,
                force_rls: false,
                security_invoker: false,
                policies: vec![Policy {
                    name: "small <ids>".into(),
                    permissive: true,
                    command: "SELECT".into(),
                    roles: vec!["public".into()],
                    using: Some("id < 10".into()),
                    check: None,
                }],
                grants: Default::default(),
                definition: None,
            }],
            provenance: vec![],
            lint: vec![],
            functions: vec![],
        }
    }

    #[test]
    fn a_wider_cell_is_marked_and_leads_the_findings() {
        let mut buf = Vec::new();
        write(&audit(), &mut buf).unwrap();
        let html = String::from_utf8(buf).unwrap();
        assert!(html.contains("<span class=\"badge\" id=\"verdict\">FAIL</span>"));
        assert!(html.contains(
            "<td class=\"c s-all o-fail first\" data-identity=\"anon\" data-command=\"select\" data-actual=\"all\" data-outcome=\"fail\""
        ));
        assert!(html.contains(
            "<li><a href=\"#t-public.notes\">anon can read all rows of notes (more than declared: none)</a>"
        ));
        assert!(html.contains(
            "create policy &quot;small &lt;ids&gt;&quot; on public.notes\n  for select\n  to public\n  using (id &lt; 10);"
        ));
        assert!(!html.contains("<ids>"));
    }
}
