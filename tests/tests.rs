//! The integration tests, one binary (ripgrep's layout): one module per
//! part of the tool, helpers in `util`. Tests that need `../shared` skip
//! cleanly when it is absent; the PostgreSQL halves run when
//! `GONGKAI_TEST_POSTGRES_URL` is set (see `.ci/run`).

mod util;

mod budget;
mod bundles;
mod checks;
mod corpus;
mod crawl;
mod crawl_security;
mod exports;
mod extract;
mod final_accounts;
mod formats;
mod golden;
mod isolation;
mod layers;
mod narrative;
mod ofd;
mod patterns;
mod pdf;
mod places;
mod read;
mod regression;
mod report;
mod store;
mod wording;
