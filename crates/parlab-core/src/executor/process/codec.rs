//! Encoding and decoding task arguments and results (postcard), with errors
//! that say which value, which type, and why.
//!
//! Invariant: the happy path is plain postcard, with no extra pass and no
//! extra buffer. Only when postcard fails is any more work done: postcard's
//! error keeps no text for a failure raised inside a `Serialize` impl
//! (`serde::ser::Error::custom`), so on that failure the value is serialised
//! once more into [`Probe`], a serializer that writes nothing and keeps the
//! first custom message; the same goes for `Deserialize` impls through
//! [`super::codec_de`].

use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde::ser::{self, Serialize};

/// Append `value`'s encoding to `out`. On failure `out` is as it was and the
/// error is a sentence naming `what` (argument, result) and `T`.
pub(crate) fn encode_into<T: Serialize>(value: &T, out: &mut Vec<u8>, what: &str) -> Result<(), String> {
    let start = out.len();
    match postcard::to_io(value, &mut *out) {
        Ok(_) => Ok(()),
        Err(e) => {
            out.truncate(start);
            let cause = match e {
                postcard::Error::SerdeSerCustom => custom_ser_message(value),
                e => e.to_string(),
            };
            Err(format!("could not encode the {what} of type `{}`: {cause}", std::any::type_name::<T>()))
        }
    }
}

/// Decode a `T` that fills `bytes` exactly. The error names `what` and `T`.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    let failed = |cause: String| format!("could not decode the {what} as `{}`: {cause}", std::any::type_name::<T>());
    match postcard::from_bytes(bytes) {
        Ok(v) => Ok(v),
        Err(postcard::Error::SerdeDeCustom) => Err(failed(super::codec_de::custom_message::<T>(bytes))),
        Err(e) => Err(failed(e.to_string())),
    }
}

/// Run `value`'s `Serialize` impl again to learn the message postcard dropped.
fn custom_ser_message<T: Serialize>(value: &T) -> String {
    match value.serialize(Probe) {
        Err(Custom(msg)) => msg,
        // Not deterministic: it failed for postcard and not now.
        Ok(()) => "its Serialize impl failed (it gave no message)".to_string(),
    }
}

/// A failure raised inside a `Serialize` impl, with its message.
#[derive(Debug)]
pub(crate) struct Custom(pub String);

impl Display for Custom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Custom {}

impl ser::Error for Custom {
    fn custom<M: Display>(msg: M) -> Self {
        Custom(msg.to_string())
    }
}

/// A serializer that writes nothing, accepts every shape postcard accepts,
/// and so fails only where the value's own impl fails.
struct Probe;

type Res = Result<(), Custom>;

macro_rules! accept {
    ($($name:ident($ty:ty)),* $(,)?) => {
        $(fn $name(self, _: $ty) -> Res { Ok(()) })*
    };
}

impl ser::Serializer for Probe {
    type Ok = ();
    type Error = Custom;
    type SerializeSeq = Probe;
    type SerializeTuple = Probe;
    type SerializeTupleStruct = Probe;
    type SerializeTupleVariant = Probe;
    type SerializeMap = Probe;
    type SerializeStruct = Probe;
    type SerializeStructVariant = Probe;

    accept!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_none(self) -> Res {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Res {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Res {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, v: &T) -> Res {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Probe, Custom> {
        Ok(Probe)
    }
    fn serialize_tuple(self, _: usize) -> Result<Probe, Custom> {
        Ok(Probe)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Probe, Custom> {
        Ok(Probe)
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Probe, Custom> {
        Ok(Probe)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Probe, Custom> {
        Ok(Probe)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Probe, Custom> {
        Ok(Probe)
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Probe, Custom> {
        Ok(Probe)
    }
    fn collect_str<T: Display + ?Sized>(self, _: &T) -> Res {
        Ok(())
    }
}

macro_rules! compound {
    ($($trait:ident :: $method:ident),* $(,)?) => {
        $(impl ser::$trait for Probe {
            type Ok = ();
            type Error = Custom;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Res {
                v.serialize(Probe)
            }
            fn end(self) -> Res {
                Ok(())
            }
        })*
    };
}

compound!(SerializeSeq::serialize_element, SerializeTuple::serialize_element, SerializeTupleStruct::serialize_field);
compound!(SerializeTupleVariant::serialize_field);

impl ser::SerializeMap for Probe {
    type Ok = ();
    type Error = Custom;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Res {
        k.serialize(Probe)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Res {
        v.serialize(Probe)
    }
    fn end(self) -> Res {
        Ok(())
    }
}

macro_rules! fields {
    ($($trait:ident),*) => {
        $(impl ser::$trait for Probe {
            type Ok = ();
            type Error = Custom;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &'static str, v: &T) -> Res {
                v.serialize(Probe)
            }
            fn end(self) -> Res {
                Ok(())
            }
        })*
    };
}

fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    struct Refuses;

    impl Serialize for Refuses {
        fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(ser::Error::custom("deep refusal"))
        }
    }

    #[derive(serde::Serialize)]
    enum Shape {
        Struct { name: String, inner: BTreeMap<u8, (u8, Option<Refuses>)> },
    }

    #[test]
    fn a_custom_message_from_deep_inside_is_kept_and_the_buffer_left_as_it_was() {
        let value = Shape::Struct { name: "x".into(), inner: BTreeMap::from([(1, (2, Some(Refuses)))]) };
        let mut out = vec![7, 7];
        let err = encode_into(&value, &mut out, "argument").unwrap_err();
        assert_eq!(out, [7, 7]);
        assert!(err.contains("deep refusal") && err.contains("codec::tests::Shape"), "{err}");
    }

    #[test]
    fn a_plain_postcard_failure_names_the_type_and_keeps_postcard_s_reason() {
        let err = decode::<(u64, String)>(&[1], "result").unwrap_err();
        assert!(err.starts_with("could not decode the result as `(u64, alloc::string::String)`: "), "{err}");
        assert!(err.contains("end of buffer"), "{err}");
        assert_eq!(decode::<u64>(&[5], "result"), Ok(5));
    }
}
