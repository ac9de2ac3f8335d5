//! Bare phrases: `_all` keeps no positions (they would cost about a tenth of the raw size), so a
//! phrase selects the events holding all its words and then checks each candidate's stored fields
//! for the words in a row within one value. The cost grows with the number of candidates.

use serde_json::Value;
use tantivy::query::{BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query as TQuery, Scorer, Weight};
use tantivy::schema::{Field, Value as _};
use tantivy::tokenizer::TokenStream;
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyDocument};
use vigil_event::EventId;

use crate::schema::{StoredEvent, text_analyzer};

/// Events whose stored fields contain `tokens` consecutively in one value; `candidates` must
/// match every such event (the AND of the words).
#[derive(Debug)]
pub(crate) struct VerifiedPhrase {
    pub candidates: Box<dyn TQuery>,
    pub src: Field,
    pub tokens: Vec<String>,
}

impl Clone for VerifiedPhrase {
    fn clone(&self) -> Self {
        VerifiedPhrase {
            candidates: self.candidates.box_clone(),
            src: self.src,
            tokens: self.tokens.clone(),
        }
    }
}

impl TQuery for VerifiedPhrase {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(PhraseWeight {
            candidates: self.candidates.weight(scoring)?,
            src: self.src,
            tokens: self.tokens.clone(),
        }))
    }
}

struct PhraseWeight {
    candidates: Box<dyn Weight>,
    src: Field,
    tokens: Vec<String>,
}

impl Weight for PhraseWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut candidates = self.candidates.scorer(reader, boost)?;
        let store = reader.get_store_reader(2)?;
        let mut matched = BitSet::with_max_value(reader.max_doc());
        let mut doc = candidates.doc();
        while doc != TERMINATED {
            let stored: TantivyDocument = store.get(doc)?;
            let holds = stored
                .get_first(self.src)
                .and_then(|v| v.as_bytes())
                // Only the fields are looked at: the id does not matter here.
                .and_then(|b| StoredEvent::decode(b, EventId(0)).ok())
                .is_some_and(|e| e.fields.iter().any(|(_, v)| contains_phrase(v, &self.tokens, 0)));
            if holds {
                matched.insert(doc);
            }
            doc = candidates.advance();
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(matched), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("VerifiedPhrase", 1.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument("document does not match".into()))
        }
    }
}

/// Whether a string or number inside `value` tokenises to a run holding `tokens` in order.
pub(crate) fn contains_phrase(value: &Value, tokens: &[String], depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    let text = match value {
        Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
        Value::Number(n) => std::borrow::Cow::Owned(n.to_string()),
        Value::Array(items) => return items.iter().any(|v| contains_phrase(v, tokens, depth + 1)),
        Value::Object(map) => return map.values().any(|v| contains_phrase(v, tokens, depth + 1)),
        _ => return false,
    };
    let mut analyzer = text_analyzer();
    let mut stream = analyzer.token_stream(&text);
    let mut words = Vec::new();
    while stream.advance() {
        words.push(stream.token().text.clone());
    }
    !tokens.is_empty() && words.windows(tokens.len()).any(|w| w == tokens)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn phrases_within_one_value() {
        let t = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let v = json!({"a": "Hello, World from Vigil", "b": ["x", {"c": "world hello"}], "n": 4688});
        assert!(contains_phrase(&v, &t(&["hello", "world"]), 0));
        assert!(contains_phrase(&v, &t(&["world", "hello"]), 0));
        assert!(!contains_phrase(&v, &t(&["vigil", "x"]), 0), "not across values");
        assert!(!contains_phrase(&v, &t(&["hello", "from"]), 0));
        assert!(contains_phrase(&v, &t(&["4688"]), 0));
    }
}
