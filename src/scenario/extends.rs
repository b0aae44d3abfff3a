//! `"extends"`: a scenario built on another one, a built-in name
//! (`"default"`) or a file (relative to the extending file), so a custom
//! scenario adds faults or objects to a world that already has credentials.
//!
//! The base is read first (and what it extends, up to [`MAX_DEPTH`] deep),
//! then the extending document is laid over it: objects merge key by key,
//! lists are appended to the base's, any other value replaces the base's.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{BUILT_IN, ScenarioError};

/// How many scenarios a chain of `extends` may hold: enough for layers,
/// small enough to name a cycle quickly.
pub const MAX_DEPTH: usize = 8;

/// The document `text` describes with its `extends` chain applied, or
/// `None` when it extends nothing (it is then read as written). `dir` is
/// where a relative base path is looked for: the extending file's folder,
/// or the working directory for a scenario sent through the admin API.
pub fn resolve(
    text: &str,
    location: &str,
    dir: Option<&Path>,
) -> Result<Option<Value>, ScenarioError> {
    if !text.contains("\"extends\"") {
        // No such key anywhere: parsed once, by the caller, straight into
        // the scenario (start-up reads the default scenario this way).
        return Ok(None);
    }
    let document: Value = serde_json::from_str(text).map_err(|e| ScenarioError::at(location, e))?;
    if document.get("extends").is_none() {
        return Ok(None);
    }
    let mut chain = vec![identity(location)];
    apply(document, location, dir, &mut chain).map(Some)
}

/// What tells two scenarios apart in a chain: a file's canonical path, or
/// the location as given.
fn identity(location: &str) -> String {
    std::fs::canonicalize(location)
        .map_or_else(|_| location.to_string(), |p| p.display().to_string())
}

fn apply(
    mut document: Value,
    location: &str,
    dir: Option<&Path>,
    chain: &mut Vec<String>,
) -> Result<Value, ScenarioError> {
    let Some(object) = document.as_object_mut() else {
        return Ok(document);
    };
    let Some(extends) = object.remove("extends") else {
        return Ok(document);
    };
    let at = format!("{location}: extends");
    let Value::String(base_name) = extends else {
        return Err(ScenarioError::at(
            at,
            "must be a string: a built-in scenario's name or a file's path",
        ));
    };
    let (base_text, base_location, base_dir) = read_base(&base_name, dir, &at)?;
    if chain.contains(&identity(&base_location)) {
        return Err(ScenarioError::at(
            at,
            format!(
                "{base_name:?} extends back to itself ({})",
                chain.join(" -> ")
            ),
        ));
    }
    if chain.len() >= MAX_DEPTH {
        return Err(ScenarioError::at(
            at,
            format!("more than {MAX_DEPTH} scenarios extend one another"),
        ));
    }
    let base: Value = serde_json::from_str(&base_text)
        .map_err(|e| ScenarioError::at(base_location.clone(), e))?;
    chain.push(identity(&base_location));
    let base = apply(base, &base_location, base_dir.as_deref(), chain)?;
    chain.pop();
    Ok(merge(base, document))
}

/// The base's text, its location for messages and cycles, and its folder.
fn read_base(
    name: &str,
    dir: Option<&Path>,
    at: &str,
) -> Result<(String, String, Option<PathBuf>), ScenarioError> {
    let path = match dir {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    };
    if path.is_file() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ScenarioError::at(at, format!("cannot read {}: {e}", path.display())))?;
        let folder = path.parent().map(Path::to_path_buf);
        return Ok((text, path.display().to_string(), folder));
    }
    match BUILT_IN.iter().find(|(known, _)| *known == name) {
        Some((_, text)) => Ok((text.to_string(), format!("scenarios/{name}.json"), None)),
        None => {
            let known: Vec<&str> = BUILT_IN.iter().map(|(name, _)| *name).collect();
            Err(ScenarioError::at(
                at,
                format!(
                    "{name:?} is neither a built-in scenario ({}) nor a file ({} does not exist)",
                    known.join(", "),
                    path.display()
                ),
            ))
        }
    }
}

/// `overlay` laid over `base`: objects merge key by key, lists append,
/// anything else replaces.
fn merge(base: Value, overlay: Value) -> Value {
    match (base, overlay) {
        (Value::Object(mut base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                let merged = match base.remove(&key) {
                    Some(below) => merge(below, value),
                    None => value,
                };
                base.insert(key, merged);
            }
            Value::Object(base)
        }
        (Value::Array(mut base), Value::Array(overlay)) => {
            base.extend(overlay);
            Value::Array(base)
        }
        (_, overlay) => overlay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_merge_lists_append_and_values_replace() {
        let base = json!({"name": "base", "seed": 1, "gcore": {"api_keys": ["a"], "projects": []}});
        let overlay =
            json!({"name": "mine", "gcore": {"api_keys": ["b"]}, "faults": {"rules": []}});
        assert_eq!(
            merge(base, overlay),
            json!({"name": "mine", "seed": 1, "gcore": {"api_keys": ["a", "b"], "projects": []},
                   "faults": {"rules": []}})
        );
    }

    #[test]
    fn a_document_without_extends_is_read_as_written() {
        assert_eq!(resolve(r#"{"name": "x"}"#, "x.json", None).unwrap(), None);
    }

    #[test]
    fn cycles_and_unknown_bases_are_named() {
        let dir = std::env::temp_dir().join(format!("mockcloud-extends-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.json"), r#"{"name": "a", "extends": "b.json"}"#).unwrap();
        std::fs::write(dir.join("b.json"), r#"{"name": "b", "extends": "a.json"}"#).unwrap();
        let a = dir.join("a.json").display().to_string();
        let error = resolve(
            &std::fs::read_to_string(dir.join("a.json")).unwrap(),
            &a,
            Some(&dir),
        )
        .unwrap_err();
        assert!(error.message.contains("extends back to itself"), "{error}");

        let error = resolve(r#"{"name": "x", "extends": "nope"}"#, "x.json", None).unwrap_err();
        assert_eq!(error.location, "x.json: extends");
        assert!(
            error.message.contains("neither a built-in scenario"),
            "{error}"
        );
        let error = resolve(r#"{"name": "x", "extends": 3}"#, "x.json", None).unwrap_err();
        assert!(error.message.contains("must be a string"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
