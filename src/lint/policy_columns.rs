//! Which columns a policy's expression ties to the caller, and how the column names inside its
//! subqueries resolve (Postgres looks a name up in the innermost FROM first, then outwards).

use crate::sql::lex::{tokens, Token, TokenKind};
use crate::sql::names::{normalize_ident, QualifiedName};

fn code_tokens(expr: &str) -> Vec<Token> {
    tokens(expr)
        .map_while(Result::ok)
        .filter(|t| !t.is_comment())
        .collect()
}

fn is_name(t: &Token) -> bool {
    matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent)
}

/// A column reference in an expression: `c`, `t.c` or `s.t.c`, and where its last part is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRef {
    pub qualifier: Option<String>,
    pub name: String,
    pub start: usize,
    pub end: usize,
}

/// The column reference ending at token `k` (inclusive), reading back over `::type` casts.
fn ref_ending_at(toks: &[Token], sql: &str, mut k: usize) -> Option<ColumnRef> {
    while k >= 2 && toks[k - 1].is_punct(sql, ':') && toks[k - 2].is_punct(sql, ':') {
        k = k.checked_sub(3)?;
    }
    let last = toks.get(k).filter(|t| is_name(t))?;
    let qualifier = (k >= 2 && toks[k - 1].is_punct(sql, '.') && is_name(&toks[k - 2]))
        .then(|| normalize_ident(toks[k - 2].text(sql)));
    Some(ColumnRef {
        qualifier,
        name: normalize_ident(last.text(sql)),
        start: last.start,
        end: last.end,
    })
}

/// The column reference starting at token `k`; `None` for a call or anything else.
fn ref_starting_at(toks: &[Token], sql: &str, k: usize) -> Option<ColumnRef> {
    toks.get(k).filter(|t| is_name(t))?;
    let mut last = k;
    while toks.get(last + 1).is_some_and(|d| d.is_punct(sql, '.'))
        && toks.get(last + 2).is_some_and(is_name)
    {
        last += 2;
    }
    if toks.get(last + 1).is_some_and(|p| p.is_punct(sql, '(')) {
        return None;
    }
    let qualifier = (last > k).then(|| normalize_ident(toks[last - 2].text(sql)));
    Some(ColumnRef {
        qualifier,
        name: normalize_ident(toks[last].text(sql)),
        start: toks[last].start,
        end: toks[last].end,
    })
}

/// `auth.uid()` or `(select auth.uid() [as x])` starting at token `k`: the index after it.
fn auth_uid_at(toks: &[Token], sql: &str, k: usize) -> Option<usize> {
    let call = |k: usize| {
        (toks.get(k)?.is_word(sql, "auth")
            && toks.get(k + 1)?.is_punct(sql, '.')
            && toks.get(k + 2)?.is_word(sql, "uid")
            && toks.get(k + 3)?.is_punct(sql, '(')
            && toks.get(k + 4)?.is_punct(sql, ')'))
        .then_some(k + 5)
    };
    if let Some(end) = call(k) {
        return Some(end);
    }
    if toks.get(k)?.is_punct(sql, '(') && toks.get(k + 1)?.is_word(sql, "select") {
        let mut end = call(k + 2)?;
        if toks.get(end)?.is_word(sql, "as") {
            end += 2;
        }
        return toks.get(end)?.is_punct(sql, ')').then_some(end + 1);
    }
    None
}

/// Depth in subqueries of each token (0 outside any `(select ...)`).
fn select_depths(toks: &[Token], sql: &str) -> Vec<usize> {
    let mut stack: Vec<bool> = Vec::new();
    let mut out = Vec::with_capacity(toks.len());
    for (k, t) in toks.iter().enumerate() {
        if t.is_punct(sql, '(') {
            stack.push(toks.get(k + 1).is_some_and(|n| n.is_word(sql, "select")));
        }
        out.push(stack.iter().filter(|s| **s).count());
        if t.is_punct(sql, ')') {
            stack.pop();
        }
    }
    out
}

