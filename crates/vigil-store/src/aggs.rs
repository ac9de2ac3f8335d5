//! Aggregations: computed per segment, merged across segments and partitions.
//!
//! Terms and cardinality read the keyword index of the field (`f`): the matching documents of a
//! segment are gathered in a bit set, then every value of the field's path is checked against it.
//! Values are therefore counted as the lower-cased keywords the queries match on: `Admin` and
//! `admin` count as one value (values longer than 16 KiB are not counted). A terms bucket's key is
//! shown as one of its matching events wrote it (`Admin`), read back from that event: the first
//! match of the first segment holding the value, so which spelling shows may change when segments
//! merge.
//!
//! * `terms` — exact counts: every segment counts every value, partitions merge their full maps,
//!   then the top `size` by count (ties by key) are kept. A document counts once per value; a
//!   number and the same number written as a string are one value.
//! * `date_histogram` — fixed-width buckets aligned to the epoch (so `1d` buckets start at UTC
//!   midnight), from the first to the last non-empty bucket, gaps filled with zero counts.
//! * `cardinality` — exact count of distinct values (64-bit hashes of the values; a collision, at
//!   odds of about n²/2⁶⁵, would undercount by one). No HyperLogLog approximation.
//! * `count` — the number of matching events.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use tantivy::index::InvertedIndexReader;
use tantivy::schema::{Field, IndexRecordOption, Type};
use tantivy::{BitSet, DocAddress, DocId, SegmentOrdinal, SegmentReader, Term};

use crate::StoreError;
pub use vigil_api_types::search::{Agg, AggResult, DateBucket, TermsBucket};

/// Largest `size` of a terms aggregation.
pub const MAX_TERMS_SIZE: usize = 10_000;
/// Most buckets a date histogram may produce.
pub const MAX_BUCKETS: usize = 100_000;

/// The checked aggregations of a request.
#[derive(Debug, Clone)]
pub(crate) struct AggPlan {
    /// The keyword field (`f`).
    field: Field,
    aggs: Vec<(String, Kind)>,
}

#[derive(Debug, Clone)]
enum Kind {
    /// `prefix`: the term bytes of the path's string values (path, end of path, type).
    Terms {
        prefix: Vec<u8>,
        path: String,
        size: usize,
    },
    Histogram {
        interval: i64,
    },
    Cardinality {
        prefix: Vec<u8>,
    },
    Count,
}

/// The term-dictionary prefix of the string values at `path` of the JSON field.
fn str_prefix(field: Field, path: &str) -> Vec<u8> {
    let mut t = Term::from_field_json_path(field, path, true);
    t.append_bytes(&[Type::Str.to_code()]);
    t.serialized_value_bytes().to_vec()
}

impl AggPlan {
    pub fn new(f: Field, aggs: &BTreeMap<String, Agg>) -> Result<Self, StoreError> {
        let mut out = Vec::with_capacity(aggs.len());
        for (name, agg) in aggs {
            let kind = match agg {
                Agg::Terms { field, size } => {
                    if *size == 0 || *size > MAX_TERMS_SIZE {
                        return Err(StoreError::BadRequest(format!(
                            "aggregation {name:?}: terms size must be 1..={MAX_TERMS_SIZE}"
                        )));
                    }
                    Kind::Terms {
                        prefix: str_prefix(f, field),
                        path: field.clone(),
                        size: *size,
                    }
                }
                Agg::DateHistogram { interval } => {
                    let nanos = i64::try_from(interval.as_nanos()).unwrap_or(0);
                    if nanos < 1_000_000 {
                        return Err(StoreError::BadRequest(format!(
                            "aggregation {name:?}: date_histogram interval must be at least 1ms"
                        )));
                    }
                    Kind::Histogram { interval: nanos }
                }
                Agg::Cardinality { field } => Kind::Cardinality {
                    prefix: str_prefix(f, field),
                },
                Agg::Count {} => Kind::Count,
            };
            out.push((name.clone(), kind));
        }
        Ok(AggPlan { field: f, aggs: out })
    }

    pub fn is_empty(&self) -> bool {
        self.aggs.is_empty()
    }

