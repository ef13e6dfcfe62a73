//! JSON numbers that may be infinite or NaN: a finite value is written as a number, the others
//! as the strings `"inf"`, `"-inf"` and `"nan"` (JSON has no such numbers, and serde_json would
//! write `null`, which reads back as neither). Use with `#[serde(with = "extended_f64")]`, or
//! `extended_f64::option` for an `Option<f64>`.

use serde::{Deserialize, Deserializer, Serializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Repr {
    Number(f64),
    Label(String),
}

fn label(v: f64) -> &'static str {
    if v.is_nan() {
        "nan"
    } else if v > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

fn from_repr<E: serde::de::Error>(repr: Repr) -> Result<f64, E> {
    match repr {
        Repr::Number(v) => Ok(v),
        Repr::Label(s) => match s.as_str() {
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            "nan" => Ok(f64::NAN),
            other => Err(E::custom(format!(
                "{other:?} is not a number, \"inf\", \"-inf\" or \"nan\""
            ))),
        },
    }
}

pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_str(label(*v))
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    from_repr(Repr::deserialize(d)?)
}

/// The same for `Option<f64>` (`null` when absent).
pub mod option {
    use super::{from_repr, Repr};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => super::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<Repr>::deserialize(d)?.map(from_repr).transpose()
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize)]
    struct Values {
        #[serde(with = "super")]
        a: f64,
        #[serde(with = "super::option", default)]
        b: Option<f64>,
    }

    #[test]
    fn infinities_and_nan_survive_a_round_trip() {
        for (a, b) in [
            (f64::INFINITY, Some(f64::NEG_INFINITY)),
            (f64::NAN, None),
            (2.5, Some(1e300)),
        ] {
            let json = serde_json::to_string(&Values { a, b }).unwrap();
            let back: Values = serde_json::from_str(&json).unwrap();
            assert!(back.a == a || (a.is_nan() && back.a.is_nan()), "{json}");
            assert_eq!(back.b, b, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&Values {
                a: f64::INFINITY,
                b: None
            })
            .unwrap(),
            r#"{"a":"inf","b":null}"#
        );
        assert!(serde_json::from_str::<Values>(r#"{"a":"big"}"#).is_err());
    }
}
