pub fn lint_catalog() {}
