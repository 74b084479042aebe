//! pgvector indexes inside `DO` blocks: without pgvector the stand-in has no `ivfflat` or
//! `hnsw` access method, so those `CREATE INDEX` statements are replaced by `null;` (a
//! PL/pgSQL no-op) and reported by name. Statements built in strings (`EXECUTE '...'`) are
//! left alone.

/// `code` with its vector index statements replaced, and the methods and names of the
/// indexes taken out; `None` when there were none.
pub fn without_vector_indexes(code: &str) -> Option<(String, Vec<(String, String)>)> {
    let lower = code.to_ascii_lowercase();
    let mut out = String::new();
    let mut removed = Vec::new();
    let mut cursor = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find("create") {
        let start = from + found;
        from = start + "create".len();
        let Some(len) = lower[start..].find(';') else {
            break;
        };
        let end = start + len;
        let segment = &lower[start..end];
        if segment.contains('\'') {
            continue;
        }
        let words: Vec<&str> = segment
            .split(|c: char| c.is_whitespace() || c == '(')
            .filter(|w| !w.is_empty())
            .collect();
        let Some(index_at) = words.iter().position(|w| *w == "index") else {
            continue;
        };
        if !words[1..index_at].iter().all(|w| *w == "unique") {
            continue;
        }
        let Some(method) = words
            .iter()
            .position(|w| *w == "using")
            .and_then(|u| words.get(u + 1))
            .filter(|m| matches!(**m, "ivfflat" | "hnsw"))
        else {
            continue;
        };
        let name = words[index_at + 1..]
            .iter()
            .find(|w| !matches!(**w, "concurrently" | "if" | "not" | "exists" | "on"))
            .filter(|_| words.get(index_at + 1) != Some(&"on"))
            .map_or("(unnamed)", |w| w.trim_matches('"'));
        removed.push((method.to_string(), name.to_string()));
        out.push_str(&code[cursor..start]);
        out.push_str("null");
        cursor = end;
        from = end;
    }
    if removed.is_empty() {
        return None;
    }
    out.push_str(&code[cursor..]);
    Some((out, removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_statements_in_a_do_block_become_no_ops() {
        let code = "DO $$ BEGIN IF NOT EXISTS (SELECT 1) THEN
            CREATE INDEX idx_goals_embedding ON public.goals
              USING ivfflat (embedding vector_cosine_ops) WITH (lists = 100);
            CREATE INDEX goals_title ON public.goals (title);
            EXECUTE 'create index e on t using hnsw (v vector_l2_ops)';
          END IF; END $$";
        let (out, removed) = without_vector_indexes(code).unwrap();
        assert_eq!(
            removed,
            vec![("ivfflat".into(), "idx_goals_embedding".into())]
        );
        assert!(out.contains("THEN\n            null;\n"));
        assert!(out.contains("CREATE INDEX goals_title"));
        assert!(out.contains("using hnsw"));
        assert_eq!(
            without_vector_indexes("DO $$ BEGIN PERFORM 1; END $$"),
            None
        );
    }
}
