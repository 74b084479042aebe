#![no_main]
//! The splitter never panics, and what it returns indexes the input consistently.

use libfuzzer_sys::fuzz_target;
use rlsgate::sql::{line_col, split};

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else { return };
    match split(sql) {
        Ok(statements) => {
            let mut previous_end = 0;
            for s in &statements {
                assert!(s.start >= previous_end);
                assert_eq!(&sql[s.start..s.end()], s.text);
                assert!(s.token_start >= s.start && s.token_start < s.end());
                assert_eq!((s.line, s.column), line_col(sql, s.token_start));
                assert!(!s.code().is_empty());
                previous_end = s.end();
            }
        }
        Err(e) => {
            assert!(e.offset < sql.len());
            assert_eq!((e.line, e.column), line_col(sql, e.offset));
        }
    }
});
