//! Pyramid: a patient engagement network for NHS-style pyramid models. See ARCHITECTURE.md
//! for the layers and the rules between them.

pub mod app;
pub mod charts;
pub mod chat;
pub mod cli;
pub mod configuration;
pub mod domain;
pub mod entities;
pub mod error;
pub mod feed;
pub mod graphiql;
pub mod graphql;
pub mod http;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod render;
pub mod services;
pub mod sign_ins;
pub mod speech;
pub mod startup;
pub mod workers;
