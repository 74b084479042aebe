//! Sample strings for the patterns CHECKs use on text: a POSIX regular expression
//! (`code ~ '^HRM-[A-Z0-9]{4}$'`) or a LIKE pattern (`sku like 'SKU-%'`). Covers literals,
//! escapes, bracket expressions, groups with alternatives and quantifiers; anything else
//! (lookaround, back references) gives no sample.

/// A string `pattern` matches, when the pattern is simple enough to invert.
pub fn regex_sample(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut pos = 0;
    let out = alternatives(&chars, &mut pos)?;
    (pos == chars.len()).then_some(out)
}

/// A string a LIKE pattern matches: `%` is empty, `_` one letter.
pub fn like_sample(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => {}
            '_' => out.push('x'),
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// The first alternative of `a|b|c`, up to a closing parenthesis or the end.
fn alternatives(chars: &[char], pos: &mut usize) -> Option<String> {
    let first = sequence(chars, pos)?;
    while chars.get(*pos) == Some(&'|') {
        *pos += 1;
        sequence(chars, pos)?;
    }
    Some(first)
}

fn sequence(chars: &[char], pos: &mut usize) -> Option<String> {
    let mut out = String::new();
    while let Some(&c) = chars.get(*pos) {
        let atom = match c {
            '|' | ')' => break,
            '^' | '$' => {
                *pos += 1;
                continue;
            }
            '(' => {
                *pos += 1;
                if chars.get(*pos) == Some(&'?') {
                    if chars.get(*pos + 1) != Some(&':') {
                        return None;
                    }
                    *pos += 2;
                }
                let inner = alternatives(chars, pos)?;
                if chars.get(*pos) != Some(&')') {
                    return None;
                }
                *pos += 1;
                inner
            }
            '[' => bracket(chars, pos)?,
            '\\' => {
                let e = *chars.get(*pos + 1)?;
                *pos += 2;
                match e {
                    'd' => "0".into(),
                    'w' | 'D' | 'S' => "a".into(),
                    's' => " ".into(),
                    'W' => "-".into(),
                    'm' | 'M' | 'y' | 'Y' | 'A' | 'Z' => continue,
                    e if e.is_ascii_digit() => return None,
                    e => e.to_string(),
                }
            }
            '.' => {
                *pos += 1;
                "a".into()
            }
            '*' | '+' | '?' | '{' => return None,
            c => {
                *pos += 1;
                c.to_string()
            }
        };
        let (min, _) = quantifier(chars, pos)?;
        out.push_str(&atom.repeat(min));
    }
    Some(out)
}

/// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (and a lazy `?` after them): (min, max).
fn quantifier(chars: &[char], pos: &mut usize) -> Option<(usize, Option<usize>)> {
    let q = match chars.get(*pos) {
        Some('*') => (0, None),
        Some('+') => (1, None),
        Some('?') => (0, Some(1)),
        Some('{') => {
            let close = chars[*pos..].iter().position(|&c| c == '}')? + *pos;
            let body: String = chars[*pos + 1..close].iter().collect();
            let (lo, hi) = match body.split_once(',') {
                Some((lo, hi)) => (
                    lo.trim().parse().ok()?,
                    if hi.trim().is_empty() {
                        None
                    } else {
                        Some(hi.trim().parse().ok()?)
                    },
                ),
                None => {
                    let n = body.trim().parse().ok()?;
                    (n, Some(n))
                }
            };
            *pos = close;
            (lo, hi)
        }
        _ => return Some((1, Some(1))),
    };
    *pos += 1;
    if chars.get(*pos) == Some(&'?') {
        *pos += 1;
    }
    Some(q)
}

/// One character a bracket expression accepts.
fn bracket(chars: &[char], pos: &mut usize) -> Option<String> {
    *pos += 1;
    let negated = chars.get(*pos) == Some(&'^');
    if negated {
        *pos += 1;
    }
    let mut members: Vec<(char, char)> = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(*pos)?;
        if c == ']' && !first {
            *pos += 1;
            break;
        }
        first = false;
        if c == '[' && chars.get(*pos + 1) == Some(&':') {
            let rest: String = chars[*pos..].iter().collect();
            let end = rest.find(":]")?;
            let class = &rest[2..end];
            *pos += rest[..end + 2].chars().count();
            members.extend(match class {
                "digit" => vec![('0', '9')],
                "upper" => vec![('A', 'Z')],
                "lower" => vec![('a', 'z')],
                "alpha" => vec![('a', 'z'), ('A', 'Z')],
                "alnum" | "word" => vec![('a', 'z'), ('A', 'Z'), ('0', '9')],
                "space" | "blank" => vec![(' ', ' ')],
                "xdigit" => vec![('0', '9'), ('a', 'f')],
                _ => vec![('a', 'z')],
            });
            continue;
        }
        let c = if c == '\\' {
            *pos += 1;
            match *chars.get(*pos)? {
                'd' => {
                    *pos += 1;
                    members.push(('0', '9'));
                    continue;
                }
                'w' => {
                    *pos += 1;
                    members.extend([('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')]);
                    continue;
                }
                's' => {
                    *pos += 1;
                    members.push((' ', ' '));
                    continue;
                }
                e => e,
            }
        } else {
            c
        };
        *pos += 1;
        if chars.get(*pos) == Some(&'-') && chars.get(*pos + 1).is_some_and(|&n| n != ']') {
            let hi = chars[*pos + 1];
            *pos += 2;
            members.push((c, hi));
        } else {
            members.push((c, c));
        }
    }
    let accepts = |x: char| members.iter().any(|&(lo, hi)| lo <= x && x <= hi);
    let pick = if negated {
        ['a', 'x', '0', 'A', '_', '-']
            .into_iter()
            .find(|&x| !accepts(x))?
    } else {
        ['a', 'A', '0']
            .into_iter()
            .find(|&x| accepts(x))
            .unwrap_or(members.first()?.0)
    };
    Some(pick.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_match_the_shapes_checks_use() {
        let s = |p| regex_sample(p).unwrap();
        assert_eq!(s("^HRM-[A-Z0-9]{4}-[A-Z0-9]{4}$"), "HRM-AAAA-AAAA");
        assert_eq!(s("^[a-z0-9]+(-[a-z0-9]+)*$"), "a");
        assert_eq!(s("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"), "a@a.a");
        assert_eq!(s("^(draft|live)$"), "draft");
        assert_eq!(s("^#[0-9a-fA-F]{6}$"), "#aaaaaa");
        assert_eq!(s("^[[:upper:]]{2}$"), "AA");
        assert_eq!(s("^\\d{3}-\\d{2,4}$"), "000-00");
        assert_eq!(regex_sample("^(?=a)b$"), None);
        assert_eq!(like_sample("SKU-%_"), "SKU-x");
    }
}
