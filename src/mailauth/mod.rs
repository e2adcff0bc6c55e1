//! What a domain publishes in the DNS to authenticate its mail, read as receivers
//! read it: SPF ([`spf`], RFC 7208) and DMARC ([`dmarc`], RFC 7489). The lookups are
//! the caller's ([`crate::dns::Resolver`], or a table in tests), so that a server that
//! did not answer stays an error and never reads as a missing record.

pub mod dmarc;
pub mod spf;