    pub fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentAggs> {
        let needs_docs = self
            .aggs
            .iter()
            .any(|(_, k)| matches!(k, Kind::Terms { .. } | Kind::Cardinality { .. }));
        let mut histograms = Vec::new();
        for (_, kind) in &self.aggs {
            if let Kind::Histogram { interval } = kind {
                histograms.push((*interval, HashMap::new()));
            }
        }
        Ok(SegmentAggs {
            segment,
            docs: needs_docs.then(|| BitSet::with_max_value(reader.max_doc())),
            index: if needs_docs {
                Some(reader.inverted_index(self.field)?)
            } else {
                None
            },
            histograms,
            plan: self.aggs.iter().map(|(_, k)| k.clone()).collect(),
        })
    }

    /// Turns merged partials into answers; `total` is the number of matching events.
    /// `written(path, keyword, sample)` gives a terms bucket's key as the sample event wrote it.
    pub fn finish(
        &self,
        partial: AggPartial,
        total: u64,
        written: &mut WrittenForm<'_>,
    ) -> Result<BTreeMap<String, AggResult>, StoreError> {
        let mut out = BTreeMap::new();
        for ((name, kind), part) in self.aggs.iter().zip(partial.parts) {
            let result = match (kind, part) {
                (Kind::Terms { size, path, .. }, Part::Terms(map)) => {
                    let mut all: Vec<(String, TermCount)> = map.into_iter().collect();
                    all.sort_by(|a, b| b.1.n.cmp(&a.1.n).then_with(|| a.0.cmp(&b.0)));
                    let other = all.iter().skip(*size).map(|(_, c)| c.n).sum();
                    all.truncate(*size);
                    // Read the samples in document order, so neighbours share a decompressed
                    // doc-store block; a keyword without letters is written as it is.
                    let mut order: Vec<usize> = (0..all.len())
                        .filter(|&i| all[i].1.sample.is_some() && has_case(&all[i].0))
                        .collect();
                    order.sort_by_key(|&i| all[i].1.sample.map(|s| (s.partition, s.doc)));
                    let mut keys: Vec<Option<String>> = vec![None; all.len()];
                    for i in order {
                        if let Some(sample) = all[i].1.sample {
                            keys[i] = written(path, &all[i].0, sample)?;
                        }
                    }
                    let buckets = all
                        .into_iter()
                        .zip(keys)
                        .map(|((keyword, count), key)| TermsBucket {
                            key: key.unwrap_or(keyword),
                            doc_count: count.n,
                        })
                        .collect();
                    AggResult::Terms {
                        buckets,
                        sum_other_doc_count: other,
                    }
                }
                (Kind::Histogram { interval }, Part::Histogram(map)) => histogram(name, *interval, map)?,
                (Kind::Cardinality { .. }, Part::Cardinality(set)) => AggResult::Cardinality {
                    value: set.len() as u64,
                },
                _ => AggResult::Count { value: total },
            };
            out.insert(name.clone(), result);
        }
        Ok(out)
    }

    pub fn empty_partial(&self) -> AggPartial {
        AggPartial {
            parts: self
                .aggs
                .iter()
                .map(|(_, k)| match k {
                    Kind::Terms { .. } => Part::Terms(HashMap::new()),
                    Kind::Histogram { .. } => Part::Histogram(HashMap::new()),
                    Kind::Cardinality { .. } => Part::Cardinality(HashSet::new()),
                    Kind::Count => Part::None,
                })
                .collect(),
        }
    }
}

fn histogram(name: &str, interval: i64, map: HashMap<i64, u64>) -> Result<AggResult, StoreError> {
    let (Some(&first), Some(&last)) = (map.keys().min(), map.keys().max()) else {
        return Ok(AggResult::DateHistogram { buckets: Vec::new() });
    };
    let span = (i128::from(last) - i128::from(first)) / i128::from(interval) + 1;
    if span > MAX_BUCKETS as i128 {
        return Err(StoreError::BadRequest(format!(
            "aggregation {name:?}: the date histogram would have {span} buckets (at most {MAX_BUCKETS}); use a longer interval or a shorter time range"
        )));
    }
    let mut buckets = Vec::with_capacity(span as usize);
    let mut key = first;
    loop {
        let ts = Timestamp::from_nanosecond(key.into()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        buckets.push(DateBucket {
            key: ts,
            doc_count: map.get(&key).copied().unwrap_or(0),
        });
        match key.checked_add(interval) {
            Some(next) if key < last => key = next,
            _ => break,
        }
    }
    Ok(AggResult::DateHistogram { buckets })
}

/// Whether a lower-cased keyword may have been written differently (it has letters).
fn has_case(keyword: &str) -> bool {
    keyword
        .chars()
        .any(|c| c.is_alphabetic() || c.is_lowercase() || c.is_uppercase())
}

/// `(path, keyword, sample)` → the keyword as the sample event wrote it at that path.
pub(crate) type WrittenForm<'a> = dyn FnMut(&str, &str, Sample) -> Result<Option<String>, StoreError> + 'a;

/// A matching event holding a value: which partition (its index in the search) and document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub partition: usize,
    pub doc: DocAddress,
}

