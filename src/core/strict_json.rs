//! A deserializer over a parsed JSON value that reads objects only from JSON
//! objects. Serde's derived structs also accept an array of their fields in
//! order (`[null, null]` for `{"key": null, "value": null}`); the vendors'
//! servers reject that, and so does mockcloud.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Error, Value};

/// A borrowed JSON value, deserialized without the array-as-struct shortcut.
#[derive(Clone, Copy)]
pub struct Strict<'de>(pub &'de Value);

impl<'de> IntoDeserializer<'de, Error> for Strict<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(Strict));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Object(map) => {
                let mut entries =
                    MapDeserializer::new(map.iter().map(|(k, v)| (k.as_str(), Strict(v))));
                let value = visitor.visit_map(&mut entries)?;
                entries.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(_) => Err(de::Error::invalid_type(Unexpected::Seq, &visitor)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            other => de::Deserializer::deserialize_enum(other, name, variants, visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Condition {
        key: Option<String>,
        #[serde(default)]
        strict: bool,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Kind {
        #[serde(rename = "a")]
        A,
    }

    fn read<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<T, Error> {
        T::deserialize(Strict(value))
    }

    #[test]
    fn objects_are_read_and_arrays_of_fields_are_not() {
        let good = json!({"key": "team", "strict": true});
        assert_eq!(
            read::<Condition>(&good).unwrap(),
            Condition {
                key: Some("team".into()),
                strict: true
            }
        );
        let err = read::<Condition>(&json!(["team", true])).unwrap_err();
        assert!(err.to_string().contains("invalid type: sequence"), "{err}");
        let err = read::<Vec<Condition>>(&json!([[null, null]])).unwrap_err();
        assert!(err.to_string().contains("invalid type: sequence"), "{err}");
    }

    #[test]
    fn numbers_options_and_enums_keep_their_rules() {
        assert_eq!(read::<Option<u64>>(&json!(null)).unwrap(), None);
        assert_eq!(read::<Option<u64>>(&json!(7)).unwrap(), Some(7));
        assert!(read::<u64>(&json!(-1)).is_err());
        assert!(read::<u64>(&json!(1.5)).is_err());
        assert_eq!(read::<f64>(&json!(2)).unwrap(), 2.0);
        assert_eq!(read::<Kind>(&json!("a")).unwrap(), Kind::A);
        assert!(read::<Kind>(&json!("b")).is_err());
        assert!(read::<Vec<u8>>(&json!([1, 2, 300])).is_err());
    }
}
