//! JSON: an array of objects, `{"keys": [...]}`, Microsoft Graph's `{"value": [...]}`, or
//! one object. Field names are matched like CSV columns (`DeviceName`, `recovery_key_id`);
//! numbers (Graph's `volumeType: 1`) count as text. The parsed value is wiped afterwards,
//! and its errors name only positions, never the text.

use keyhaven_core::escrow::DeviceMeta;
use zeroize::{Zeroize, Zeroizing};

use super::{Defaults, Read, build_row, column, fill_row};

const SOURCE: &str = "json";

pub(super) fn read(origin: &str, text: &str, defaults: &Defaults, found: &mut Read) {
    // Parsed to a `Value`, whose errors name only positions, never the text (a typed
    // deserializer would quote the offending value).
    let mut value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return found.bad(origin, format!("not valid JSON: {e}")),
    };
    read_value(origin, &value, defaults, found);
    wipe(&mut value);
}

fn read_value(origin: &str, value: &serde_json::Value, defaults: &Defaults, found: &mut Read) {
    use serde_json::Value;
    let (items, single) = match value {
        Value::Array(items) => (items.as_slice(), false),
        // `{"keys": [...]}`, or Microsoft Graph's `{"value": [...]}`.
        Value::Object(object) => match object.get("keys").or_else(|| object.get("value")) {
            Some(Value::Array(items)) => (items.as_slice(), false),
            _ => (std::slice::from_ref(value), true),
        },
        _ => {
            return found.bad(
                origin,
                "the JSON must be an array of objects, {\"keys\": [...]}, or one object",
            );
        }
    };
    if items.is_empty() {
        return found.bad(origin, "the JSON holds no keys");
    }
    for (i, item) in items.iter().enumerate() {
        let item_origin = if single {
            origin.to_owned()
        } else {
            format!("{origin}#{}", i + 1)
        };
        let Value::Object(object) = item else {
            found.bad(item_origin, "not an object");
            continue;
        };
        found.push(item_origin, row(object, defaults));
    }
}

fn row(
    object: &serde_json::Map<String, serde_json::Value>,
    defaults: &Defaults,
) -> Result<(DeviceMeta, Zeroizing<String>), String> {
    use serde_json::Value;
    let mut texts = Vec::new();
    // Numbers (Graph's `volumeType: 1`) become text, kept here so the row can borrow them.
    let mut numbers = Vec::new();
    for (name, value) in object {
        let Some(column) = column(name) else {
            continue;
        };
        match value {
            Value::String(text) => texts.push((name.as_str(), text.as_str())),
            Value::Number(n) => numbers.push((name.as_str(), n.to_string())),
            Value::Null => {}
            _ => return Err(format!("the {} is not text", column.label())),
        }
    }
    texts.extend(numbers.iter().map(|(name, text)| (*name, text.as_str())));
    build_row(&fill_row(&texts), SOURCE, defaults)
}

/// Overwrites every string in `value` (JSON imports carry keys).
fn wipe(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(object) => object.values_mut().for_each(wipe),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use keyhaven_core::escrow::VolumeType;

    use super::super::Defaults;
    use super::super::test_support::{
        ID_A, ID_B, ID_C, KEY_A, KEY_B, KEY_C, assert_no_key_material, one, read,
    };

    #[test]
    fn json_array_keys_object_and_single_object() {
        let array = format!(
            "[{{\"DeviceName\": \"pc-1\", \"recovery_key_id\": \"{ID_A}\", \"RecoveryKey\": \"{KEY_A}\", \
             \"volumeType\": 1, \"note\": [1]}},\n\
             {{\"device\": \"pc-2\", \"id\": \"{ID_B}\", \"key\": \"{}\"}},\n\
             {{\"device\": \"pc-3\", \"id\": \"{ID_C}\"}},\n\
             {{\"device\": \"pc-4\", \"id\": \"{ID_C}\", \"key\": [\"{KEY_C}\"]}},\n\
             \"stray\"]",
            KEY_B.replace("-", "")
        );
        let found = read("keys.json", array.as_bytes(), &Defaults::default());
        let ok: Vec<_> = found
            .candidates
            .iter()
            .map(|c| (c.origin.as_str(), c.meta.device.as_str(), c.secret.as_str()))
            .collect();
        assert_eq!(
            ok,
            [
                ("keys.json#1", "pc-1", KEY_A),
                ("keys.json#2", "pc-2", KEY_B)
            ]
        );
        assert_eq!(found.candidates[0].meta.volume_type, Some(VolumeType::Os));
        assert_eq!(found.candidates[0].meta.source, "json");
        let bad: Vec<_> = found
            .invalid
            .iter()
            .map(|i| (i.origin.as_str(), i.reason.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                ("keys.json#3", "the recovery key is missing"),
                ("keys.json#4", "the recovery key is not text"),
                ("keys.json#5", "not an object"),
            ]
        );
        assert_no_key_material(&found);

        // A specific `keyId` beats a generic `id`, whatever the order.
        let both = format!(
            "[{{\"id\": \"device-object-1\", \"device\": \"pc\", \"keyId\": \"{ID_A}\", \"key\": \"{KEY_A}\"}}]"
        );
        let found = read("both.json", both.as_bytes(), &Defaults::default());
        assert_eq!(one(&found).meta.key_id.as_str(), ID_A);
        let keys = format!(
            "{{\"keys\": [{{\"hostname\": \"h\", \"protectorId\": \"{ID_C}\", \"bitlocker-recovery-key\": \"{KEY_C}\"}}]}}"
        );
        let found = read("k.json", keys.as_bytes(), &Defaults::default());
        assert_eq!(one(&found).origin, "k.json#1");
        let single =
            format!("{{\"device\": \"solo\", \"keyId\": \"{ID_A}\", \"key\": \"{KEY_A}\"}}");
        let found = read("k.json", single.as_bytes(), &Defaults::default());
        assert_eq!(one(&found).origin, "k.json");
        let broken = read("k.json", b"[{\"key\": \"1234", &Defaults::default());
        assert!(broken.invalid[0].reason.starts_with("not valid JSON"));
        assert!(!broken.invalid[0].reason.contains("1234"));
    }
}
