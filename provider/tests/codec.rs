//! Terraform's msgpack value encoding and the type-JSON codec, including what Terraform itself
//! sends (unknowns as ext 0, refined unknowns as ext 12, numbers as strings) and property tests.

use std::collections::BTreeMap;

use proptest::prelude::*;
use sovereign_provider::framework::msgpack::{decode, encode, from_json};
use sovereign_provider::framework::{Number, Type, Value};

fn roundtrip(value: &Value, ty: &Type) -> Value {
    let bytes = encode(value, ty).unwrap();
    decode(&bytes, ty).unwrap()
}

#[test]
fn every_value_kind_round_trips() {
    let ty = Type::object([
        ("s", Type::String),
        ("n_int", Type::Number),
        ("n_neg", Type::Number),
        ("n_float", Type::Number),
        ("n_big", Type::Number),
        ("b", Type::Bool),
        ("l", Type::list(Type::String)),
        ("set", Type::set(Type::Number)),
        ("m", Type::map(Type::Bool)),
        ("o", Type::object([("inner", Type::String)])),
        ("t", Type::Tuple(vec![Type::String, Type::Number])),
        ("null", Type::String),
        ("unknown", Type::list(Type::String)),
        ("dyn", Type::Dynamic),
    ]);
    let value = Value::object([
        ("s", Value::from("eu-central-1")),
        ("n_int", Value::int(365)),
        ("n_neg", Value::int(-70_000)),
        ("n_float", Value::float(0.25)),
        (
            "n_big",
            Value::Number(Number::Decimal("123456789012345678901234567890".into())),
        ),
        ("b", Value::Bool(true)),
        ("l", Value::string_list(["a", "b"])),
        ("set", Value::Set(vec![Value::int(1), Value::Unknown])),
        (
            "m",
            Value::Map(BTreeMap::from([("k".to_string(), Value::Bool(false))])),
        ),
        ("o", Value::object([("inner", Value::Unknown)])),
        ("t", Value::Tuple(vec![Value::from("x"), Value::int(2)])),
        ("null", Value::Null),
        ("unknown", Value::Unknown),
        ("dyn", Value::string_map([("team", "ml")])),
    ]);
    assert_eq!(roundtrip(&value, &ty), value);
}

#[test]
fn unknown_is_encoded_like_terraform() {
    assert_eq!(
        encode(&Value::Unknown, &Type::String).unwrap(),
        vec![0xd4, 0x00, 0x00]
    );
    assert_eq!(encode(&Value::Null, &Type::String).unwrap(), vec![0xc0]);
}

#[test]
fn refined_unknown_and_any_extension_decode_as_unknown() {
    // ext 12 with a refinement payload (fixext 4), as Terraform sends for `known after apply` with
    // "not null" / prefix refinements.
    let refined = [0xd6, 0x0c, 0x81, 0x01, 0xc3, 0x00];
    assert_eq!(decode(&refined, &Type::String).unwrap(), Value::Unknown);
    // ext8 form with type 12 and a 3-byte payload.
    let ext8 = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3];
    assert_eq!(decode(&ext8, &Type::Number).unwrap(), Value::Unknown);
    // Inside an object: {"a": <refined unknown>}.
    let obj = [0x81, 0xa1, b'a', 0xd5, 0x0c, 0x81, 0x01];
    let ty = Type::object([("a", Type::list(Type::String))]);
    assert_eq!(
        decode(&obj, &ty).unwrap(),
        Value::object([("a", Value::Unknown)])
    );
}

#[test]
fn numbers_keep_precision_and_accept_decimal_strings() {
    // go-cty writes numbers that do not fit int64/float64 exactly as strings.
    let mut bytes = Vec::new();
    rmp::encode::write_str(&mut bytes, "98765432109876543210.5").unwrap();
    let v = decode(&bytes, &Type::Number).unwrap();
    assert_eq!(
        v,
        Value::Number(Number::Decimal("98765432109876543210.5".into()))
    );
    assert_eq!(encode(&v, &Type::Number).unwrap(), bytes);

    let mut small = Vec::new();
    rmp::encode::write_str(&mut small, "42").unwrap();
    assert_eq!(decode(&small, &Type::Number).unwrap().as_i64(), Some(42));

    let mut big = Vec::new();
    rmp::encode::write_u64(&mut big, u64::MAX).unwrap();
    assert_eq!(
        decode(&big, &Type::Number).unwrap(),
        Value::Number(Number::Decimal(u64::MAX.to_string()))
    );
    assert_eq!(Value::int(3), Value::float(3.0), "numbers compare by value");
}

#[test]
fn objects_always_carry_every_attribute() {
    let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
    let bytes = encode(&Value::object([("a", Value::from("x"))]), &ty).unwrap();
    let decoded = decode(&bytes, &ty).unwrap();
    assert_eq!(decoded.attr("b"), &Value::Null);
    assert_eq!(decoded.as_map().unwrap().len(), 2);
    assert!(
        encode(&Value::object([("zzz", Value::Null)]), &ty).is_err(),
        "extra keys are refused"
    );
}

