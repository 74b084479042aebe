//! The functions' part of the HTML report: who may call each function of the exposed schemas.

use std::io::{self, Write};

use super::super::Audit;
use super::markup::escape;
use crate::verdict::CellOutcome;

pub fn functions(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    writeln!(out, "<h2 id=\"functions\">Functions</h2>")?;
    if audit.functions.is_empty() {
        return writeln!(out, "<p>No function in the exposed schemas.</p>");
    }
    writeln!(
        out,
        "<p class=\"muted\">Who may EXECUTE each function of the exposed schemas (callable through <code>/rpc</code>). \
         A SECURITY DEFINER function runs as its owner and bypasses RLS; without a pinned search_path it can be hijacked.</p>"
    )?;
    let ids = audit.identity_names();
    write!(
        out,
        "<table class=\"data\" id=\"functions-matrix\"><tr><th>function</th><th>SECURITY DEFINER</th><th>search_path pinned</th><th>dynamic SQL</th>"
    )?;
    for id in &ids {
        write!(out, "<th>{}</th>", e(id))?;
    }
    writeln!(out, "</tr>")?;
    for f in &audit.functions {
        let exposed = ids.iter().any(|id| {
            audit
                .identities
                .iter()
                .any(|i| &i.name == id && matches!(i.role.as_str(), "anon" | "authenticated"))
                && f.execute.get(*id).copied().unwrap_or(false)
        });
        let risky = f.security_definer && exposed && !f.returns_trigger;
        let yn = |b: bool, bad: bool| {
            if b && bad {
                "<td class=\"yes\"><b>yes</b></td>"
            } else if b {
                "<td>yes</td>"
            } else if bad {
                "<td class=\"yes\"><b>no</b></td>"
            } else {
                "<td class=\"no\">no</td>"
            }
        };
        write!(
            out,
            "<tr{}><td><code>{}.{}</code>{}</td>{}{}{}",
            if risky { " class=\"risk\"" } else { "" },
            e(&f.function.schema),
            e(&f.signature),
            if f.returns_trigger {
                " <span class=\"kind\">trigger</span>"
            } else {
                ""
            },
            yn(f.security_definer, risky),
            yn(
                f.search_path_pinned,
                f.security_definer && !f.search_path_pinned
            ),
            yn(f.dynamic_sql, f.dynamic_sql && risky),
        )?;
        for id in &ids {
            let can = f.execute.get(*id).copied().unwrap_or(false);
            let judged = audit.function_cell(f, id);
            let (class, mark) = match judged.map(|c| c.outcome) {
                Some(CellOutcome::Fail) => (" fail", " ✗"),
                Some(CellOutcome::Unspecified) => (" unspec", " ?"),
                _ => ("", ""),
            };
            let title = judged
                .map(|c| format!(" title=\"expected {}, actual {}\"", c.expected, c.actual))
                .unwrap_or_default();
            write!(
                out,
                "{}",
                if can {
                    format!("<td class=\"yes{class}\" data-execute=\"yes\"{title}>✓{mark}</td>")
                } else {
                    format!("<td class=\"no{class}\" data-execute=\"no\"{title}>–{mark}</td>")
                }
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</table>")
}