/// A terms bucket while counting: matching events with the value, and one of them.
struct TermCount {
    n: u64,
    sample: Option<Sample>,
}

/// Aggregation state of one segment: the matching documents and the histograms' buckets.
pub(crate) struct SegmentAggs {
    segment: SegmentOrdinal,
    docs: Option<BitSet>,
    index: Option<std::sync::Arc<InvertedIndexReader>>,
    histograms: Vec<(i64, HashMap<i64, u64>)>,
    plan: Vec<Kind>,
}

impl SegmentAggs {
    pub fn collect(&mut self, doc: DocId, ts: i64) {
        if let Some(docs) = &mut self.docs {
            docs.insert(doc);
        }
        for (interval, buckets) in &mut self.histograms {
            *buckets
                .entry(ts.div_euclid(*interval).saturating_mul(*interval))
                .or_insert(0) += 1;
        }
    }

    /// Counts the values of the terms and cardinality paths over the matching documents.
    pub fn harvest(self) -> tantivy::Result<AggPartial> {
        let mut histograms = self.histograms.into_iter();
        let mut parts = Vec::with_capacity(self.plan.len());
        for kind in &self.plan {
            parts.push(match kind {
                Kind::Terms { prefix, .. } => {
                    let mut map = HashMap::new();
                    if let (Some(docs), Some(index)) = (&self.docs, &self.index) {
                        for_each_value(index, prefix, docs, |value, n, first| {
                            let sample = Sample {
                                partition: 0,
                                doc: DocAddress::new(self.segment, first),
                            };
                            map.insert(
                                String::from_utf8_lossy(value).into_owned(),
                                TermCount {
                                    n,
                                    sample: Some(sample),
                                },
                            );
                        })?;
                    }
                    Part::Terms(map)
                }
                Kind::Cardinality { prefix } => {
                    let mut set = HashSet::new();
                    if let (Some(docs), Some(index)) = (&self.docs, &self.index) {
                        for_each_value(index, prefix, docs, |value, _, _| {
                            set.insert(xxhash_rust::xxh3::xxh3_64(value));
                        })?;
                    }
                    Part::Cardinality(set)
                }
                Kind::Histogram { .. } => Part::Histogram(histograms.next().map(|(_, b)| b).unwrap_or_default()),
                Kind::Count => Part::None,
            });
        }
        Ok(AggPartial { parts })
    }
}

/// Calls `found(value, matching docs, the first of them)` for every value under `prefix` held by
/// a document in `docs`.
fn for_each_value(
    index: &InvertedIndexReader,
    prefix: &[u8],
    docs: &BitSet,
    mut found: impl FnMut(&[u8], u64, DocId),
) -> tantivy::Result<()> {
    let mut end = prefix.to_vec();
    // The type byte is never 0xff, so bumping it bounds the prefix.
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    let mut terms = index.terms().range().ge(prefix).lt(&end).into_stream()?;
    while terms.advance() {
        let mut postings = index.read_block_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)?;
        let (mut n, mut first) = (0u64, None);
        loop {
            let block = postings.docs();
            if block.is_empty() {
                break;
            }
            if first.is_none() {
                first = block.iter().copied().find(|&d| docs.contains(d));
            }
            n += block.iter().filter(|&&d| docs.contains(d)).count() as u64;
            postings.advance();
        }
        if let Some(first) = first {
            found(&terms.key()[prefix.len()..], n, first);
        }
    }
    Ok(())
}