/// Columns compared with `auth.uid()` outside any subquery: `auth.uid() = owner`,
/// `(select auth.uid()) = t.owner`, `owner::text = auth.uid()::text`. The columns of the
/// policy's table, so a qualifier other than `table` (another table's column) is skipped.
pub fn owner_columns(expr: &str, table: &str) -> Vec<ColumnRef> {
    let toks = code_tokens(expr);
    let depth = select_depths(&toks, expr);
    let mut out = Vec::new();
    let skip_cast = |mut k: usize| {
        while toks.get(k).is_some_and(|c| c.is_punct(expr, ':'))
            && toks.get(k + 1).is_some_and(|c| c.is_punct(expr, ':'))
        {
            k += 3;
        }
        k
    };
    for k in 0..toks.len() {
        let Some(end) = auth_uid_at(&toks, expr, k) else {
            continue;
        };
        if depth[k] > usize::from(toks[k].is_punct(expr, '(')) {
            continue;
        }
        let after = skip_cast(end);
        let candidate = if toks.get(after).is_some_and(|e| e.is_punct(expr, '='))
            && !toks.get(after + 1).is_some_and(|e| e.is_punct(expr, '='))
        {
            ref_starting_at(&toks, expr, after + 1)
        } else if k >= 2
            && toks[k - 1].is_punct(expr, '=')
            && !toks[k - 2].is_punct(expr, '<')
            && !toks[k - 2].is_punct(expr, '>')
            && !toks[k - 2].is_punct(expr, '!')
        {
            ref_ending_at(&toks, expr, k - 2)
        } else {
            None
        };
        if let Some(c) = candidate.filter(|c| c.qualifier.as_deref().is_none_or(|q| q == table)) {
            out.push(c);
        }
    }
    out
}

/// The expression names column `name` anywhere (bare or qualified).
pub fn mentions_column(expr: &str, name: &str) -> bool {
    let toks = code_tokens(expr);
    toks.iter().enumerate().any(|(k, t)| {
        is_name(t)
            && normalize_ident(t.text(expr)) == name
            && !toks
                .get(k + 1)
                .is_some_and(|p| p.is_punct(expr, '(') || p.is_punct(expr, '.'))
    })
}

/// Where an unqualified column of a policy subquery resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// The unqualified name, as a range in the analysed text.
    pub column: ColumnRef,
    /// The subquery's table it resolves to.
    pub inner: QualifiedName,
    /// The other side of the comparison, as written.
    pub other: String,
    /// Both sides resolve to the same column: the comparison is always true.
    pub tautology: bool,
}

struct Frame {
    open: usize,
    close: usize,
    /// Tables of the FROM list with their alias; `None` when one is not a plain table.
    tables: Option<Vec<(QualifiedName, Option<String>)>>,
}

const CLAUSE_WORDS: [&str; 21] = [
    "where",
    "group",
    "order",
    "limit",
    "having",
    "union",
    "except",
    "intersect",
    "offset",
    "window",
    "join",
    "left",
    "right",
    "inner",
    "outer",
    "full",
    "cross",
    "natural",
    "on",
    "using",
    "lateral",
];

fn from_list(
    toks: &[Token],
    sql: &str,
    from: usize,
    close: usize,
    owner: &[usize],
    frame: usize,
) -> Option<Vec<(QualifiedName, Option<String>)>> {
    let mut tables = Vec::new();
    let mut k = from + 1;
    let mut expect_table = true;
    while k < close {
        if owner[k] != frame {
            k += 1;
            continue;
        }
        let t = toks[k];
        if expect_table {
            if !is_name(&t) || t.is_word(sql, "lateral") {
                return None;
            }
            let mut parts = vec![normalize_ident(t.text(sql))];
            while toks.get(k + 1).is_some_and(|d| d.is_punct(sql, '.'))
                && toks.get(k + 2).is_some_and(is_name)
            {
                parts.push(normalize_ident(toks[k + 2].text(sql)));
                k += 2;
            }
            if toks.get(k + 1).is_some_and(|p| p.is_punct(sql, '(')) {
                return None;
            }
            k += 1;
            if toks.get(k).is_some_and(|a| a.is_word(sql, "as")) {
                k += 1;
            }
            let alias = toks
                .get(k)
                .filter(|a| {
                    is_name(a) && !CLAUSE_WORDS.iter().any(|w| a.is_word(sql, w)) && k < close
                })
                .map(|a| normalize_ident(a.text(sql)));
            if alias.is_some() {
                k += 1;
            }
            tables.push((QualifiedName::from_parts(&parts)?, alias));
            expect_table = false;
            continue;
        }
        if t.is_punct(sql, ',') || t.is_word(sql, "join") {
            expect_table = true;
        } else if [
            "where",
            "group",
            "order",
            "limit",
            "having",
            "union",
            "except",
            "intersect",
            "offset",
            "window",
        ]
        .iter()
        .any(|w| t.is_word(sql, w))
        {
            break;
        }
        k += 1;
    }
    Some(tables)
}

