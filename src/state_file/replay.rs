//! Replays the log's changes onto a state document, as JSON: a section is
//! opened into its fields, and a list into its records (indexed by the key
//! fields the changes name), only when a change reaches into it; everything
//! else is kept as the text it was. The result is read and checked whole by
//! `crate::snapshot::parse` and `World::from_snapshot`, like any document.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::core::changes::Change;

/// A state document being replayed onto.
#[derive(Debug, Default)]
pub struct Document {
    fields: BTreeMap<String, Top>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Top {
    Raw(Box<RawValue>),
    Section(BTreeMap<String, Part>),
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Part {
    Raw(Box<RawValue>),
    List(List),
}

/// A list of records, indexed by the values of its key fields.
#[derive(Debug)]
struct List {
    key_fields: Vec<String>,
    records: Vec<Option<Box<RawValue>>>,
    index: HashMap<String, usize>,
}

impl Serialize for List {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.records.iter().flatten())
    }
}

fn raw(value: &impl Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("a JSON value serializes")
}

/// The key fields' values of `record`, as one string (`None`: one is missing).
fn key_of(record: &BTreeMap<String, Value>, fields: &[String]) -> Option<String> {
    let values: Option<Vec<&Value>> = fields.iter().map(|field| record.get(field)).collect();
    values.map(|values| serde_json::to_string(&values).expect("JSON values serialize"))
}

impl List {
    fn open(raw_list: &RawValue, key_fields: Vec<String>) -> Result<List, String> {
        let records: Vec<Box<RawValue>> =
            serde_json::from_str(raw_list.get()).map_err(|e| format!("not a list: {e}"))?;
        let mut list = List {
            key_fields,
            records: records.into_iter().map(Some).collect(),
            index: HashMap::new(),
        };
        list.reindex()?;
        Ok(list)
    }

    fn reindex(&mut self) -> Result<(), String> {
        self.index.clear();
        for (position, record) in self.records.iter().enumerate() {
            let Some(record) = record else { continue };
            let fields: BTreeMap<String, Value> = serde_json::from_str(record.get())
                .map_err(|e| format!("a record is not an object: {e}"))?;
            if let Some(key) = key_of(&fields, &self.key_fields) {
                self.index.insert(key, position);
            }
        }
        Ok(())
    }

    /// The position of the record with `key`, reindexing when the change
    /// names other key fields than the last one.
    fn find(&mut self, key: &BTreeMap<String, Value>) -> Result<(String, Option<usize>), String> {
        let fields: Vec<String> = key.keys().cloned().collect();
        if fields != self.key_fields {
            self.key_fields = fields;
            self.reindex()?;
        }
        let key = key_of(key, &self.key_fields).expect("the key has its own fields");
        let position = self.index.get(&key).copied();
        Ok((key, position))
    }
}

impl Document {
    /// The document `bytes` (an exported state, or a `replace` change's).
    pub fn parse(bytes: &[u8]) -> Result<Document, String> {
        let fields: BTreeMap<String, Box<RawValue>> =
            serde_json::from_slice(bytes).map_err(|e| format!("not a state document: {e}"))?;
        Ok(Document {
            fields: fields
                .into_iter()
                .map(|(name, value)| (name, Top::Raw(value)))
                .collect(),
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.fields).expect("the document serializes")
    }

    fn section(&mut self, name: &str) -> Result<&mut BTreeMap<String, Part>, String> {
        let top = self
            .fields
            .get_mut(name)
            .ok_or_else(|| format!("no section `{name}`"))?;
        if let Top::Raw(text) = top {
            let fields: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text.get())
                .map_err(|e| format!("section `{name}` is not an object: {e}"))?;
            *top = Top::Section(
                fields
                    .into_iter()
                    .map(|(field, value)| (field, Part::Raw(value)))
                    .collect(),
            );
        }
        match top {
            Top::Section(fields) => Ok(fields),
            Top::Raw(_) => unreachable!("opened above"),
        }
    }

