//! Syntax errors as Postgres reports them: each file goes through Postgres's own grammar
//! (libpg_query, through the `pg_query` crate), so a statement is an error exactly when the
//! server would reject it as one, wherever sqlparser merely cannot read it.

use std::ffi::{c_char, c_int, CStr, CString};

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQuerySplitStmt {
    stmt_location: c_int,
    stmt_len: c_int,
}

#[repr(C)]
struct PgQuerySplitResult {
    stmts: *mut *mut PgQuerySplitStmt,
    n_stmts: c_int,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    // Declared in libpg_query's pg_query.h; the pg_query crate links the library. Its Rust
    // wrapper drops the error's position, which a diagnostic needs.
    fn pg_query_split_with_parser(input: *const c_char) -> PgQuerySplitResult;
    fn pg_query_free_split_result(result: PgQuerySplitResult);
}

/// The first syntax error in a file: Postgres's message and the byte offset it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

/// Parse `text` (a whole migration file) with Postgres's grammar.
pub fn check(text: &str) -> Option<SyntaxError> {
    if pg_query::split_with_parser(text).is_ok() {
        return None;
    }
    let input = CString::new(text).ok()?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result is
    // read before it is freed, once, with the library's own function.
    unsafe {
        let result = pg_query_split_with_parser(input.as_ptr());
        let error = result.error.as_ref().map(|e| {
            let message = if e.message.is_null() {
                "syntax error".to_string()
            } else {
                CStr::from_ptr(e.message).to_string_lossy().into_owned()
            };
            (message, e.cursorpos)
        });
        pg_query_free_split_result(result);
        let (message, cursorpos) = error?;
        let offset = usize::try_from(cursorpos)
            .ok()
            .filter(|p| *p > 0)
            .map_or(0, |p| char_to_byte(text, p - 1));
        Some(SyntaxError { message, offset })
    }
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_grammar_decides() {
        assert_eq!(
            check("create table t (id int);\ncreate policy p on t using (true);"),
            None
        );
        assert_eq!(check("do $$ begin perform 1; end $$;\nalter default privileges in schema public revoke execute on functions from public;"), None);
        let text = "create table t (id int);\ncreate tabel é (id int);";
        let e = check(text).unwrap();
        assert_eq!(e.message, "syntax error at or near \"tabel\"");
        assert_eq!(&text[e.offset..e.offset + 5], "tabel");
        let e = check("select é from t where").unwrap();
        assert_eq!(e.message, "syntax error at end of input");
    }
}
