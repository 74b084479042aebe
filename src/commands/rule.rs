use std::io::Write;

use crate::cli::RuleArgs;
use crate::lint::registry::{self, Scope, RULES};
use crate::Status;

pub fn run(args: &RuleArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let Some(id) = &args.id else {
        let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
        for r in RULES {
            let scope = match r.scope {
                Scope::Static => "files",
                Scope::Both => "files+db",
            };
            writeln!(
                out,
                "{:width$}  {:7}  {:8}  {}",
                r.id,
                r.default_severity.as_str(),
                scope,
                r.summary
            )?;
        }
        writeln!(out, "\n`rlsgate rule <id>` prints a rule's documentation.")?;
        return Ok(Status::Clean);
    };
    let Some(rule) = registry::find(id) else {
        let best = RULES
            .iter()
            .map(|r| (strsim::jaro_winkler(r.id, id), r.id))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(s, _)| *s > 0.7)
            .map(|(_, r)| format!("; did you mean `{r}`?"))
            .unwrap_or_default();
        anyhow::bail!("unknown rule `{id}`{best} (`rlsgate rule` lists every rule)");
    };
    writeln!(out, "# {}\n", rule.id)?;
    writeln!(
        out,
        "{} (default severity: {})\n",
        rule.summary, rule.default_severity
    )?;
    writeln!(out, "{}\n", rule.doc_text())?;
    writeln!(out, "{}", registry::doc_url(rule.id))?;
    Ok(Status::Clean)
}
