//! Searching and scanning: one collector per partition gathers the total, the best hits after the
//! cursor, and aggregation partials; partitions' results are merged.

use std::collections::{BTreeMap, BinaryHeap};
use std::ops::Bound;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, Occur, Query as TQuery};
use tantivy::schema::Value;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument};
use vigil_event::{Event, EventId};

use crate::aggs::{Agg, AggPartial, AggPlan, SegmentAggs};
use crate::cursor::{self, Rank, Sort};
use crate::error::IndexContext;
use crate::partition::Partition;
use crate::schema::{StoreSchema, StoredEvent, written_form};
use crate::translate::{translate, ts_range};
use crate::{EventStore, StoreError, nanos};
pub use vigil_api_types::search::{Hit, SearchResponse};

/// The field holding an event's tenant, set by the server's pipeline (replacing whatever the
/// event said there). Events stored before tenants existed have none: they are the default
/// tenant's.
pub const TENANT_FIELD: &str = "vigil_tenant";

/// Whose events a search or scan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// One tenant's: every API read.
    Tenant(&'a str),
    /// Every tenant's: the operator's own tools reading a data directory.
    All,
}

impl Scope<'_> {
    /// The query a document must also match, `None` for every tenant. A tenant name that is not
    /// a valid one matches nothing.
    fn filter(self, schema: &StoreSchema) -> Result<Option<Box<dyn TQuery>>, StoreError> {
        let Scope::Tenant(tenant) = self else {
            return Ok(None);
        };
        if vigil_api_types::access::check_tenant(tenant).is_err() {
            return Ok(Some(Box::new(tantivy::query::EmptyQuery)));
        }
        let text = if tenant == vigil_api_types::access::DEFAULT_TENANT {
            format!("{TENANT_FIELD}:\"{tenant}\" OR NOT _exists_:{TENANT_FIELD}")
        } else {
            format!("{TENANT_FIELD}:\"{tenant}\"")
        };
        Ok(Some(translate(schema, &vigil_query::parse(&text)?)?))
    }

    /// `query`, limited to the scope's events.
    fn restrict(self, schema: &StoreSchema, query: Box<dyn TQuery>) -> Result<Box<dyn TQuery>, StoreError> {
        Ok(match self.filter(schema)? {
            None => query,
            Some(filter) => Box::new(BooleanQuery::new(vec![(Occur::Must, query), (Occur::Must, filter)])),
        })
    }
}

/// Largest page size.
pub const MAX_SIZE: usize = 10_000;

/// A search: JSON `{"query": "...", "from": "...", "to": "...", "size": 100, "sort": "time_desc",
/// "cursor": "...", "aggs": {...}}`; every member is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchRequest {
    /// vigil-query syntax; empty matches everything.
    pub query: String,
    /// Start of the time range (inclusive).
    pub from: Option<Timestamp>,
    /// End of the time range (exclusive).
    pub to: Option<Timestamp>,
    /// Hits per page (default 100, at most [`MAX_SIZE`]; 0 for totals and aggregations only).
    pub size: usize,
    pub sort: Sort,
    /// `next_cursor` of the previous page; pages stay stable while events are added.
    pub cursor: Option<String>,
    pub aggs: BTreeMap<String, Agg>,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            from: None,
            to: None,
            size: 100,
            sort: Sort::default(),
            cursor: None,
            aggs: BTreeMap::new(),
        }
    }
}

