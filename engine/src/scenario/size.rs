//! Byte sizes and offsets that read naturally in a scenario: 4096, 0x200000, "2MiB", "4 KiB".

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Size(pub u64);

impl Size {
    pub fn parse(s: &str) -> Result<Size, String> {
        let t = s.trim();
        if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            return u64::from_str_radix(&hex.replace('_', ""), 16)
                .map(Size)
                .map_err(|_| format!("`{s}` is not a hexadecimal number"));
        }
        let split = t.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 = num
            .replace('_', "")
            .parse()
            .map_err(|_| format!("`{s}` is not a size (try 4096, 0x1000, \"4KiB\" or \"2MiB\")"))?;
        let mult = match unit.trim() {
            "" | "B" => 1,
            "K" | "KiB" | "k" | "KB" => 1 << 10,
            "M" | "MiB" | "MB" => 1 << 20,
            "G" | "GiB" | "GB" => 1 << 30,
            other => {
                return Err(format!("unknown size unit `{other}` in `{s}` (use KiB, MiB or GiB)"));
            }
        };
        n.checked_mul(mult).map(Size).ok_or_else(|| format!("`{s}` is too large"))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v != 0 && v.is_multiple_of(1 << 20) {
            write!(f, "{}MiB", v >> 20)
        } else if v != 0 && v.is_multiple_of(1 << 10) {
            write!(f, "{}KiB", v >> 10)
        } else {
            write!(f, "{v:#x}")
        }
    }
}

impl Serialize for Size {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Size, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte count: an integer, or a string such as \"2MiB\" or \"0x1000\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v).map(Size).map_err(|_| E::custom(format!("a size cannot be negative ({v})")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Size, E> {
                Size::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}
