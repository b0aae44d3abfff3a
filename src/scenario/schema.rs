//! `scenarios/schema.json` and a checker for the part of JSON Schema it
//! uses (`$ref` into `$defs`, `oneOf`, `type`, `enum`, `properties`,
//! `required`, `additionalProperties`, `items`, `minItems`, `maxItems`,
//! `minimum`, `maximum`, `format: date-time`).
//!
//! serde stops at the first problem; the schema finds every structural one,
//! so `mockcloud scenario validate` can list them all.

use serde_json::Value;

/// The JSON Schema of scenario files (draft 2020-12).
pub const SCHEMA: &str = include_str!("../../scenarios/schema.json");

/// One place `document` breaks the schema: a JSON path (`grafana.orgs[0].slug`,
/// empty for the document itself) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

/// Every violation of `schema` by `document`, in document order.
pub fn check(schema: &Value, document: &Value) -> Vec<Violation> {
    let mut checker = Checker {
        root: schema,
        found: Vec::new(),
    };
    checker.check(schema, document, "");
    checker.found
}

struct Checker<'s> {
    root: &'s Value,
    found: Vec<Violation>,
}

impl<'s> Checker<'s> {
    fn report(&mut self, path: &str, message: impl Into<String>) {
        self.found.push(Violation {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn resolve(&self, mut schema: &'s Value) -> &'s Value {
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference
                .strip_prefix("#/$defs/")
                .unwrap_or_else(|| panic!("schema.json: unsupported $ref {reference:?}"));
            schema = &self.root["$defs"][name];
        }
        schema
    }

    fn check(&mut self, schema: &'s Value, value: &Value, path: &str) {
        let schema = self.resolve(schema);
        if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
            self.check_one_of(alternatives, value, path);
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                let names: Vec<String> = allowed.iter().map(Value::to_string).collect();
                self.report(path, format!("{value} is not one of {}", names.join(", ")));
            }
            return;
        }
        if let Some(expected) = schema.get("type").and_then(Value::as_str)
            && !has_type(value, expected)
        {
            self.report(
                path,
                format!("expected {}, found {}", article(expected), describe(value)),
            );
            return;
        }
        if let (Some(minimum), Some(number)) = (
            schema.get("minimum").and_then(Value::as_f64),
            value.as_f64(),
        ) && number < minimum
        {
            self.report(path, format!("{number} is less than the minimum {minimum}"));
        }
        if let (Some(maximum), Some(number)) = (
            schema.get("maximum").and_then(Value::as_f64),
            value.as_f64(),
        ) && number > maximum
        {
            self.report(path, format!("{number} is more than the maximum {maximum}"));
        }
        if let Some(items) = value.as_array() {
            let bound = |name: &str| schema.get(name).and_then(Value::as_u64);
            let len = items.len() as u64;
            if bound("minItems").is_some_and(|min| len < min)
                || bound("maxItems").is_some_and(|max| len > max)
            {
                let (min, max) = (bound("minItems").unwrap_or(0), bound("maxItems"));
                let wanted = match max {
                    Some(max) if max == min => format!("{min}"),
                    Some(max) => format!("{min} to {max}"),
                    None => format!("at least {min}"),
                };
                self.report(path, format!("expected {wanted} items, found {len}"));
            }
        }
        if schema.get("format").and_then(Value::as_str) == Some("date-time")
            && let Some(text) = value.as_str()
            && chrono::DateTime::parse_from_rfc3339(text).is_err()
        {
            self.report(
                path,
                format!("{text:?} is not an RFC 3339 date-time (2025-01-31T12:00:00Z)"),
            );
        }
        match value {
            Value::Object(members) => self.check_object(schema, members, path),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{path}[{i}]"));
                    }
                }
            }
            _ => {}
        }
    }

    /// Exactly one alternative must fit. Externally tagged enums put the
    /// variant name in `required`: when the value names one variant, its
    /// own problems are reported instead of a bare "no alternative fits".
    fn fits(&self, schema: &'s Value, value: &Value) -> bool {
        let mut trial = Checker {
            root: self.root,
            found: Vec::new(),
        };
        trial.check(schema, value, "");
        trial.found.is_empty()
    }

    fn check_one_of(&mut self, alternatives: &'s [Value], value: &Value, path: &str) {
        let fitting = alternatives
            .iter()
            .filter(|alternative| self.fits(alternative, value))
            .count();
        if fitting == 1 {
            return;
        }
        let named: Vec<&'s Value> = alternatives
            .iter()
            .filter(|alternative| {
                let required = alternative.get("required").and_then(Value::as_array);
                value.as_object().is_some_and(|members| {
                    required.is_some_and(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .all(|name| members.contains_key(name))
                    })
                })
            })
            .collect();
        if let [only] = named.as_slice() {
            self.check(only, value, path);
            return;
        }
        let shapes: Vec<String> = alternatives.iter().map(shape).collect();
        self.report(
            path,
            format!(
                "{} does not fit any of: {}",
                describe(value),
                shapes.join(" | ")
            ),
        );
    }

    fn check_object(
        &mut self,
        schema: &'s Value,
        members: &serde_json::Map<String, Value>,
        path: &str,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !members.contains_key(name) {
                self.report(path, format!("missing field `{name}`"));
            }
        }
        for (name, member) in members {
            let member_path = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            match (
                properties.and_then(|p| p.get(name)),
                schema.get("additionalProperties"),
            ) {
                (Some(member_schema), _) => self.check(member_schema, member, &member_path),
                (None, Some(Value::Bool(false))) => {
                    let expected: Vec<String> = properties
                        .map(|p| p.keys().map(|k| format!("`{k}`")).collect())
                        .unwrap_or_default();
                    self.report(
                        &member_path,
                        format!(
                            "unknown field `{name}`, expected one of {}",
                            expected.join(", ")
                        ),
                    );
                }
                (None, Some(extra @ Value::Object(_))) => self.check(extra, member, &member_path),
                (None, _) => {}
            }
        }
    }
}

/// An alternative of a `oneOf`, in a word: `"drop"` or `{"latency": …}`.
fn shape(alternative: &Value) -> String {
    if let Some(allowed) = alternative.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = allowed.iter().map(Value::to_string).collect();
        return names.join(" | ");
    }
    let required: Vec<String> = alternative
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|name| format!("{name}: …"))
        .collect();
    format!("{{{}}}", required.join(", "))
}

fn has_type(value: &Value, expected: &str) -> bool {
    match expected {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => value.is_u64() || value.is_i64(),
        "null" => value.is_null(),
        other => panic!("schema.json: unsupported type {other:?}"),
    }
}

fn article(kind: &str) -> String {
    match kind {
        "object" | "array" | "integer" => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}