pub(crate) fn run(store: &EventStore, scope: Scope<'_>, req: &SearchRequest) -> Result<SearchResponse, StoreError> {
    if req.size > MAX_SIZE {
        return Err(StoreError::BadRequest(format!(
            "size {} is over the limit of {MAX_SIZE}",
            req.size
        )));
    }
    let parsed = vigil_query::parse(&req.query)?;
    let after = req.cursor.as_deref().map(|c| cursor::decode(req.sort, c)).transpose()?;
    let plan = AggPlan::new(store.schema.f, &req.aggs)?;
    let query = scope.restrict(&store.schema, translate(&store.schema, &parsed)?)?;
    let (from, to) = window(req.from, req.to)?;

    let collector = PageCollector {
        size: req.size,
        sort: req.sort,
        after,
        plan: &plan,
    };
    let mut total = 0;
    let mut remaining = 0;
    let mut best: Vec<(Rank, usize, DocAddress)> = Vec::new();
    let mut partial = plan.empty_partial();
    let parts = store.snapshot(from, to);
    let mut searchers = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let searcher = part.reader.searcher();
        let q = restrict(&store.schema, part, query.box_clone(), from, to);
        let fruit = searcher
            .search(&*q, &collector)
            .ctx(|| format!("search failed in {}", part.dir.display()))?;
        total += fruit.total;
        remaining += fruit.after_cursor;
        best.extend(fruit.top.into_iter().map(|(rank, addr)| (rank, i, addr)));
        best.sort_unstable_by_key(|(rank, ..)| *rank);
        best.truncate(req.size);
        if let Some(mut p) = fruit.aggs {
            p.in_partition(i);
            partial.merge(p);
        }
        searchers.push(searcher);
    }

    let mut hits = Vec::with_capacity(best.len());
    for &(rank, i, addr) in &best {
        let (ts, id) = rank.ts_and_id(req.sort);
        let stored = load(&searchers[i], &store.schema, addr, id)?;
        hits.push(Hit {
            id: stored.id.to_string(),
            time: Timestamp::from_nanosecond(ts.into()).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ingest_time: !stored.time_kept,
            input: stored.input,
            host: stored.host,
            fields: stored.fields.to_json(),
        });
    }
    let next_cursor = match best.last() {
        Some(&(rank, ..)) if remaining > best.len() as u64 => Some(cursor::encode(req.sort, rank)),
        _ => None,
    };
    let aggs = if plan.is_empty() {
        BTreeMap::new()
    } else {
        plan.finish(partial, total, &mut |path, keyword, sample| {
            let searcher = &searchers[sample.partition];
            // Only the fields are read back; the id is not needed. A sample that cannot be read
            // only costs the key its case: the counts are right either way.
            match load(searcher, &store.schema, sample.doc, 0) {
                Ok(stored) => Ok(written_form(&stored.into_event(Timestamp::UNIX_EPOCH), path, keyword)),
                Err(e) => {
                    tracing::warn!(error = %e, path, "cannot read back a terms bucket's sample event; its key stays lower-cased");
                    Ok(None)
                }
            }
        })?
    };
    Ok(SearchResponse {
        total,
        hits,
        next_cursor,
        aggs,
    })
}

pub(crate) fn scan(
    store: &EventStore,
    scope: Scope<'_>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    visit: &mut dyn FnMut(Event, Timestamp) -> bool,
) -> Result<u64, StoreError> {
    let (from, to) = window(from, to)?;
    let plan = AggPlan::new(store.schema.f, &BTreeMap::new())?;
    let mut visited = 0;
    for part in store.snapshot(from, to) {
        let searcher = part.reader.searcher();
        let q = restrict(
            &store.schema,
            &part,
            scope.restrict(&store.schema, Box::new(tantivy::query::AllQuery))?,
            from,
            to,
        );
        let collector = PageCollector {
            size: usize::MAX,
            sort: Sort::TimeAsc,
            after: None,
            plan: &plan,
        };
        let fruit = searcher
            .search(&*q, &collector)
            .ctx(|| format!("scan failed in {}", part.dir.display()))?;
        let mut docs = fruit.top;
        docs.sort_unstable_by_key(|(rank, _)| *rank);
        for (rank, addr) in docs {
            let (ts, id) = rank.ts_and_id(Sort::TimeAsc);
            let time = Timestamp::from_nanosecond(ts.into()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let event = load(&searcher, &store.schema, addr, id)?.into_event(time);
            visited += 1;
            if !visit(event, time) {
                return Ok(visited);
            }
        }
    }
    Ok(visited)
}

/// `[from, to)` in ns; an empty or inverted range is a bad request.
fn window(from: Option<Timestamp>, to: Option<Timestamp>) -> Result<(Option<i64>, Option<i64>), StoreError> {
    let clamp = |t: Timestamp| nanos(t).unwrap_or(if t < Timestamp::UNIX_EPOCH { i64::MIN } else { i64::MAX });
    let (from, to) = (from.map(clamp), to.map(clamp));
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(StoreError::BadRequest("`from` is after `to`".into()));
    }
    Ok((from, to))
}

/// The query, limited to `[from, to)` unless the partition lies wholly inside it.
fn restrict(
    schema: &StoreSchema,
    part: &Partition,
    query: Box<dyn TQuery>,
    from: Option<i64>,
    to: Option<i64>,
) -> Box<dyn TQuery> {
    let from = from.filter(|&f| f > part.start);
    let to = to.filter(|&t| t < part.end);
    if from.is_none() && to.is_none() {
        return query;
    }
    let range = ts_range(
        schema,
        from.map_or(Bound::Unbounded, Bound::Included),
        to.map_or(Bound::Unbounded, Bound::Excluded),
    );
    Box::new(BooleanQuery::new(vec![(Occur::Must, query), (Occur::Must, range)]))
}

