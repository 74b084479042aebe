//! Statements sqlparser reads: policies, functions, views, extensions.

use std::collections::BTreeSet;

use sqlparser::ast::{
    CreateFunctionBody, CreatePolicyCommand, CreatePolicyType, CreateTableOptions, Expr,
    FunctionSecurity, Owner, SqlOption, Statement as Ast,
};

use super::privileges::ObjectClass;
use super::{ident, is_truthy, object_name, qualified, strip_dollar_quotes, Analyzer};
use crate::lint::model::{Extension, Function, Policy, PolicyCommand, RelKind, Relation, Site};
use crate::lint::tokens::referenced_relations;
use crate::sql::names::{normalize_ident, QualifiedName};

impl Analyzer {
    pub(super) fn ast_statement(&mut self, ast: &Ast, site: Site) {
        match ast {
            Ast::CreatePolicy(p) => {
                let table = object_name(&p.table_name);
                let roles = match &p.to {
                    Some(owners) if !owners.is_empty() => owners
                        .iter()
                        .map(|o| match o {
                            Owner::Ident(i) => ident(i),
                            other => other.to_string().to_lowercase(),
                        })
                        .collect(),
                    _ => vec!["public".to_string()],
                };
                let command = match p.command {
                    None | Some(CreatePolicyCommand::All) => PolicyCommand::All,
                    Some(CreatePolicyCommand::Select) => PolicyCommand::Select,
                    Some(CreatePolicyCommand::Insert) => PolicyCommand::Insert,
                    Some(CreatePolicyCommand::Update) => PolicyCommand::Update,
                    Some(CreatePolicyCommand::Delete) => PolicyCommand::Delete,
                };
                self.touch(&table, site);
                self.model.policies.push(Policy {
                    table,
                    name: ident(&p.name),
                    permissive: !matches!(p.policy_type, Some(CreatePolicyType::Restrictive)),
                    command,
                    roles,
                    using: p.using.as_ref().map(Expr::to_string),
                    with_check: p.with_check.as_ref().map(Expr::to_string),
                    site: Some(site),
                    to_written: p.to.as_ref().is_some_and(|o| !o.is_empty()),
                });
            }
            Ast::AlterPolicy(p) => {
                let table = object_name(&p.table_name);
                let name = ident(&p.name);
                let Some(policy) = self
                    .model
                    .policies
                    .iter_mut()
                    .find(|q| q.table == table && q.name == name)
                else {
                    return;
                };
                policy.site = Some(site);
                match &p.operation {
                    sqlparser::ast::AlterPolicyOperation::Rename { new_name } => {
                        policy.name = ident(new_name)
                    }
                    sqlparser::ast::AlterPolicyOperation::Apply {
                        to,
                        using,
                        with_check,
                    } => {
                        if let Some(to) = to {
                            policy.to_written = true;
                            policy.roles = to
                                .iter()
                                .map(|o| match o {
                                    Owner::Ident(i) => ident(i),
                                    other => other.to_string().to_lowercase(),
                                })
                                .collect();
                        }
                        if let Some(u) = using {
                            policy.using = Some(u.to_string());
                        }
                        if let Some(w) = with_check {
                            policy.with_check = Some(w.to_string());
                        }
                    }
                }
            }
            Ast::DropPolicy(p) => {
                let table = object_name(&p.table_name);
                let name = ident(&p.name);
                self.model
                    .policies
                    .retain(|q| !(q.table == table && q.name == name));
            }
            Ast::CreateFunction(f) => {
                let name = object_name(&f.name);
                let args: Vec<_> = f.args.iter().flatten().collect();
                let in_args: Vec<String> = args
                    .iter()
                    .filter(|a| !matches!(a.mode, Some(sqlparser::ast::ArgMode::Out)))
                    .map(|a| a.data_type.to_string().to_lowercase())
                    .collect();
                let body = match &f.function_body {
                    Some(CreateFunctionBody::AsBeforeOptions { body, .. })
                    | Some(CreateFunctionBody::AsAfterOptions(body)) => {
                        strip_dollar_quotes(&body.to_string()).to_string()
                    }
                    Some(_) => String::new(),
                    None => String::new(),
                };
                let returns_trigger = f.return_type.as_ref().is_some_and(|r| {
                    let r = normalize_ident(&r.to_string());
                    r == "trigger" || r == "event_trigger"
                });
                let function = Function {
                    args: in_args.join(", "),
                    arity: in_args.len(),
                    security_definer: matches!(f.security, Some(FunctionSecurity::Definer)),
                    search_path_set: f
                        .set_params
                        .iter()
                        .any(|p| normalize_ident(&p.name.to_string()) == "search_path"),
                    language: f
                        .language
                        .as_ref()
                        .map(ident)
                        .unwrap_or_else(|| "sql".into()),
                    body,
                    returns_trigger,
                    returns_boolean: f.return_type.as_ref().is_some_and(|r| {
                        matches!(normalize_ident(&r.to_string()).as_str(), "boolean" | "bool")
                    }),
                    executable_by: BTreeSet::new(),
                    site: Some(site),
                    name,
                };
                self.add_function(function, f.or_replace);
            }
            Ast::CreateView(v) => {
                let name = object_name(&v.name);
                let kind = if v.materialized {
                    RelKind::MaterializedView
                } else {
                    RelKind::View
                };
                let options = match &v.options {
                    CreateTableOptions::With(o)
                    | CreateTableOptions::Options(o)
                    | CreateTableOptions::Plain(o) => o.as_slice(),
                    _ => &[],
                };
                let security_invoker = options.iter().any(|o| match o {
                    SqlOption::KeyValue { key, value } => {
                        key.value.eq_ignore_ascii_case("security_invoker")
                            && is_truthy(&value.to_string())
                    }
                    _ => false,
                });
                let query = v.query.to_string();
                self.create_view(name, kind, security_invoker, &query, site);
            }
            Ast::CreateExtension(e) => {
                let schema = e
                    .schema
                    .as_ref()
                    .map(ident)
                    .unwrap_or_else(|| "public".into());
                self.model.extensions.push(Extension {
                    name: ident(&e.name),
                    schema,
                    site: Some(site),
                });
            }
            _ => {}
        }
    }

    pub(super) fn create_view(
        &mut self,
        name: QualifiedName,
        kind: RelKind,
        security_invoker: bool,
        query: &str,
        site: Site,
    ) {
        let mut relation = Relation::new(name.clone(), kind, Some(site));
        relation.privileges = self.initial_privileges(&name.schema, ObjectClass::Tables);
        relation.security_invoker = security_invoker;
        relation.references = referenced_relations(query)
            .iter()
            .filter_map(|p| qualified(p))
            .collect();
        if let Some(old) = self.model.relations.get(&name) {
            relation.privileges = old.privileges.clone();
        }
        self.model.relations.insert(name, relation);
    }
}
