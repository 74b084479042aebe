//! Names and values written into SQL text. The escaping is libpq's (`postgres-protocol`); an
//! identifier stays bare only where Postgres's own `quote_ident()` would leave it bare, so
//! generated SQL (pgTAP files, reproductions) reads like hand-written SQL.

use postgres_protocol::escape::{escape_identifier, escape_literal};

/// Keywords that cannot stand bare as a column, table or function name in some position:
/// every keyword `pg_get_keywords()` files under a category other than unreserved, in
/// PostgreSQL 15 (77 reserved, 51 column-name, 23 type/function-name), and those later
/// versions add (`system_user`, the SQL/JSON constructors). Sorted for binary search.
const NOT_UNRESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `name` as an SQL identifier: bare when it is lower case, starts with a letter or `_`, holds
/// only letters, digits and `_`, and is no keyword that needs quoting; else double-quoted.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && NOT_UNRESERVED.binary_search(&name).is_err() {
        name.to_string()
    } else {
        escape_identifier(name)
    }
}

/// `text` as an SQL string literal, safe under either `standard_conforming_strings`.
pub fn quote_literal(text: &str) -> String {
    escape_literal(text).trim_start().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyword_list_is_sorted_and_lower_case() {
        assert!(NOT_UNRESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(NOT_UNRESERVED
            .iter()
            .all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }

    #[test]
    fn reserved_words_and_odd_names_are_quoted_plain_names_are_not() {
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("owner_id"), "owner_id");
        assert_eq!(quote_ident("name"), "name");
        assert_eq!(quote_ident("Profiles"), "\"Profiles\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("1st"), "\"1st\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_ident("a$b"), "\"a$b\"");
    }

    #[test]
    fn literals_double_quotes_and_escape_backslashes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b"), r"E'a\\b'");
        assert_eq!(quote_literal(""), "''");
    }
}
