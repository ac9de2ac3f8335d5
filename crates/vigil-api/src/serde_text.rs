//! serde's error messages in the words of the formats people write (JSON, TOML, query strings):
//! serde names Rust types (`expected usize`, `expected struct SearchBody`), which mean nothing to a
//! client and leak internals. Used for API bodies and configuration files alike.

/// `message` with Rust type names replaced by what they mean in JSON or TOML.
pub fn plain(message: &str) -> String {
    let words: Vec<&str> = message.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while let Some(&word) = words.get(i) {
        let (core, tail) = split_punctuation(word);
        let next_is_name = words.get(i + 1).is_some_and(|w| is_type_name(split_punctuation(w).0));
        let replaced = match core {
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => Some("a whole number of 0 or more"),
            "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => Some("a whole number"),
            "f32" | "f64" => Some("a number"),
            "map" => Some("object"),
            "sequence" => Some("array"),
            _ => None,
        };
        if let Some(text) = replaced {
            if text == "object" && out.last().is_some_and(|w| w == "a") {
                out.pop();
                out.push("an".into());
            }
            out.push(format!("{text}{tail}"));
            i += 1;
            continue;
        }
        if matches!(core, "struct" | "enum") && next_is_name {
            // `struct SearchBody`, `enum Agg`, `untagged enum Agg`, `struct X with 2 elements`.
            let (_, name_tail) = split_punctuation(words[i + 1]);
            let what = if core == "struct" {
                "an object"
            } else {
                "one of the accepted forms"
            };
            if out
                .last()
                .is_some_and(|w| w == "a" || w == "untagged" || w == "newtype")
            {
                out.pop();
            }
            out.push(format!("{what}{name_tail}"));
            i += 2;
            continue;
        }
        if core.contains("::") {
            out.push(format!("a value{tail}"));
        } else {
            out.push(word.to_string());
        }
        i += 1;
    }
    out.join(" ")
}

/// A word and the punctuation it ends with (`usize,` → `usize`, `,`).
fn split_punctuation(word: &str) -> (&str, &str) {
    let end = word.trim_end_matches([',', '.', ';', ':', ')']).len();
    word.split_at(end)
}

/// A Rust type name as serde writes it after `struct`/`enum`: an identifier starting upper-case.
fn is_type_name(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && word.chars().all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_become_json_words() {
        assert_eq!(
            plain("invalid type: string \"x\", expected usize at line 1 column 12"),
            "invalid type: string \"x\", expected a whole number of 0 or more at line 1 column 12"
        );
        assert_eq!(
            plain("invalid type: sequence, expected struct SearchBody"),
            "invalid type: array, expected an object"
        );
        assert_eq!(
            plain("invalid type: integer `3`, expected a map"),
            "invalid type: integer `3`, expected an object"
        );
        assert_eq!(
            plain("invalid type: map, expected u32"),
            "invalid type: object, expected a whole number of 0 or more"
        );
        assert_eq!(
            plain("data did not match any variant of untagged enum Agg"),
            "data did not match any variant of one of the accepted forms"
        );
        assert_eq!(plain("expected vigil_store::Agg here"), "expected a value here");
        let unknown = "unknown field `qurey`, expected one of `query`, `from`";
        assert_eq!(plain(unknown), unknown);
        assert!(!plain("expected struct HttpFile").contains("HttpFile"));
    }
}