fn load(
    searcher: &tantivy::Searcher,
    schema: &StoreSchema,
    addr: DocAddress,
    id: u128,
) -> Result<StoredEvent, StoreError> {
    let doc: TantivyDocument = searcher.doc(addr).ctx(|| "cannot read a stored event".to_owned())?;
    let bytes = doc
        .get_first(schema.src)
        .and_then(|v| v.as_bytes())
        .ok_or_else(|| StoreError::Corrupt("stored event without source".into()))?;
    StoredEvent::decode(bytes, EventId(id)).map_err(|e| StoreError::Corrupt(format!("stored event: {e}")))
}

/// Counts matches, keeps the `size` best hits after the cursor, feeds aggregations.
struct PageCollector<'a> {
    size: usize,
    sort: Sort,
    after: Option<Rank>,
    plan: &'a AggPlan,
}

struct PageFruit {
    total: u64,
    after_cursor: u64,
    top: Vec<(Rank, DocAddress)>,
    aggs: Option<AggPartial>,
}

impl Collector for PageCollector<'_> {
    type Fruit = PageFruit;
    type Child = PageSegment;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<PageSegment> {
        let ff = reader.fast_fields();
        Ok(PageSegment {
            segment,
            ts: ff.i64("_ts")?,
            id_hi: ff.u64("_id_hi")?,
            id_lo: ff.u64("_id_lo")?,
            size: self.size,
            sort: self.sort,
            after: self.after,
            total: 0,
            after_cursor: 0,
            heap: BinaryHeap::new(),
            aggs: if self.plan.is_empty() {
                None
            } else {
                Some(self.plan.for_segment(segment, reader)?)
            },
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<tantivy::Result<PageFruit>>) -> tantivy::Result<PageFruit> {
        let mut out = PageFruit {
            total: 0,
            after_cursor: 0,
            top: Vec::new(),
            aggs: None,
        };
        for fruit in fruits {
            let fruit = fruit?;
            out.total += fruit.total;
            out.after_cursor += fruit.after_cursor;
            out.top.extend(fruit.top);
            match (&mut out.aggs, fruit.aggs) {
                (Some(a), Some(b)) => a.merge(b),
                (slot @ None, b) => *slot = b,
                _ => {}
            }
        }
        out.top.sort_unstable_by_key(|(rank, _)| *rank);
        out.top.truncate(self.size);
        Ok(out)
    }
}

struct PageSegment {
    segment: SegmentOrdinal,
    ts: Column<i64>,
    id_hi: Column<u64>,
    id_lo: Column<u64>,
    size: usize,
    sort: Sort,
    after: Option<Rank>,
    total: u64,
    after_cursor: u64,
    /// Max-heap on rank: the top is the worst kept hit.
    heap: BinaryHeap<(Rank, DocId)>,
    aggs: Option<SegmentAggs>,
}

impl SegmentCollector for PageSegment {
    type Fruit = tantivy::Result<PageFruit>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.total += 1;
        let ts = self.ts.first(doc).unwrap_or(0);
        if let Some(aggs) = &mut self.aggs {
            aggs.collect(doc, ts);
        }
        if self.size == 0 && self.after.is_none() {
            self.after_cursor += 1;
            return;
        }
        let id =
            (u128::from(self.id_hi.first(doc).unwrap_or(0)) << 64) | u128::from(self.id_lo.first(doc).unwrap_or(0));
        let rank = Rank::new(self.sort, ts, id);
        if self.after.is_some_and(|after| rank <= after) {
            return;
        }
        self.after_cursor += 1;
        if self.size == 0 {
            return;
        }
        if self.heap.len() < self.size {
            self.heap.push((rank, doc));
        } else if self.heap.peek().is_some_and(|(worst, _)| rank < *worst) {
            self.heap.pop();
            self.heap.push((rank, doc));
        }
    }

    fn harvest(self) -> tantivy::Result<PageFruit> {
        let segment = self.segment;
        Ok(PageFruit {
            total: self.total,
            after_cursor: self.after_cursor,
            top: self
                .heap
                .into_iter()
                .map(|(rank, doc)| (rank, DocAddress::new(segment, doc)))
                .collect(),
            aggs: self.aggs.map(SegmentAggs::harvest).transpose()?,
        })
    }
}
