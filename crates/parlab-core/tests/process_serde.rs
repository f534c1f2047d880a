//! A value that cannot cross the process boundary says why, and names its type.

use std::time::Duration;

use parlab_core::prelude::*;
use serde::de::Deserializer;
use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};

const WAIT: Duration = Duration::from_secs(30);

/// Refuses to be encoded, nested inside an ordinary struct.
#[derive(Debug)]
struct Unsendable;

impl Serialize for Unsendable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom("a file handle cannot leave its process"))
    }
}

impl<'de> Deserialize<'de> for Unsendable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <()>::deserialize(d).map(|_| Unsendable)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Holder {
    id: u32,
    inner: Vec<Unsendable>,
}

/// Encodes fine, refuses to be decoded unless even.
#[derive(Debug, Serialize, Deserialize)]
#[serde(try_from = "u32")]
struct Even(u32);

impl TryFrom<u32> for Even {
    type Error = String;
    fn try_from(v: u32) -> Result<Self, String> {
        if v % 2 == 0 { Ok(Even(v)) } else { Err(format!("{v} is odd")) }
    }
}

/// Decodes to a value that fails its own `Deserialize` deep inside a field.
#[derive(Debug, Serialize, Deserialize)]
struct Wrapper {
    name: String,
    values: Vec<Even>,
}

/// A result whose encoding fails in the worker.
#[derive(Debug, Deserialize)]
struct BadResult(u32);

impl Serialize for BadResult {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom(format!("result {} refused to be encoded", self.0)))
    }
}

fn count(h: Holder) -> u32 {
    h.id + h.inner.len() as u32
}

fn make_bad(x: u32) -> BadResult {
    BadResult(x)
}

fn odd_as_even(x: u32) -> Wrapper {
    // `Even` checks only when decoded, so this encodes in the worker and fails in the pool.
    Wrapper { name: "w".into(), values: vec![Even(2), Even(x)] }
}

fn take_even(e: Even) -> u32 {
    e.0
}

fn text(r: Result<impl std::fmt::Debug>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn assert_names(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "{msg:?} should contain {p:?}");
    }
}

#[test]
fn an_argument_that_cannot_be_encoded_says_why_and_names_its_type() {
    let pool = ProcessPool::new(1).unwrap();
    let arg = Holder { id: 1, inner: vec![Unsendable] };
    let msg = text(pool.submit(count, arg).map(|_| ()));
    assert_names(&msg, &["a file handle cannot leave its process", "argument", "process_serde::Holder"]);

    let args = vec![Holder { id: 1, inner: vec![] }, Holder { id: 2, inner: vec![Unsendable] }];
    let msg = text(pool.map(count, args));
    assert_names(&msg, &["a file handle cannot leave its process", "process_serde::Holder"]);
}

#[test]
fn a_result_that_cannot_be_encoded_in_the_worker_says_why_and_names_its_type() {
    let pool = ProcessPool::new(1).unwrap();
    let msg = text(pool.submit(make_bad, 7).unwrap().result_timeout(WAIT));
    assert_names(&msg, &["result 7 refused to be encoded", "result", "process_serde::BadResult"]);
    // The worker survives and keeps serving.
    assert_eq!(pool.submit(|x: u32| x + 1, 1).unwrap().result_timeout(WAIT).unwrap(), 2);
}

#[test]
fn a_value_whose_deserialize_refuses_says_why_and_names_its_type() {
    let pool = ProcessPool::new(1).unwrap();
    // Decoded in the pool: the message comes from deep inside a field.
    let msg = text(pool.submit(odd_as_even, 3).unwrap().result_timeout(WAIT));
    assert_names(&msg, &["3 is odd", "decode the result", "process_serde::Wrapper"]);
    // Decoded in the worker: the argument encodes (as a u32) but is refused there.
    let msg = text(pool.submit(take_even, Even(5)).unwrap().result_timeout(WAIT));
    assert_names(&msg, &["5 is odd", "decode the argument", "process_serde::Even"]);
    assert_eq!(pool.submit(take_even, Even(4)).unwrap().result_timeout(WAIT).unwrap(), 4);
}
