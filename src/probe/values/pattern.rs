//! Sample strings for the patterns CHECKs use on text: a POSIX regular expression
//! (`code ~ '^HRM-[A-Z0-9]{4}$'`) or a LIKE pattern (`sku like 'SKU-%'`). Covers literals,
//! escapes, bracket expressions, groups with alternatives and quantifiers; anything else
//! (lookaround, back references) gives no sample. `variant` picks other characters where
//! the pattern allows a choice, so rows under a unique key get different samples.

enum Node {
    /// Characters the position accepts, preferred first.
    Class(Vec<char>),
    /// Alternatives, each a sequence; the first is used.
    Group(Vec<Vec<(Node, usize)>>),
}

/// A string `pattern` matches, when the pattern is simple enough to invert.
pub fn regex_sample(pattern: &str, variant: usize) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut pos = 0;
    let tree = alternatives(&chars, &mut pos)?;
    if pos != chars.len() {
        return None;
    }
    let mut out = String::new();
    let mut v = variant;
    emit(&Node::Group(tree), &mut v, &mut out);
    Some(out)
}

/// A string a LIKE pattern matches: `%` holds the variant's digits (or nothing), `_` a letter.
pub fn like_sample(pattern: &str, variant: usize) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    let mut filled = false;
    while let Some(c) = chars.next() {
        match c {
            '%' if !filled && variant > 0 => {
                out.push_str(&variant.to_string());
                filled = true;
            }
            '%' => {}
            '_' => out.push('x'),
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

fn emit(node: &Node, v: &mut usize, out: &mut String) {
    match node {
        Node::Class(options) => {
            out.push(options[*v % options.len()]);
            *v /= options.len();
        }
        Node::Group(alts) => {
            for (n, times) in &alts[0] {
                for _ in 0..*times {
                    emit(n, v, out);
                }
            }
        }
    }
}

fn alternatives(chars: &[char], pos: &mut usize) -> Option<Vec<Vec<(Node, usize)>>> {
    let mut alts = vec![sequence(chars, pos)?];
    while chars.get(*pos) == Some(&'|') {
        *pos += 1;
        alts.push(sequence(chars, pos)?);
    }
    Some(alts)
}

fn one(c: char) -> Node {
    Node::Class(vec![c])
}

fn sequence(chars: &[char], pos: &mut usize) -> Option<Vec<(Node, usize)>> {
    let mut out = Vec::new();
    while let Some(&c) = chars.get(*pos) {
        let node = match c {
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
                Node::Group(inner)
            }
            '[' => bracket(chars, pos)?,
            '\\' => {
                let e = *chars.get(*pos + 1)?;
                *pos += 2;
                match e {
                    'd' => Node::Class(digits()),
                    'w' | 'D' | 'S' => Node::Class(letters()),
                    's' => one(' '),
                    'W' => one('-'),
                    'm' | 'M' | 'y' | 'Y' | 'A' | 'Z' => continue,
                    e if e.is_ascii_digit() => return None,
                    e => one(e),
                }
            }
            '.' => {
                *pos += 1;
                Node::Class(letters())
            }
            '*' | '+' | '?' | '{' => return None,
            c => {
                *pos += 1;
                one(c)
            }
        };
        let min = quantifier(chars, pos)?;
        out.push((node, min));
    }
    Some(out)
}

fn digits() -> Vec<char> {
    ('0'..='9').collect()
}

fn letters() -> Vec<char> {
    ('a'..='z').collect()
}

/// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (and a lazy `?` after them): the fewest repetitions
/// that still give a non-empty string where one is allowed.
fn quantifier(chars: &[char], pos: &mut usize) -> Option<usize> {
    let min = match chars.get(*pos) {
        Some('*') | Some('?') => 0,
        Some('+') => 1,
        Some('{') => {
            let close = chars[*pos..].iter().position(|&c| c == '}')? + *pos;
            let body: String = chars[*pos + 1..close].iter().collect();
            let lo = body.split(',').next()?.trim().parse().ok()?;
            *pos = close;
            lo
        }
        _ => return Some(1),
    };
    *pos += 1;
    if chars.get(*pos) == Some(&'?') {
        *pos += 1;
    }
    Some(min)
}

/// The characters a bracket expression accepts, letters and digits first.
fn bracket(chars: &[char], pos: &mut usize) -> Option<Node> {
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
            let e = *chars.get(*pos)?;
            let class: &[(char, char)] = match e {
                'd' => &[('0', '9')],
                'w' => &[('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')],
                's' => &[(' ', ' ')],
                _ => &[],
            };
            if !class.is_empty() {
                *pos += 1;
                members.extend_from_slice(class);
                continue;
            }
            e
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
    let common = ('a'..='z').chain('A'..='Z').chain('0'..='9');
    let mut options: Vec<char> = common.filter(|&x| accepts(x) != negated).collect();
    if options.is_empty() && !negated {
        options.push(members.first()?.0);
    }
    (!options.is_empty()).then_some(Node::Class(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_match_the_shapes_checks_use() {
        let s = |p| regex_sample(p, 0).unwrap();
        assert_eq!(s("^HRM-[A-Z0-9]{4}-[A-Z0-9]{4}$"), "HRM-AAAA-AAAA");
        assert_eq!(s("^[a-z0-9]+(-[a-z0-9]+)*$"), "a");
        assert_eq!(s("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"), "a@a.a");
        assert_eq!(s("^(draft|live)$"), "draft");
        assert_eq!(s("^#[0-9a-fA-F]{6}$"), "#aaaaaa");
        assert_eq!(s("^[[:upper:]]{2}$"), "AA");
        assert_eq!(s("^\\d{3}-\\d{2,4}$"), "000-00");
        assert_eq!(regex_sample("^(?=a)b$", 0), None);
        assert_eq!(like_sample("SKU-%_", 0), "SKU-x");
        assert_eq!(like_sample("SKU-%", 7), "SKU-7");
    }

    #[test]
    fn variants_differ_where_the_pattern_allows() {
        let a = regex_sample("^HRM-[A-Z0-9]{4}$", 1).unwrap();
        let b = regex_sample("^HRM-[A-Z0-9]{4}$", 2).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("HRM-") && a.len() == 8);
    }
}