enum Part {
    Terms(HashMap<String, TermCount>),
    Histogram(HashMap<i64, u64>),
    Cardinality(HashSet<u64>),
    None,
}

/// Mergeable aggregation results of a segment or partition.
pub(crate) struct AggPartial {
    parts: Vec<Part>,
}

impl AggPartial {
    /// Marks the samples as documents of the search's `partition`-th partition.
    pub fn in_partition(&mut self, partition: usize) {
        for part in &mut self.parts {
            if let Part::Terms(map) = part {
                for sample in map.values_mut().filter_map(|c| c.sample.as_mut()) {
                    sample.partition = partition;
                }
            }
        }
    }

    pub fn merge(&mut self, other: AggPartial) {
        for (mine, theirs) in self.parts.iter_mut().zip(other.parts) {
            match (mine, theirs) {
                (Part::Terms(a), Part::Terms(b)) => {
                    for (k, v) in b {
                        let slot = a.entry(k).or_insert(TermCount { n: 0, sample: None });
                        slot.n += v.n;
                        slot.sample = slot.sample.or(v.sample);
                    }
                }
                (Part::Histogram(a), Part::Histogram(b)) => {
                    for (k, v) in b {
                        *a.entry(k).or_insert(0) += v;
                    }
                }
                (Part::Cardinality(a), Part::Cardinality(b)) => a.extend(b),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    #[test]
    fn aggs_deserialize_from_api_json() {
        let json = r#"{"by_user": {"terms": {"field": "User", "size": 5}}, "per_hour": {"date_histogram": {"interval": "1h"}},
                       "users": {"cardinality": {"field": "User"}}, "n": {"count": {}}, "dflt": {"terms": {"field": "x"}}}"#;
        let aggs: BTreeMap<String, Agg> = serde_json::from_str(json).unwrap();
        assert_eq!(
            aggs["by_user"],
            Agg::Terms {
                field: "User".into(),
                size: 5
            }
        );
        assert_eq!(
            aggs["dflt"],
            Agg::Terms {
                field: "x".into(),
                size: 10
            }
        );
        assert_eq!(
            aggs["per_hour"],
            Agg::DateHistogram {
                interval: SignedDuration::from_hours(1)
            }
        );
        assert_eq!(aggs["users"], Agg::Cardinality { field: "User".into() });
        assert_eq!(aggs["n"], Agg::Count {});
        let back: BTreeMap<String, Agg> = serde_json::from_str(&serde_json::to_string(&aggs).unwrap()).unwrap();
        assert_eq!(back, aggs);
        assert!(serde_json::from_str::<Agg>(r#"{"date_histogram": {"interval": "often"}}"#).is_err());
    }

    #[test]
    fn plan_rejects_bad_sizes_and_intervals() {
        let f = crate::schema::StoreSchema::new().f;
        let one = |a: Agg| AggPlan::new(f, &BTreeMap::from([("a".to_owned(), a)]));
        assert!(
            one(Agg::Terms {
                field: "x".into(),
                size: 0
            })
            .is_err()
        );
        assert!(
            one(Agg::Terms {
                field: "x".into(),
                size: MAX_TERMS_SIZE + 1
            })
            .is_err()
        );
        assert!(
            one(Agg::DateHistogram {
                interval: SignedDuration::ZERO
            })
            .is_err()
        );
        assert!(
            one(Agg::DateHistogram {
                interval: SignedDuration::from_secs(-5)
            })
            .is_err()
        );
    }

    #[test]
    fn histogram_fills_gaps_and_limits_buckets() {
        let h = 3_600_000_000_000i64;
        let map = HashMap::from([(0, 2), (3 * h, 1)]);
        let AggResult::DateHistogram { buckets } = histogram("x", h, map).unwrap() else {
            panic!("not a histogram")
        };
        assert_eq!(
            buckets.iter().map(|b| b.doc_count).collect::<Vec<_>>(),
            vec![2, 0, 0, 1]
        );
        assert_eq!(buckets[1].key.to_string(), "1970-01-01T01:00:00Z");
        let wide = HashMap::from([(0, 1), (h * (MAX_BUCKETS as i64 + 5), 1)]);
        assert!(histogram("x", h, wide).is_err());
    }
}
