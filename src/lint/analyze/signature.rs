//! A function's signature as its argument list gives it: the argument types and their count.

/// Argument types of a function's argument list (names and modes dropped, OUT args skipped).
pub(super) fn arg_types(list: &str) -> (String, usize) {
    let mut types = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = list.as_bytes();
    let mut pieces = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                pieces.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&list[start..]);
    for piece in pieces {
        let piece = piece.split_once(" default ").map_or(piece, |(a, _)| a);
        let piece = piece.split_once('=').map_or(piece, |(a, _)| a);
        let mut words: Vec<&str> = piece.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        let mode = words[0].to_ascii_lowercase();
        if mode == "out" {
            continue;
        }
        if matches!(mode.as_str(), "in" | "inout" | "variadic") {
            words.remove(0);
        }
        if words.len() > 1 && !is_type_word(words[0]) {
            words.remove(0);
        }
        types.push(words.join(" ").to_lowercase());
    }
    let arity = types.len();
    (types.join(", "), arity)
}

fn is_type_word(w: &str) -> bool {
    matches!(
        w.to_ascii_lowercase().as_str(),
        "double" | "character" | "timestamp" | "time" | "bit" | "char" | "varchar" | "interval"
    )
}