#[test]
fn type_mismatch_and_garbage_are_errors_not_panics() {
    assert!(encode(&Value::from("x"), &Type::Number).is_err());
    assert!(
        decode(&[0x92, 0x01], &Type::list(Type::Number)).is_err(),
        "truncated"
    );
    assert!(decode(&[0xc1], &Type::String).is_err(), "reserved marker");
    assert!(
        decode(&[0xa1, b'x', 0x00], &Type::String).is_err(),
        "trailing bytes"
    );
    assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::String)).is_err());
}

#[test]
fn dynamic_values_travel_with_their_type() {
    let mut bytes = Vec::new();
    rmp::encode::write_array_len(&mut bytes, 2).unwrap();
    rmp::encode::write_bin(&mut bytes, br#"["list","string"]"#).unwrap();
    rmp::encode::write_array_len(&mut bytes, 1).unwrap();
    rmp::encode::write_str(&mut bytes, "eu").unwrap();
    assert_eq!(
        decode(&bytes, &Type::Dynamic).unwrap(),
        Value::string_list(["eu"])
    );
}

#[test]
fn type_json_round_trips() {
    let cases = [
        r#""string""#,
        r#""number""#,
        r#""bool""#,
        r#""dynamic""#,
        r#"["list","string"]"#,
        r#"["set",["map","number"]]"#,
        r#"["object",{"a":"string","b":["list","bool"]}]"#,
        r#"["tuple",["string","number"]]"#,
    ];
    for case in cases {
        let ty = Type::from_json_bytes(case.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(ty.to_json_bytes()).unwrap(), case);
    }
    assert!(Type::from_json_bytes(br#""strin""#).is_err());
    assert!(Type::from_json_bytes(br#"["list"]"#).is_err());
    assert!(Type::from_json_bytes(b"{").is_err());
}

#[test]
fn raw_state_json_is_read_leniently() {
    let ty = Type::object([
        ("id", Type::String),
        ("rotation_period_days", Type::Number),
        ("tags", Type::map(Type::String)),
        ("new_attribute", Type::Bool),
    ]);
    let json = serde_json::json!({
        "id": "k-1",
        "rotation_period_days": 365,
        "tags": {"a": "b"},
        "removed_attribute": "ignored"
    });
    let v = from_json(&json, &ty).unwrap();
    assert_eq!(v.get_str("id"), Some("k-1"));
    assert_eq!(v.get_i64("rotation_period_days"), Some(365));
    assert_eq!(v.attr("new_attribute"), &Value::Null);
    assert_eq!(v.as_map().unwrap().len(), 4);
}

// ---------------------------------------------------------------- property tests

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::btree_map("[a-z_]{1,8}", inner.clone(), 0..4).prop_map(Type::Object),
            prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        (-1.0e12f64..1.0e12)
            .prop_filter("fractional", |f| f.fract() != 0.0)
            .prop_map(Number::Float),
        "[1-9][0-9]{20,30}".prop_map(Number::Decimal),
    ]
}

fn arb_value(ty: Type) -> BoxedStrategy<Value> {
    let special = prop_oneof![Just(Value::Null), Just(Value::Unknown)];
    let known: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => ".{0,12}".prop_map(Value::String).boxed(),
        Type::Dynamic => Just(Value::Null).boxed(),
        Type::List(et) => prop::collection::vec(arb_value(*et), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(et) => prop::collection::vec(arb_value(*et), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(et) => prop::collection::btree_map("[a-z]{0,6}", arb_value(*et), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attrs) => {
            let parts: Vec<BoxedStrategy<(String, Value)>> = attrs
                .into_iter()
                .map(|(k, t)| arb_value(t).prop_map(move |v| (k.clone(), v)).boxed())
                .collect();
            parts
                .prop_map(|kv| Value::Object(kv.into_iter().collect()))
                .boxed()
        }
        Type::Tuple(types) => {
            let parts: Vec<BoxedStrategy<Value>> = types.into_iter().map(arb_value).collect();
            parts.prop_map(Value::Tuple).boxed()
        }
    };
    prop_oneof![1 => special, 6 => known].boxed()
}

fn arb_typed_value() -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(|t| (Just(t.clone()), arb_value(t)))
}

proptest! {
    #[test]
    fn msgpack_encode_then_decode_is_identity((ty, value) in arb_typed_value()) {
        let bytes = encode(&value, &ty).unwrap();
        let back = decode(&bytes, &ty).unwrap();
        prop_assert_eq!(back, value);
    }

    #[test]
    fn type_json_encode_then_decode_is_identity(ty in arb_type()) {
        let back = Type::from_json_bytes(&ty.to_json_bytes()).unwrap();
        prop_assert_eq!(back, ty);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64), ty in arb_type()) {
        let _ = decode(&bytes, &ty);
    }
}