    fn list(
        &mut self,
        section: &str,
        name: &str,
        key: &BTreeMap<String, Value>,
    ) -> Result<&mut List, String> {
        let part = self
            .section(section)?
            .get_mut(name)
            .ok_or_else(|| format!("no list `{section}.{name}`"))?;
        if let Part::Raw(text) = part {
            let list = List::open(text, key.keys().cloned().collect())
                .map_err(|e| format!("`{section}.{name}`: {e}"))?;
            *part = Part::List(list);
        }
        match part {
            Part::List(list) => Ok(list),
            Part::Raw(_) => unreachable!("opened above"),
        }
    }

    /// Applies one change.
    pub fn apply(&mut self, change: Change) -> Result<(), String> {
        let key_of_change = |key: &RawValue| -> Result<BTreeMap<String, Value>, String> {
            let key: BTreeMap<String, Value> =
                serde_json::from_str(key.get()).map_err(|e| format!("a bad key: {e}"))?;
            if key.is_empty() {
                return Err("an empty key".to_string());
            }
            Ok(key)
        };
        match change {
            Change::Upsert {
                section,
                list,
                key,
                value,
            } => {
                let key = key_of_change(&key)?;
                let list = self.list(&section, &list, &key)?;
                match list.find(&key)? {
                    (_, Some(position)) => list.records[position] = Some(value),
                    (key, None) => {
                        list.index.insert(key, list.records.len());
                        list.records.push(Some(value));
                    }
                }
            }
            Change::Delete { section, list, key } => {
                let key = key_of_change(&key)?;
                let list = self.list(&section, &list, &key)?;
                if let (key, Some(position)) = list.find(&key)? {
                    list.records[position] = None;
                    list.index.remove(&key);
                }
            }
            Change::Set {
                section,
                field,
                value,
            } => {
                self.section(&section)?.insert(field, Part::Raw(value));
            }
            Change::Ids { ids } => {
                self.fields.insert("ids".to_string(), Top::Raw(raw(&ids)));
            }
            Change::Replace { document } => {
                *self = Document::parse(document.get().as_bytes())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(value: Value) -> Change {
        serde_json::from_str(&value.to_string()).unwrap()
    }

    #[test]
    fn upserts_and_deletes_find_records_by_their_key() {
        let mut document = Document::parse(
            br#"{"version": 1, "g": {"list": [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}], "other": [1.5]}}"#,
        )
        .unwrap();
        for c in [
            json!({"upsert": {"section": "g", "list": "list", "key": {"id": 2}, "value": {"id": 2, "v": "B"}}}),
            json!({"upsert": {"section": "g", "list": "list", "key": {"id": 3}, "value": {"id": 3, "v": "c"}}}),
            json!({"delete": {"section": "g", "list": "list", "key": {"id": 1}}}),
            json!({"delete": {"section": "g", "list": "list", "key": {"id": 9}}}),
            json!({"set": {"section": "g", "field": "limits", "value": []}}),
        ] {
            document.apply(change(c)).unwrap();
        }
        let after: Value = serde_json::from_slice(&document.to_bytes()).unwrap();
        assert_eq!(
            after,
            json!({"version": 1, "g": {"list": [{"id": 2, "v": "B"}, {"id": 3, "v": "c"}],
                   "other": [1.5], "limits": []}})
        );
    }

    #[test]
    fn a_change_to_what_is_not_there_is_an_error() {
        let mut document = Document::parse(br#"{"g": {"list": []}}"#).unwrap();
        let missing = change(json!({"delete": {"section": "h", "list": "list", "key": {"id": 1}}}));
        assert!(document.apply(missing).is_err());
        let no_list = change(json!({"delete": {"section": "g", "list": "nope", "key": {"id": 1}}}));
        assert!(document.apply(no_list).is_err());
    }
}