/// Comparisons inside the subqueries of `text` (a policy statement or expression) where an
/// unqualified column resolves to a subquery's table although the policy's table `outer` has a
/// column of that name too, and the other side is also a column of the subquery's tables:
/// `exists (select 1 from team_members tm where tm.team_id = team_id)` compares `tm.team_id`
/// with itself. `columns` gives a table's columns, `None` when unknown (then nothing is said).
pub fn captured_columns(
    text: &str,
    outer: &QualifiedName,
    columns: &dyn Fn(&QualifiedName) -> Option<Vec<String>>,
) -> Vec<Captured> {
    let toks = code_tokens(text);
    let Some(outer_columns) = columns(outer) else {
        return Vec::new();
    };
    let mut frames: Vec<Frame> = Vec::new();
    let mut stack: Vec<Option<usize>> = Vec::new();
    let mut owner = vec![usize::MAX; toks.len()];
    for (k, t) in toks.iter().enumerate() {
        if t.is_punct(text, '(') {
            if toks.get(k + 1).is_some_and(|n| n.is_word(text, "select")) {
                frames.push(Frame {
                    open: k,
                    close: toks.len(),
                    tables: None,
                });
                stack.push(Some(frames.len() - 1));
            } else {
                stack.push(None);
            }
        }
        owner[k] = stack.iter().rev().find_map(|f| *f).unwrap_or(usize::MAX);
        if t.is_punct(text, ')') {
            if let Some(Some(f)) = stack.pop() {
                frames[f].close = k;
            }
        }
    }
    let tables: Vec<_> = (0..frames.len())
        .map(|f| {
            let (open, close) = (frames[f].open, frames[f].close);
            match (open + 1..close).find(|&k| owner[k] == f && toks[k].is_word(text, "from")) {
                Some(from) => from_list(&toks, text, from, close, &owner, f),
                None => Some(Vec::new()),
            }
        })
        .collect();
    for (frame, t) in frames.iter_mut().zip(tables) {
        frame.tables = t;
    }
    let enclosing = |f: usize| -> Vec<usize> {
        let mut chain = vec![f];
        let mut cur = f;
        while let Some(parent) = (0..frames.len())
            .filter(|&p| frames[p].open < frames[cur].open && frames[p].close > frames[cur].close)
            .max_by_key(|&p| frames[p].open)
        {
            chain.push(parent);
            cur = parent;
        }
        chain
    };
    #[derive(PartialEq)]
    enum Resolved {
        Inner(QualifiedName),
        Outer,
        Unknown,
    }
    let resolve = |r: &ColumnRef, chain: &[usize]| -> Resolved {
        for &f in chain {
            let Some(tables) = &frames[f].tables else {
                return Resolved::Unknown;
            };
            for (table, alias) in tables {
                let named = match &r.qualifier {
                    Some(q) => {
                        alias.as_deref() == Some(q.as_str())
                            || (alias.is_none() && table.name == *q)
                    }
                    None => false,
                };
                if named {
                    return Resolved::Inner(table.clone());
                }
            }
            if r.qualifier.is_none() {
                let mut hit = None;
                for (table, _) in tables {
                    match columns(table) {
                        None => return Resolved::Unknown,
                        Some(c) if c.contains(&r.name) => hit = Some(table.clone()),
                        Some(_) => {}
                    }
                }
                if let Some(table) = hit {
                    return Resolved::Inner(table);
                }
            }
        }
        match &r.qualifier {
            Some(q) if *q == outer.name => Resolved::Outer,
            Some(_) => Resolved::Unknown,
            None if outer_columns.contains(&r.name) => Resolved::Outer,
            None => Resolved::Unknown,
        }
    };
    let mut out = Vec::new();
    for k in 1..toks.len().saturating_sub(1) {
        let f = owner[k];
        if f == usize::MAX || !toks[k].is_punct(text, '=') {
            continue;
        }
        if ['<', '>', '!', '=']
            .iter()
            .any(|c| toks[k - 1].is_punct(text, *c))
            || toks[k + 1].is_punct(text, '=')
        {
            continue;
        }
        let (Some(left), Some(right)) = (
            ref_ending_at(&toks, text, k - 1),
            ref_starting_at(&toks, text, k + 1),
        ) else {
            continue;
        };
        let chain = enclosing(f);
        for (bare, other) in [(&right, &left), (&left, &right)] {
            if bare.qualifier.is_some() || !outer_columns.contains(&bare.name) {
                continue;
            }
            let Resolved::Inner(inner) = resolve(bare, &chain) else {
                continue;
            };
            let Resolved::Inner(other_table) = resolve(other, &chain) else {
                continue;
            };
            out.push(Captured {
                tautology: other_table == inner && other.name == bare.name,
                column: bare.clone(),
                inner,
                other: match &other.qualifier {
                    Some(q) => format!("{q}.{}", other.name),
                    None => other.name.clone(),
                },
            });
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_columns_of_direct_comparisons() {
        let names = |e: &str| {
            owner_columns(e, "posts")
                .into_iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("auth.uid() = author_id"), ["author_id"]);
        assert_eq!(
            names("(( SELECT auth.uid() AS uid) = author_id)"),
            ["author_id"]
        );
        assert_eq!(
            names("posts.editor_id = (select auth.uid())"),
            ["editor_id"]
        );
        assert_eq!(names("owner::text = auth.uid()::text"), ["owner"]);
        assert!(names("exists (select 1 from m where m.user_id = auth.uid())").is_empty());
        assert!(names("auth.uid() <> author_id").is_empty());
        assert!(names("other.author_id = auth.uid()").is_empty());
    }

    fn cols(n: &QualifiedName) -> Option<Vec<String>> {
        let c: &[&str] = match n.name.as_str() {
            "projects" => &["id", "team_id", "name"],
            "team_members" => &["id", "team_id", "user_id"],
            "teams" => &["id", "name"],
            "user_orgs" => &["org_id", "user_id"],
            _ => return None,
        };
        Some(c.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn a_column_of_both_tables_resolves_inside_the_subquery() {
        let projects = QualifiedName::new("public", "projects");
        let found = captured_columns(
            "exists (select 1 from team_members tm where tm.user_id = auth.uid() and tm.team_id = team_id)",
            &projects,
            &cols,
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].tautology);
        assert_eq!(found[0].column.name, "team_id");
        assert_eq!(found[0].inner.name, "team_members");
        let e = "exists (select 1 from team_members where team_members.team_id = id)";
        let found = captured_columns(e, &projects, &cols);
        assert_eq!((found.len(), found[0].tautology), (1, false));
        assert_eq!(&e[found[0].column.start..found[0].column.end], "id");
    }

    #[test]
    fn qualified_columns_and_names_only_outside_resolve_outwards() {
        let projects = QualifiedName::new("public", "projects");
        for e in [
            "exists (select 1 from team_members tm where tm.team_id = projects.team_id and tm.user_id = auth.uid())",
            "exists (select 1 from teams t where t.id = team_id)",
            "exists (select 1 from user_orgs uo where uo.user_id = auth.uid() and uo.org_id = name)",
            "exists (select 1 from unknown_table u where u.team_id = team_id)",
        ] {
            assert!(captured_columns(e, &projects, &cols).is_empty(), "{e}");
        }
    }
}
