//! The fuzz oracle, shared by the cargo-fuzz target `iam_query` and by a normal test that
//! replays the seed corpus on stable.

use crate::{IamError, IamRequest, ParseOptions, QueryParams};

/// The body limit the oracle uses: small enough for the fuzzer to cross it.
pub const FUZZ_BODY_LIMIT: usize = 4096;

/// Feeds `data` to the parsers as a form body and, when it is UTF-8, as a query string, and
/// checks the oracle:
///
/// * nothing panics;
/// * a body longer than the limit is `RequestEntityTooLarge`, whatever it contains;
/// * the query and the form reading of the same text give the same result;
/// * decoded parameters survive `to_form_string` then decoding unchanged;
/// * every accepted request `r` survives serialization: parsing `r.to_form_string()` as a
///   form and as a query gives `r` again;
/// * every error has a 4xx or 5xx status and renders as an error document.
///
/// Returns how many readings were accepted as requests (0, 1 or 2), for corpus statistics.
///
/// # Panics
/// When the oracle does not hold.
pub fn check(data: &[u8]) -> usize {
    let options = ParseOptions {
        body_limit: FUZZ_BODY_LIMIT,
        ..ParseOptions::default()
    };
    let form = IamRequest::from_form(data, &options);
    if data.len() > FUZZ_BODY_LIMIT {
        let e = form
            .as_ref()
            .expect_err("an oversized body must be refused");
        assert_eq!(e.code(), crate::IamErrorCode::RequestEntityTooLarge);
    }
    if let Ok(params) = QueryParams::parse_form(data, usize::MAX) {
        let again = QueryParams::parse_query(&params.to_form_string())
            .expect("encoded parameters must decode");
        assert_eq!(params, again, "parameter round trip changed the parameters");
    }
    let mut accepted = usize::from(check_result(&form));
    if let Ok(text) = std::str::from_utf8(data) {
        let query = IamRequest::from_query(text, &options);
        if data.len() <= FUZZ_BODY_LIMIT {
            assert_eq!(query, form, "query and form readings differ");
        }
        accepted += usize::from(check_result(&query));
    }
    accepted
}

fn check_result(result: &Result<IamRequest, IamError>) -> bool {
    match result {
        Ok(request) => {
            let unlimited = ParseOptions {
                body_limit: usize::MAX,
                ..ParseOptions::default()
            };
            let text = request.to_form_string();
            let again = IamRequest::from_form(text.as_bytes(), &unlimited)
                .unwrap_or_else(|e| panic!("serialized {request:?} does not parse: {e}\n{text}"));
            assert_eq!(&again, request, "round trip changed the request");
            let again = IamRequest::from_query(&text, &unlimited)
                .unwrap_or_else(|e| panic!("serialized {request:?} does not parse: {e}\n{text}"));
            assert_eq!(&again, request, "round trip changed the request");
            assert_eq!(
                IamRequest::parse(&request.to_params(), &unlimited).as_ref(),
                Ok(request)
            );
            true
        }
        Err(e) => {
            assert!((400..600).contains(&e.status()), "{e:?}");
            let xml = e.to_xml("fuzz");
            assert!(xml.ends_with(b"</ErrorResponse>"));
            false
        }
    }
}
