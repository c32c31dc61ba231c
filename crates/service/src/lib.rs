//! The S4 HTTP service: routing, authentication, authorization, handlers and error mapping,
//! generic over the storage traits and mountable in any hyper server.

pub mod error_code;
pub mod route;
