//! Fuzzes the vigil-query parser: any text must parse to a query or give a `QueryError`, never a
//! panic; a parsed query must survive its canonical form unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match vigil_query::parse(text) {
        Ok(query) => {
            let canonical = query.to_string();
            assert_eq!(vigil_query::parse(&canonical).as_ref(), Ok(&query), "{canonical}");
        }
        Err(err) => assert!(err.position <= text.chars().count()),
    }
});
