//! The message a `Deserialize` impl gave when postcard dropped it.
//!
//! Invariant: used only after postcard failed with `SerdeDeCustom`, never on
//! the happy path. The value is decoded once more through [`Wrap`], a
//! deserializer that forwards every call to postcard's but hands the value's
//! impl an error type that keeps its message. Where the message has to cross
//! back through postcard (which stores none), it waits in [`LAST`].

use std::cell::RefCell;
use std::fmt::{self, Display};

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, Visitor};

thread_local! {
    /// The last custom message raised under a [`Wrap`] on this thread.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Decode `bytes` as a `T` again and return the message its impl failed with.
pub(crate) fn custom_message<T: DeserializeOwned>(bytes: &[u8]) -> String {
    LAST.with(|l| l.borrow_mut().take());
    let mut de = postcard::Deserializer::from_bytes(bytes);
    let outcome = T::deserialize(Wrap(&mut de));
    let stashed = LAST.with(|l| l.borrow_mut().take());
    match (outcome, stashed) {
        (Err(Caught::Custom(msg)), _) | (Err(Caught::Inner(_)), Some(msg)) => msg,
        (Err(Caught::Inner(e)), None) => e.to_string(),
        (Ok(_), _) => "its Deserialize impl failed (it gave no message)".to_string(),
    }
}

/// An error from the wrapped deserializer, or a message from the value's impl.
#[derive(Debug)]
enum Caught<E> {
    Inner(E),
    Custom(String),
}

impl<E: Display> Display for Caught<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caught::Inner(e) => e.fmt(f),
            Caught::Custom(m) => f.write_str(m),
        }
    }
}

impl<E: de::Error> std::error::Error for Caught<E> {}

impl<E: de::Error> de::Error for Caught<E> {
    fn custom<T: Display>(msg: T) -> Self {
        Caught::Custom(msg.to_string())
    }
}

/// Hand an error back to the wrapped deserializer, keeping a message it would drop.
fn back<E: de::Error>(c: Caught<E>) -> E {
    match c {
        Caught::Inner(e) => e,
        Caught::Custom(msg) => {
            let e = E::custom(&msg);
            LAST.with(|l| *l.borrow_mut() = Some(msg));
            e
        }
    }
}

struct Wrap<D>(D);
struct Vis<V>(V);
struct Seed<S>(S);
struct Access<A>(A);

macro_rules! forward_de {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(fn $name<V: Visitor<'de>>(self, $($arg: $ty,)* v: V) -> Result<V::Value, Self::Error> {
            self.0.$name($($arg,)* Vis(v)).map_err(Caught::Inner)
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Wrap<D> {
    type Error = Caught<D::Error>;

    forward_de!(
        deserialize_any(),
        deserialize_bool(),
        deserialize_i8(),
        deserialize_i16(),
        deserialize_i32(),
        deserialize_i64(),
        deserialize_i128(),
        deserialize_u8(),
        deserialize_u16(),
        deserialize_u32(),
        deserialize_u64(),
        deserialize_u128(),
        deserialize_f32(),
        deserialize_f64(),
        deserialize_char(),
        deserialize_str(),
        deserialize_string(),
        deserialize_bytes(),
        deserialize_byte_buf(),
        deserialize_option(),
        deserialize_unit(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_seq(),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(),
        deserialize_ignored_any(),
    );

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($name:ident($ty:ty)),* $(,)?) => {
        $(fn $name<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.0.$name::<Caught<E>>(v).map_err(back)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Vis<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_str(&str),
        visit_borrowed_str(&'de str),
        visit_string(String),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>),
    );

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none::<Caught<E>>().map_err(back)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit::<Caught<E>>().map_err(back)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(Wrap(d)).map_err(back)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(Wrap(d)).map_err(back)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
        self.0.visit_seq(Access(a)).map_err(back)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Access(a)).map_err(back)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Access(a)).map_err(back)
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Wrap(d)).map_err(back)
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Access<A> {
    type Error = Caught<A::Error>;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Self::Error> {
        self.0.next_element_seed(Seed(seed)).map_err(Caught::Inner)
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Access<A> {
    type Error = Caught<A::Error>;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Self::Error> {
        self.0.next_key_seed(Seed(seed)).map_err(Caught::Inner)
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Self::Error> {
        self.0.next_value_seed(Seed(seed)).map_err(Caught::Inner)
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Access<A> {
    type Error = Caught<A::Error>;
    type Variant = Access<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self::Variant), Self::Error> {
        self.0.variant_seed(Seed(seed)).map(|(v, rest)| (v, Access(rest))).map_err(Caught::Inner)
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Access<A> {
    type Error = Caught<A::Error>;

    fn unit_variant(self) -> Result<(), Self::Error> {
        self.0.unit_variant().map_err(Caught::Inner)
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Self::Error> {
        self.0.newtype_variant_seed(Seed(seed)).map_err(Caught::Inner)
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Self::Error> {
        self.0.tuple_variant(len, Vis(v)).map_err(Caught::Inner)
    }
    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> Result<V::Value, Self::Error> {
        self.0.struct_variant(fields, Vis(v)).map_err(Caught::Inner)
    }
}
